module {
  func.func @main(%x: tensor<1x1x3x3x!fhe.eint<2>>) -> !fhe.eint<2> {
    %w = arith.constant {value = dense<[[[[1, 0], [0, -1]]], [[[2, 1], [1, 2]]]]> : tensor<2x1x2x2xi3>} : () -> tensor<2x1x2x2xi3>
    %b = arith.constant {value = dense<[5, -1]> : tensor<2xi4>} : () -> tensor<2xi4>
    %p = fhe.pad %x {pads = [0, 0, 1, 1, 0, 0, 0, 0], value = 0} : (tensor<1x1x3x3x!fhe.eint<2>>) -> tensor<1x1x4x4x!fhe.eint<2>>
    %c = fhe.conv2d %p, %w, %b {strides = [1, 1], pads = [0, 0, 1, 1], dilations = [1, 1], group = 1} : (tensor<1x1x4x4x!fhe.eint<2>>, tensor<2x1x2x2xi3>, tensor<2xi4>) -> tensor<1x2x4x4x!fhe.eint<2>>
    %s = fhe.sum %c {axes = [], keep_dims = false} : (tensor<1x2x4x4x!fhe.eint<2>>) -> !fhe.eint<2>
    return %s : !fhe.eint<2>
  }
}
