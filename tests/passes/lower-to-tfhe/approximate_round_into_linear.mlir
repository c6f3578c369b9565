module {
  func.func @main(%x: tensor<2x!fhe.esint<6>>) -> (tensor<2x!fhe.esint<3>>, tensor<2x!fhe.esint<3>>) {
    %r = fhe.round %x {method = "approximate"} : (tensor<2x!fhe.esint<6>>) -> tensor<2x!fhe.esint<3>>
    %c = arith.constant {value = dense<2> : tensor<i3>} : () -> i3
    %m = fhe.mul_eint_int %r, %c : (tensor<2x!fhe.esint<3>>, i3) -> tensor<2x!fhe.esint<3>>
    %s = fhe.round %x {method = "approximate"} : (tensor<2x!fhe.esint<6>>) -> tensor<2x!fhe.esint<3>>
    %t = fhe.reshape %s : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<3>>
    return %m, %t : tensor<2x!fhe.esint<3>>, tensor<2x!fhe.esint<3>>
  }
}
