module {
  func.func @main(%x: tensor<2x3x!fhe.eint<4>>) -> tensor<4x4x!fhe.eint<4>> {
    %t = fhe.transpose %x {perm = [1, 0]} : (tensor<2x3x!fhe.eint<4>>) -> tensor<3x2x!fhe.eint<4>>
    %r = fhe.reshape %t : (tensor<3x2x!fhe.eint<4>>) -> tensor<2x3x!fhe.eint<4>>
    %s = fhe.slice %r {starts = [0, 0], ends = [2, 3], steps = [1, 2]} : (tensor<2x3x!fhe.eint<4>>) -> tensor<2x2x!fhe.eint<4>>
    %g = fhe.gather %s {indices = dense<[1, 0]> : tensor<2xi64>, axis = 0} : (tensor<2x2x!fhe.eint<4>>) -> tensor<2x2x!fhe.eint<4>>
    %c = fhe.concat %s, %g {axis = 0} : (tensor<2x2x!fhe.eint<4>>, tensor<2x2x!fhe.eint<4>>) -> tensor<4x2x!fhe.eint<4>>
    %p = fhe.pad %c {pads = [0, 1, 0, 1], value = 3} : (tensor<4x2x!fhe.eint<4>>) -> tensor<4x4x!fhe.eint<4>>
    return %p : tensor<4x4x!fhe.eint<4>>
  }
}
