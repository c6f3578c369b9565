module {
  func.func @main(%x: tensor<1x2x4x4x!tfhe.lwe<7, big>>, %y: tensor<2x3x!tfhe.lwe<7, big>>) -> (tensor<1x2x3x3x!tfhe.lwe<7, big>>, tensor<2x2x!tfhe.lwe<7, big>>, tensor<3x2x!tfhe.lwe<7, big>>, !tfhe.lwe<7, big>) attributes {fhec.encrypted_io = {inputs = [tensor<1x2x4x4x!fhe.eint<7>>, tensor<2x3x!fhe.eint<7>>], outputs = [tensor<1x2x3x3x!fhe.eint<7>>, tensor<2x2x!fhe.eint<7>>, tensor<3x2x!fhe.eint<7>>, !fhe.eint<7>]}} {
    %w = arith.constant {value = dense<[[[[1, 0], [0, -1]]], [[[2, 1], [1, 1]]]]> : tensor<2x1x2x2xi3>} : () -> tensor<2x1x2x2xi3>
    %bias = arith.constant {value = dense<[3, -1]> : tensor<2xi3>} : () -> tensor<2xi3>
    %conv = tfhe.conv2d_lwe %x, %w, %bias {strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 2} : (tensor<1x2x4x4x!tfhe.lwe<7, big>>, tensor<2x1x2x2xi3>, tensor<2xi3>) -> tensor<1x2x3x3x!tfhe.lwe<7, big>>
    %m = arith.constant {value = dense<[[1, 2], [3, 0], [-1, 1]]> : tensor<3x2xi3>} : () -> tensor<3x2xi3>
    %mm = tfhe.matmul_lwe_int %y, %m : (tensor<2x3x!tfhe.lwe<7, big>>, tensor<3x2xi3>) -> tensor<2x2x!tfhe.lwe<7, big>>
    %l = arith.constant {value = dense<[[1, 2], [0, 1], [2, 2]]> : tensor<3x2xi3>} : () -> tensor<3x2xi3>
    %lm = tfhe.matmul_int_lwe %l, %mm : (tensor<3x2xi3>, tensor<2x2x!tfhe.lwe<7, big>>) -> tensor<3x2x!tfhe.lwe<7, big>>
    %c = arith.constant {value = dense<[5, 6]> : tensor<2xi4>} : () -> tensor<2xi4>
    %a = tfhe.add_lwe_int %mm, %c : (tensor<2x2x!tfhe.lwe<7, big>>, tensor<2xi4>) -> tensor<2x2x!tfhe.lwe<7, big>>
    %s = tfhe.sub_lwe_int %a, %c : (tensor<2x2x!tfhe.lwe<7, big>>, tensor<2xi4>) -> tensor<2x2x!tfhe.lwe<7, big>>
    %r = tfhe.sub_int_lwe %c, %s : (tensor<2xi4>, tensor<2x2x!tfhe.lwe<7, big>>) -> tensor<2x2x!tfhe.lwe<7, big>>
    %n = tfhe.neg_lwe %r : (tensor<2x2x!tfhe.lwe<7, big>>) -> tensor<2x2x!tfhe.lwe<7, big>>
    %two = arith.constant {value = dense<2> : tensor<i3>} : () -> i3
    %d = tfhe.mul_lwe_int %n, %two : (tensor<2x2x!tfhe.lwe<7, big>>, i3) -> tensor<2x2x!tfhe.lwe<7, big>>
    %e = tfhe.add_lwe %d, %mm : (tensor<2x2x!tfhe.lwe<7, big>>, tensor<2x2x!tfhe.lwe<7, big>>) -> tensor<2x2x!tfhe.lwe<7, big>>
    %f = tfhe.sub_lwe %e, %mm : (tensor<2x2x!tfhe.lwe<7, big>>, tensor<2x2x!tfhe.lwe<7, big>>) -> tensor<2x2x!tfhe.lwe<7, big>>
    %sum = tfhe.sum_lwe %y {axes = [], keep_dims = false} : (tensor<2x3x!tfhe.lwe<7, big>>) -> !tfhe.lwe<7, big>
    return %conv, %f, %lm, %sum : tensor<1x2x3x3x!tfhe.lwe<7, big>>, tensor<2x2x!tfhe.lwe<7, big>>, tensor<3x2x!tfhe.lwe<7, big>>, !tfhe.lwe<7, big>
  }
}
