module {
  func.func @main(%x: tensor<2x!fhe.esint<6>>, %y: tensor<2x!fhe.eint<5>>) -> (tensor<2x!fhe.esint<4>>, tensor<2x!fhe.eint<3>>) {
    %a = fhe.round %x {method = "approximate"} : (tensor<2x!fhe.esint<6>>) -> tensor<2x!fhe.esint<3>>
    %t = fhe.apply_lookup_table %a {table = dense<[0, 1, 2, 3, -4, -3, -2, -1]> : tensor<8xi64>} : (tensor<2x!fhe.esint<3>>) -> tensor<2x!fhe.esint<4>>
    %e = fhe.round %y {method = "exact"} : (tensor<2x!fhe.eint<5>>) -> tensor<2x!fhe.eint<3>>
    return %t, %e : tensor<2x!fhe.esint<4>>, tensor<2x!fhe.eint<3>>
  }
}
