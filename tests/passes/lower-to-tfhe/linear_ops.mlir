module {
  func.func @main(%x: tensor<1x2x4x4x!fhe.eint<7>>, %y: tensor<2x3x!fhe.eint<7>>) -> (tensor<1x2x3x3x!fhe.eint<7>>, tensor<2x2x!fhe.eint<7>>, tensor<3x2x!fhe.eint<7>>, !fhe.eint<7>) {
    %w = arith.constant {value = dense<[[[[1, 0], [0, -1]]], [[[2, 1], [1, 1]]]]> : tensor<2x1x2x2xi3>} : () -> tensor<2x1x2x2xi3>
    %bias = arith.constant {value = dense<[3, -1]> : tensor<2xi3>} : () -> tensor<2xi3>
    %conv = fhe.conv2d %x, %w, %bias {strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 2} : (tensor<1x2x4x4x!fhe.eint<7>>, tensor<2x1x2x2xi3>, tensor<2xi3>) -> tensor<1x2x3x3x!fhe.eint<7>>
    %m = arith.constant {value = dense<[[1, 2], [3, 0], [-1, 1]]> : tensor<3x2xi3>} : () -> tensor<3x2xi3>
    %mm = fhe.matmul_eint_int %y, %m : (tensor<2x3x!fhe.eint<7>>, tensor<3x2xi3>) -> tensor<2x2x!fhe.eint<7>>
    %l = arith.constant {value = dense<[[1, 2], [0, 1], [2, 2]]> : tensor<3x2xi3>} : () -> tensor<3x2xi3>
    %lm = fhe.matmul_int_eint %l, %mm : (tensor<3x2xi3>, tensor<2x2x!fhe.eint<7>>) -> tensor<3x2x!fhe.eint<7>>
    %c = arith.constant {value = dense<[5, 6]> : tensor<2xi4>} : () -> tensor<2xi4>
    %a = fhe.add_eint_int %mm, %c : (tensor<2x2x!fhe.eint<7>>, tensor<2xi4>) -> tensor<2x2x!fhe.eint<7>>
    %s = fhe.sub_eint_int %a, %c : (tensor<2x2x!fhe.eint<7>>, tensor<2xi4>) -> tensor<2x2x!fhe.eint<7>>
    %r = fhe.sub_int_eint %c, %s : (tensor<2xi4>, tensor<2x2x!fhe.eint<7>>) -> tensor<2x2x!fhe.eint<7>>
    %n = fhe.neg_eint %r : (tensor<2x2x!fhe.eint<7>>) -> tensor<2x2x!fhe.eint<7>>
    %two = arith.constant {value = dense<2> : tensor<i3>} : () -> i3
    %d = fhe.mul_eint_int %n, %two : (tensor<2x2x!fhe.eint<7>>, i3) -> tensor<2x2x!fhe.eint<7>>
    %e = fhe.add_eint %d, %mm : (tensor<2x2x!fhe.eint<7>>, tensor<2x2x!fhe.eint<7>>) -> tensor<2x2x!fhe.eint<7>>
    %f = fhe.sub_eint %e, %mm : (tensor<2x2x!fhe.eint<7>>, tensor<2x2x!fhe.eint<7>>) -> tensor<2x2x!fhe.eint<7>>
    %sum = fhe.sum %y {axes = [], keep_dims = false} : (tensor<2x3x!fhe.eint<7>>) -> !fhe.eint<7>
    return %conv, %f, %lm, %sum : tensor<1x2x3x3x!fhe.eint<7>>, tensor<2x2x!fhe.eint<7>>, tensor<3x2x!fhe.eint<7>>, !fhe.eint<7>
  }
}
