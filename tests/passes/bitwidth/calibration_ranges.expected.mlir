module {
  func.func @main(%x: tensor<3x!fhe.eint<5>>) -> tensor<3x!fhe.eint<4>> attributes {fhec.arg_ranges = [[0, 15]], fhec.bounds = "calibration"} {
    %c = arith.constant {value = dense<[3, 4, 5]> : tensor<3xi4>} : () -> tensor<3xi4>
    %m = fhe.mul_eint_int %x, %c {fhec.calib_range = [0, 30]} : (tensor<3x!fhe.eint<5>>, tensor<3xi4>) -> tensor<3x!fhe.eint<5>>
    %y = fhe.apply_lookup_table %m {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15]> : tensor<32xi64>} : (tensor<3x!fhe.eint<5>>) -> tensor<3x!fhe.eint<4>>
    return %y : tensor<3x!fhe.eint<4>>
  }
}
