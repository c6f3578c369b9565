module {
  func.func @constants() -> (tensor<3x2xi16>, i8, tensor<1xi32>) {
    %splat = arith.constant {value = dense<-5> : tensor<3x2xi16>} : () -> tensor<3x2xi16>
    %scalar = arith.constant {value = dense<7> : tensor<i8>} : () -> i8
    %single = arith.constant {value = dense<[42]> : tensor<1xi32>} : () -> tensor<1xi32>
    return %splat, %scalar, %single : tensor<3x2xi16>, i8, tensor<1xi32>
  }
}
