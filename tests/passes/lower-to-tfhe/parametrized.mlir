module {
  func.func @main(%x: tensor<4x!fhe.eint<6>>) -> tensor<2x!fhe.eint<2>> {
    %w = arith.constant {value = dense<[[1, 2], [3, 1], [2, 2], [1, 3]]> : tensor<4x2xi3>} : () -> tensor<4x2xi3>
    %acc = fhe.matmul_eint_int %x, %w : (tensor<4x!fhe.eint<6>>, tensor<4x2xi3>) -> tensor<2x!fhe.eint<6>>
    %r = fhe.round %acc {method = "approximate"} : (tensor<2x!fhe.eint<6>>) -> tensor<2x!fhe.eint<2>>
    %y = fhe.apply_lookup_table %r {table = dense<[0, 0, 1, 3]> : tensor<4xi64>} : (tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<2>>
    return %y : tensor<2x!fhe.eint<2>>
  }
}
