module {
  func.func @main(%x: tensor<4x!fhe.eint<4>>) -> tensor<2x!fhe.eint<3>> {
    %w = arith.constant {value = dense<[[1, 2], [3, 1], [2, 2], [1, 3]]> : tensor<4x2xi3>} : () -> tensor<4x2xi3>
    %acc = fhe.matmul_eint_int %x, %w : (tensor<4x!fhe.eint<4>>, tensor<4x2xi3>) -> tensor<2x!fhe.eint<4>>
    %y = fhe.apply_lookup_table %acc {table = dense<[0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]> : tensor<16xi64>} : (tensor<2x!fhe.eint<4>>) -> tensor<2x!fhe.eint<3>>
    return %y : tensor<2x!fhe.eint<3>>
  }
}
