module {
  func.func @main(%x: tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.esint<4>> {
    %a = fhe.apply_lookup_table %x {table = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.esint<4>>
    %b = fhe.apply_lookup_table %x {table = dense<[3, 2, 1, 0, 0, 1, 2, 3]> : tensor<8xi64>} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.esint<4>>
    %d = fhe.sub_eint %b, %a : (tensor<4x!fhe.esint<4>>, tensor<4x!fhe.esint<4>>) -> tensor<4x!fhe.esint<4>>
    %r = fhe.apply_lookup_table %d {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi64>} : (tensor<4x!fhe.esint<4>>) -> tensor<4x!fhe.esint<4>>
    %m = fhe.add_eint %a, %r : (tensor<4x!fhe.esint<4>>, tensor<4x!fhe.esint<4>>) -> tensor<4x!fhe.esint<4>>
    return %m : tensor<4x!fhe.esint<4>>
  }
}
