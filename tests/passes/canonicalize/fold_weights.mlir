module {
  func.func @main(%x: tensor<1x3x!fhe.eint<6>>) -> tensor<1x2x!fhe.eint<6>> {
    %w = arith.constant {value = dense<[[1, 2, 3], [-1, 0, 2]]> : tensor<2x3xi8>} : () -> tensor<2x3xi8>
    %zp = arith.constant {value = dense<1> : tensor<2x3xi8>} : () -> tensor<2x3xi8>
    %wc = arith.sub %w, %zp : (tensor<2x3xi8>, tensor<2x3xi8>) -> tensor<2x3xi8>
    %wt = fhe.transpose %wc {perm = [1, 0]} : (tensor<2x3xi8>) -> tensor<3x2xi8>
    %y = fhe.matmul_eint_int %x, %wt : (tensor<1x3x!fhe.eint<6>>, tensor<3x2xi8>) -> tensor<1x2x!fhe.eint<6>>
    %zero = arith.constant {value = dense<0> : tensor<2xi8>} : () -> tensor<2xi8>
    %y2 = fhe.add_eint_int %y, %zero : (tensor<1x2x!fhe.eint<6>>, tensor<2xi8>) -> tensor<1x2x!fhe.eint<6>>
    %one = arith.constant {value = dense<1> : tensor<i8>} : () -> i8
    %y3 = fhe.mul_eint_int %y2, %one : (tensor<1x2x!fhe.eint<6>>, i8) -> tensor<1x2x!fhe.eint<6>>
    return %y3 : tensor<1x2x!fhe.eint<6>>
  }
}
