module {
  func.func @main(%x: tensor<3x!fhe.eint<3>>) -> tensor<3x!fhe.eint<3>> {
    %y = fhe.apply_lookup_table %x {table = dense<[7, 6, 5, 4, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<3x!fhe.eint<3>>) -> tensor<3x!fhe.eint<3>>
    return %y : tensor<3x!fhe.eint<3>>
  }
}
