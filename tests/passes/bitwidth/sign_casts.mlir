module {
  func.func @main(%x: tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.eint<3>> {
    %s = fhe.to_signed %x : (tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.esint<3>>
    %y = fhe.apply_lookup_table %s {table = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<3>>
    %u = fhe.to_unsigned %y : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.eint<3>>
    %c = arith.constant {value = dense<3> : tensor<i3>} : () -> i3
    %v = fhe.mul_eint_int %u, %c : (tensor<2x!fhe.eint<3>>, i3) -> tensor<2x!fhe.eint<3>>
    return %v : tensor<2x!fhe.eint<3>>
  }
}
