module {
  func.func @main(%a: tensor<3x!fhe.eint<10>>, %b: tensor<3x!fhe.eint<10>>) -> tensor<3x!fhe.eint<10>> attributes {fhec.arg_ranges = [[0, 255], [0, 255]]} {
    %c = arith.constant {value = dense<[1, 2, 3]> : tensor<3xi4>} : () -> tensor<3xi4>
    %s = fhe.add_eint %a, %b : (tensor<3x!fhe.eint<10>>, tensor<3x!fhe.eint<10>>) -> tensor<3x!fhe.eint<10>>
    %t = fhe.add_eint_int %s, %c : (tensor<3x!fhe.eint<10>>, tensor<3xi4>) -> tensor<3x!fhe.eint<10>>
    return %t : tensor<3x!fhe.eint<10>>
  }
}
