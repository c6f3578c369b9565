module {
  func.func @generic(%x: tensor<2x!fhe.eint<3>>, %c: tensor<2xi4>) -> tensor<2x!fhe.eint<3>> {
    %0 = "fhe.add_eint_int"(%x, %c) : (tensor<2x!fhe.eint<3>>, tensor<2xi4>) -> tensor<2x!fhe.eint<3>>
    %1 = "fhe.apply_lookup_table"(%0) {table = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.eint<3>>
    return %1 : tensor<2x!fhe.eint<3>>
  }
}
