module {
  func.func @main(%x: !fhe.eint<2>) -> !fhe.eint<3> {
    %a = fhe.apply_lookup_table %x {table = dense<[-2, -1, 0, 1]> : tensor<4xi64>} : (!fhe.eint<2>) -> !fhe.esint<2>
    %b = fhe.apply_lookup_table %a {table = dense<[4, 5, 6, 7]> : tensor<4xi64>} : (!fhe.esint<2>) -> !fhe.eint<3>
    return %b : !fhe.eint<3>
  }
}
