module {
  func.func @main(%a: tensor<3x!fhe.eint<8>>, %b: tensor<3x!fhe.eint<8>>) -> tensor<3x!fhe.eint<8>> {
    %c = arith.constant {value = dense<[1, 2, 3]> : tensor<3xi4>} : () -> tensor<3xi4>
    %s = fhe.add_eint %a, %b : (tensor<3x!fhe.eint<8>>, tensor<3x!fhe.eint<8>>) -> tensor<3x!fhe.eint<8>>
    %t = fhe.add_eint_int %s, %c : (tensor<3x!fhe.eint<8>>, tensor<3xi4>) -> tensor<3x!fhe.eint<8>>
    return %t : tensor<3x!fhe.eint<8>>
  }
}
