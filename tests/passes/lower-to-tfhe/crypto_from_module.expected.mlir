module attributes {fhec.crypto = {precision = 3, lweDimension = 740, glweDimension = 2, polynomialSize = 1024, pbsBaseLog = 23, pbsLevel = 1, ksBaseLog = 3, ksLevel = 4, lweNoiseStd = 0.000012, glweNoiseStd = 8.7e-16, pError = 9.1e-13}} {
  func.func @main(%x: tensor<3x!tfhe.lwe<3, big>>) -> tensor<3x!tfhe.lwe<3, small>> attributes {fhec.encrypted_io = {inputs = [tensor<3x!fhe.esint<3>>], outputs = [tensor<3x!fhe.esint<3>>]}} {
    %0 = arith.constant {value = dense<4> : tensor<i64>} : () -> i64
    %1 = tfhe.add_lwe_int %x, %0 : (tensor<3x!tfhe.lwe<3, big>>, i64) -> tensor<3x!tfhe.lwe<3, big>>
    %2 = tfhe.keyswitch %1 {ks = {base_log = 3, level = 4}} : (tensor<3x!tfhe.lwe<3, big>>) -> tensor<3x!tfhe.lwe<3, small>>
    %y = tfhe.bootstrap %2 {table = dense<[3, 2, 1, 0, 0, 1, 2, 3]> : tensor<8xi64>, pbs = {base_log = 23, level = 1}} : (tensor<3x!tfhe.lwe<3, small>>) -> tensor<3x!tfhe.lwe<3, big>>
    %3 = tfhe.keyswitch %y {ks = {base_log = 3, level = 4}} : (tensor<3x!tfhe.lwe<3, big>>) -> tensor<3x!tfhe.lwe<3, small>>
    return %3 : tensor<3x!tfhe.lwe<3, small>>
  }
}
