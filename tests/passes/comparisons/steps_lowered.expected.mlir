module {
  func.func @main(%x: tensor<3x!fhe.esint<6>>, %z: tensor<3x!fhe.eint<5>>) -> (tensor<3x!fhe.eint<2>>, tensor<3x!fhe.eint<2>>, tensor<3x!fhe.eint<3>>) attributes {fhec.arg_ranges = [[0, 31], [0, 31]]} {
    %0 = arith.constant {value = dense<-19> : tensor<i6>} : () -> i6
    %1 = fhe.add_eint_int %x, %0 : (tensor<3x!fhe.esint<6>>, i6) -> tensor<3x!fhe.esint<6>>
    %2 = fhe.round %1 {method = "exact"} : (tensor<3x!fhe.esint<6>>) -> tensor<3x!fhe.esint<2>>
    %a = fhe.apply_lookup_table %2 {table = dense<[1, 1, 3, 3]> : tensor<4xi64>} : (tensor<3x!fhe.esint<2>>) -> tensor<3x!fhe.eint<2>>
    %3 = arith.constant {value = dense<[-12, -28, -12]> : tensor<3xi6>} : () -> tensor<3xi6>
    %4 = fhe.add_eint_int %x, %3 : (tensor<3x!fhe.esint<6>>, tensor<3xi6>) -> tensor<3x!fhe.esint<6>>
    %5 = fhe.round %4 {method = "exact"} : (tensor<3x!fhe.esint<6>>) -> tensor<3x!fhe.esint<2>>
    %b = fhe.apply_mapped_lookup_table %5 {tables = dense<[[2, 2, 0, 0], [0, 0, 1, 1]]> : tensor<2x4xi64>, map = dense<[0, 1, 0]> : tensor<3xi64>} : (tensor<3x!fhe.esint<2>>) -> tensor<3x!fhe.eint<2>>
    %c = fhe.apply_lookup_table %z {table = dense<[0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2, 4, 1, 3, 0, 2]> : tensor<32xi64>} : (tensor<3x!fhe.eint<5>>) -> tensor<3x!fhe.eint<3>>
    return %a, %b, %c : tensor<3x!fhe.eint<2>>, tensor<3x!fhe.eint<2>>, tensor<3x!fhe.eint<3>>
  }
}
