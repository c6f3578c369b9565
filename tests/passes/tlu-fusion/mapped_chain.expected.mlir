module {
  func.func @main(%x: tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<3>> {
    %c = fhe.apply_mapped_lookup_table %x {tables = dense<[[4, 5, 6, 7], [0, 1, 2, 3]]> : tensor<2x4xi64>, map = dense<[1, 0]> : tensor<2xi64>} : (tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<3>>
    return %c : tensor<2x!fhe.eint<3>>
  }
}
