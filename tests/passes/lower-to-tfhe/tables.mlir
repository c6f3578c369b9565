module {
  func.func @main(%x: tensor<3x!fhe.esint<2>>, %u: tensor<2x!fhe.eint<1>>) -> (tensor<3x!fhe.eint<3>>, tensor<2x!fhe.esint<3>>) {
    %t = fhe.apply_lookup_table %x {table = dense<[0, 1, 7, 5]> : tensor<4xi64>} : (tensor<3x!fhe.esint<2>>) -> tensor<3x!fhe.eint<3>>
    %m = fhe.apply_mapped_lookup_table %u {tables = dense<[[0, 1], [-4, 3]]> : tensor<2x2xi64>, map = dense<[1, 0]> : tensor<2xi64>} : (tensor<2x!fhe.eint<1>>) -> tensor<2x!fhe.esint<3>>
    return %t, %m : tensor<3x!fhe.eint<3>>, tensor<2x!fhe.esint<3>>
  }
}
