module {
  func.func @main(%x: tensor<4x!fhe.eint<6>>, %z: tensor<4x!fhe.eint<6>>) -> tensor<4x!fhe.eint<2>> attributes {fhec.arg_ranges = [[0, 15], [0, 15]]} {
    %s = fhe.add_eint %x, %z : (tensor<4x!fhe.eint<6>>, tensor<4x!fhe.eint<6>>) -> tensor<4x!fhe.eint<6>>
    %r = fhe.round %s {method = "exact"} : (tensor<4x!fhe.eint<6>>) -> tensor<4x!fhe.eint<4>>
    %y = fhe.apply_lookup_table %r {table = dense<[3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi64>} : (tensor<4x!fhe.eint<4>>) -> tensor<4x!fhe.eint<2>>
    return %y : tensor<4x!fhe.eint<2>>
  }
}
