module {
  func.func @main(%x: tensor<2x!fhe.esint<2>>) -> tensor<2x!fhe.eint<3>> {
    %c = arith.constant {value = dense<3> : tensor<i3>} : () -> i3
    %m = fhe.mul_eint_int %x, %c : (tensor<2x!fhe.esint<2>>, i3) -> tensor<2x!fhe.esint<2>>
    %y = fhe.apply_lookup_table %m {table = dense<[0, 1, 6, 7]> : tensor<4xi64>} : (tensor<2x!fhe.esint<2>>) -> tensor<2x!fhe.eint<3>>
    return %y : tensor<2x!fhe.eint<3>>
  }
}
