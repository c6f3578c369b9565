module {
  func.func @main(%x: tensor<2x!tfhe.lwe<6, big>>) -> (tensor<2x!tfhe.lwe<3, big>>, tensor<2x!tfhe.lwe<3, big>>) attributes {fhec.encrypted_io = {inputs = [tensor<2x!fhe.esint<6>>], outputs = [tensor<2x!fhe.esint<3>>, tensor<2x!fhe.esint<3>>]}} {
    %0 = tfhe.reinterpret_precision %x : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<3, big>>
    %1 = arith.constant {value = dense<4> : tensor<i64>} : () -> i64
    %2 = tfhe.add_lwe_int %0, %1 : (tensor<2x!tfhe.lwe<3, big>>, i64) -> tensor<2x!tfhe.lwe<3, big>>
    %3 = tfhe.keyswitch %2 {ks = "?"} : (tensor<2x!tfhe.lwe<3, big>>) -> tensor<2x!tfhe.lwe<3, small>>
    %r = tfhe.bootstrap %3 {table = dense<[-4, -3, -2, -1, 0, 1, 2, 3]> : tensor<8xi64>, pbs = "?"} : (tensor<2x!tfhe.lwe<3, small>>) -> tensor<2x!tfhe.lwe<3, big>>
    %c = arith.constant {value = dense<2> : tensor<i3>} : () -> i3
    %m = tfhe.mul_lwe_int %r, %c : (tensor<2x!tfhe.lwe<3, big>>, i3) -> tensor<2x!tfhe.lwe<3, big>>
    %s = tfhe.reinterpret_precision %x : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<3, big>>
    %t = fhe.reshape %s : (tensor<2x!tfhe.lwe<3, big>>) -> tensor<2x!tfhe.lwe<3, big>>
    return %m, %t : tensor<2x!tfhe.lwe<3, big>>, tensor<2x!tfhe.lwe<3, big>>
  }
}
