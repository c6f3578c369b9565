module {
  func.func @main(%x: tensor<2x!fhe.esint<2>>) -> tensor<2x!fhe.eint<2>> {
    %n = fhe.neg_eint %x : (tensor<2x!fhe.esint<2>>) -> tensor<2x!fhe.esint<2>>
    %y = fhe.apply_lookup_table %x {table = dense<[0, 1, 3, 2]> : tensor<4xi64>} : (tensor<2x!fhe.esint<2>>) -> tensor<2x!fhe.eint<2>>
    return %y : tensor<2x!fhe.eint<2>>
  }
}
