module {
  func.func @main(%x: tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.eint<2>> attributes {fhec.arg_ranges = [[-2, 1]]} {
    %n = fhe.neg_eint %x : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<3>>
    %y = fhe.apply_lookup_table %x {table = dense<[0, 1, 1, 1, 3, 3, 3, 2]> : tensor<8xi64>} : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.eint<2>>
    return %y : tensor<2x!fhe.eint<2>>
  }
}
