module {
  func.func @main(%x: tensor<1x3x!fhe.eint<6>>) -> tensor<1x2x!fhe.eint<6>> {
    %wt = arith.constant {value = dense<[[0, -2], [1, -1], [2, 1]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
    %y = fhe.matmul_eint_int %x, %wt : (tensor<1x3x!fhe.eint<6>>, tensor<3x2xi8>) -> tensor<1x2x!fhe.eint<6>>
    return %y : tensor<1x2x!fhe.eint<6>>
  }
}
