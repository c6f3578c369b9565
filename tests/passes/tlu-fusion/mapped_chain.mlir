module {
  func.func @main(%x: tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<3>> {
    %a = fhe.apply_lookup_table %x {table = dense<[3, 2, 1, 0]> : tensor<4xi64>} : (tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<2>>
    %b = fhe.apply_mapped_lookup_table %a {tables = dense<[[0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<2x4xi64>, map = dense<[1, 0]> : tensor<2xi64>} : (tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<3>>
    %c = fhe.apply_lookup_table %b {table = dense<[7, 6, 5, 4, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.eint<3>>
    return %c : tensor<2x!fhe.eint<3>>
  }
}
