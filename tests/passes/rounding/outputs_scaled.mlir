module {
  func.func @main(%x: tensor<3x!fhe.eint<4>>) -> tensor<3x!fhe.eint<4>> attributes {fhec.outputs = [{scale = 0.5, zero_point = 0}]} {
    %c = arith.constant {value = dense<[3, 4, 5]> : tensor<3xi4>} : () -> tensor<3xi4>
    %m = fhe.mul_eint_int %x, %c : (tensor<3x!fhe.eint<4>>, tensor<3xi4>) -> tensor<3x!fhe.eint<4>>
    return %m : tensor<3x!fhe.eint<4>>
  }
}
