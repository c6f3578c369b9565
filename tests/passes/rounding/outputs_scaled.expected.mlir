module {
  func.func @main(%x: tensor<3x!fhe.eint<7>>) -> tensor<3x!fhe.eint<4>> attributes {fhec.outputs = [{scale = 4.0, zero_point = 0.0, rounding_shift = 3}], fhec.arg_ranges = [[0, 15]]} {
    %c = arith.constant {value = dense<[3, 4, 5]> : tensor<3xi4>} : () -> tensor<3xi4>
    %m = fhe.mul_eint_int %x, %c : (tensor<3x!fhe.eint<7>>, tensor<3xi4>) -> tensor<3x!fhe.eint<7>>
    %0 = fhe.round %m {method = "exact"} : (tensor<3x!fhe.eint<7>>) -> tensor<3x!fhe.eint<4>>
    return %0 : tensor<3x!fhe.eint<4>>
  }
}
