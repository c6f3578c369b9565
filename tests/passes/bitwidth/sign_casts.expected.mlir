module {
  func.func @main(%x: tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.eint<4>> {
    %s = fhe.to_signed %x : (tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.esint<3>>
    %y = fhe.apply_lookup_table %s {table = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<4>>
    %u = fhe.to_unsigned %y : (tensor<2x!fhe.esint<4>>) -> tensor<2x!fhe.eint<4>>
    %c = arith.constant {value = dense<3> : tensor<i3>} : () -> i3
    %v = fhe.mul_eint_int %u, %c : (tensor<2x!fhe.eint<4>>, i3) -> tensor<2x!fhe.eint<4>>
    return %v : tensor<2x!fhe.eint<4>>
  }
}
