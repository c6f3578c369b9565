module {
  func.func @main(%x: tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<4>> {
    %n = fhe.neg_eint %x : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<3>>
    %y = fhe.apply_lookup_table %n {table = dense<[0, 1, 2, 3, -4, -3, -2, -1]> : tensor<8xi64>} : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<4>>
    %z = fhe.apply_lookup_table %x {table = dense<[0, 1, 2, 3, -4, -3, -2, -1]> : tensor<8xi64>} : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<4>>
    %s = fhe.add_eint %y, %z : (tensor<2x!fhe.esint<4>>, tensor<2x!fhe.esint<4>>) -> tensor<2x!fhe.esint<4>>
    return %s : tensor<2x!fhe.esint<4>>
  }
}
