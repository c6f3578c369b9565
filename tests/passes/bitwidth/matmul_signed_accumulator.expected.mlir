module {
  func.func @main(%x: tensor<2x3x!fhe.esint<6>>) -> tensor<2x2x!fhe.eint<3>> attributes {fhec.arg_ranges = [[0, 7]]} {
    %w = arith.constant {value = dense<[[1, -2], [3, 1], [-1, 2]]> : tensor<3x2xi3>} : () -> tensor<3x2xi3>
    %acc = fhe.matmul_eint_int %x, %w : (tensor<2x3x!fhe.esint<6>>, tensor<3x2xi3>) -> tensor<2x2x!fhe.esint<6>>
    %r = fhe.apply_lookup_table %acc {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<64xi64>} : (tensor<2x2x!fhe.esint<6>>) -> tensor<2x2x!fhe.eint<3>>
    return %r : tensor<2x2x!fhe.eint<3>>
  }
}
