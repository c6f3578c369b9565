module {
  func.func @main(%x: tensor<3x!fhe.eint<5>>, %z: tensor<3x!fhe.eint<5>>) -> (tensor<3x!fhe.eint<2>>, tensor<3x!fhe.eint<2>>, tensor<3x!fhe.eint<3>>) {
    %a = fhe.apply_lookup_table %x {table = dense<[3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]> : tensor<32xi64>} : (tensor<3x!fhe.eint<5>>) -> tensor<3x!fhe.eint<2>>
    %b = fhe.apply_mapped_lookup_table %x {tables = dense<[[0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<2x32xi64>, map = dense<[0, 1, 0]> : tensor<3xi64>} : (tensor<3x!fhe.eint<5>>) -> tensor<3x!fhe.eint<2>>
    %c = fhe.apply_lookup_table %z {table = dense<[0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2]> : tensor<32xi64>} : (tensor<3x!fhe.eint<5>>) -> tensor<3x!fhe.eint<3>>
    return %a, %b, %c : tensor<3x!fhe.eint<2>>, tensor<3x!fhe.eint<2>>, tensor<3x!fhe.eint<3>>
  }
}
