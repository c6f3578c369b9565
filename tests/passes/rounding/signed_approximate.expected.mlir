module {
  func.func @main(%a: tensor<2x!fhe.esint<7>>, %b: tensor<2x!fhe.esint<7>>) -> tensor<2x!fhe.eint<2>> attributes {fhec.arg_ranges = [[-16, 15], [-16, 15]]} {
    %d = fhe.sub_eint %a, %b : (tensor<2x!fhe.esint<7>>, tensor<2x!fhe.esint<7>>) -> tensor<2x!fhe.esint<7>>
    %0 = fhe.round %d {method = "approximate"} : (tensor<2x!fhe.esint<7>>) -> tensor<2x!fhe.esint<3>>
    %y = fhe.apply_lookup_table %0 {table = dense<[0, 2, 2, 2, 3, 3, 3, 3]> : tensor<8xi64>} : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.eint<2>>
    return %y : tensor<2x!fhe.eint<2>>
  }
}
