module {
  func.func @main(%x: tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.esint<4>> {
    %m = fhe.apply_lookup_table %x {table = dense<[3, 2, 2, 3, 3, 2, 2, 3]> : tensor<8xi64>} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.esint<4>>
    return %m : tensor<4x!fhe.esint<4>>
  }
}
