module {
  func.func @main(%x: tensor<3x!fhe.eint<7>>) -> tensor<3x!fhe.eint<6>> attributes {fhec.arg_ranges = [[0, 63]]} {
    %0 = fhe.round %x {method = "exact"} : (tensor<3x!fhe.eint<7>>) -> tensor<3x!fhe.eint<3>>
    %y = fhe.apply_lookup_table %0 {table = dense<[0, 16, 32, 48, 63, 63, 63, 63]> : tensor<8xi64>} : (tensor<3x!fhe.eint<3>>) -> tensor<3x!fhe.eint<6>>
    return %y : tensor<3x!fhe.eint<6>>
  }
}
