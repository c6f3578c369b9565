module {
  func.func @main(%x: !fhe.eint<2>) -> !fhe.eint<2> {
    return %x : !fhe.eint<2>
  }
}
