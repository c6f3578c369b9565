module {
  func.func @main(%x: tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.esint<5>> {
    %a = fhe.apply_lookup_table %x {table = dense<[1, 0, 3, 2, 5, 4, 7, 6]> : tensor<8xi64>} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.eint<3>>
    %b = fhe.apply_lookup_table %a {table = dense<[0, 0, 1, 1, 2, 2, 3, 3]> : tensor<8xi64>} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.esint<5>>
    %c = arith.constant {value = dense<3> : tensor<i3>} : () -> i3
    %m = fhe.mul_eint_int %b, %c : (tensor<4x!fhe.esint<5>>, i3) -> tensor<4x!fhe.esint<5>>
    %n = fhe.neg_eint %m : (tensor<4x!fhe.esint<5>>) -> tensor<4x!fhe.esint<5>>
    %k = arith.constant {value = dense<12> : tensor<i5>} : () -> i5
    %r = fhe.add_eint_int %n, %k : (tensor<4x!fhe.esint<5>>, i5) -> tensor<4x!fhe.esint<5>>
    return %r : tensor<4x!fhe.esint<5>>
  }
}
