module {
  func.func @main(%x: !fhe.eint<2>, %y: !fhe.esint<2>) -> (!fhe.esint<2>, !fhe.eint<2>) {
    %s = fhe.to_signed %x : (!fhe.eint<2>) -> !fhe.esint<2>
    %u = fhe.to_unsigned %y : (!fhe.esint<2>) -> !fhe.eint<2>
    return %s, %u : !fhe.esint<2>, !fhe.eint<2>
  }
}
