module {
  func.func @main(%x: tensor<4x!fhe.eint<4>>) -> tensor<4x!fhe.eint<3>> {
    %c = arith.constant {value = dense<[1, 2, 3, 0]> : tensor<4xi3>} : () -> tensor<4xi3>
    %s = fhe.add_eint_int %x, %c : (tensor<4x!fhe.eint<4>>, tensor<4xi3>) -> tensor<4x!fhe.eint<4>>
    %y = fhe.apply_lookup_table %s {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7]> : tensor<16xi64>} : (tensor<4x!fhe.eint<4>>) -> tensor<4x!fhe.eint<3>>
    return %y : tensor<4x!fhe.eint<3>>
  }
}
