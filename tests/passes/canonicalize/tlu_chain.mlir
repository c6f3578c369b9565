module {
  func.func @main(%x: tensor<4x!fhe.eint<2>>) -> tensor<4x!fhe.eint<3>> {
    %a = fhe.apply_lookup_table %x {table = dense<[1, 2, 3, 0]> : tensor<4xi64>} : (tensor<4x!fhe.eint<2>>) -> tensor<4x!fhe.eint<2>>
    %b = fhe.apply_lookup_table %a {table = dense<[0, 1, 4, 7]> : tensor<4xi64>} : (tensor<4x!fhe.eint<2>>) -> tensor<4x!fhe.eint<3>>
    %c = fhe.apply_lookup_table %b {table = dense<[7, 6, 5, 4, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.eint<3>>
    return %c : tensor<4x!fhe.eint<3>>
  }
}
