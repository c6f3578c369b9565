module {
  func.func @main(%x: tensor<4x!fhe.eint<4>>, %z: tensor<4x!fhe.eint<4>>) -> tensor<4x!fhe.eint<2>> {
    %s = fhe.add_eint %x, %z : (tensor<4x!fhe.eint<4>>, tensor<4x!fhe.eint<4>>) -> tensor<4x!fhe.eint<4>>
    %r = fhe.round %s {method = "exact"} : (tensor<4x!fhe.eint<4>>) -> tensor<4x!fhe.eint<2>>
    %y = fhe.apply_lookup_table %r {table = dense<[3, 2, 1, 0]> : tensor<4xi64>} : (tensor<4x!fhe.eint<2>>) -> tensor<4x!fhe.eint<2>>
    return %y : tensor<4x!fhe.eint<2>>
  }
}
