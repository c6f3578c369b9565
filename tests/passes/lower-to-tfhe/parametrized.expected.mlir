module attributes {fhec.crypto = {lweDimension = 801, glweDimension = 2, polynomialSize = 1024, pbsBaseLog = 23, pbsLevel = 1, ksBaseLog = 4, ksLevel = 3, lweNoiseStd = 0.0000041, glweNoiseStd = 8.7e-16}} {
  func.func @main(%x: tensor<4x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<2, small>> attributes {fhec.encrypted_io = {inputs = [tensor<4x!fhe.eint<6>>], outputs = [tensor<2x!fhe.eint<2>>]}} {
    %w = arith.constant {value = dense<[[1, 2], [3, 1], [2, 2], [1, 3]]> : tensor<4x2xi3>} : () -> tensor<4x2xi3>
    %acc = tfhe.matmul_lwe_int %x, %w : (tensor<4x!tfhe.lwe<6, big>>, tensor<4x2xi3>) -> tensor<2x!tfhe.lwe<6, big>>
    %r = tfhe.reinterpret_precision %acc : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<2, big>>
    %0 = tfhe.keyswitch %r {ks = {base_log = 4, level = 3}} : (tensor<2x!tfhe.lwe<2, big>>) -> tensor<2x!tfhe.lwe<2, small>>
    %y = tfhe.bootstrap %0 {table = dense<[0, 0, 1, 3]> : tensor<4xi64>, pbs = {base_log = 23, level = 1}} : (tensor<2x!tfhe.lwe<2, small>>) -> tensor<2x!tfhe.lwe<2, big>>
    %1 = tfhe.keyswitch %y {ks = {base_log = 4, level = 3}} : (tensor<2x!tfhe.lwe<2, big>>) -> tensor<2x!tfhe.lwe<2, small>>
    return %1 : tensor<2x!tfhe.lwe<2, small>>
  }
}
