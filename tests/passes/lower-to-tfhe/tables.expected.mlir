module {
  func.func @main(%x: tensor<3x!tfhe.lwe<2, big>>, %u: tensor<2x!tfhe.lwe<1, big>>) -> (tensor<3x!tfhe.lwe<3, small>>, tensor<2x!tfhe.lwe<3, small>>) attributes {fhec.encrypted_io = {inputs = [tensor<3x!fhe.esint<2>>, tensor<2x!fhe.eint<1>>], outputs = [tensor<3x!fhe.eint<3>>, tensor<2x!fhe.esint<3>>]}} {
    %0 = arith.constant {value = dense<2> : tensor<i64>} : () -> i64
    %1 = tfhe.add_lwe_int %x, %0 : (tensor<3x!tfhe.lwe<2, big>>, i64) -> tensor<3x!tfhe.lwe<2, big>>
    %2 = tfhe.keyswitch %1 {ks = "?"} : (tensor<3x!tfhe.lwe<2, big>>) -> tensor<3x!tfhe.lwe<2, small>>
    %t = tfhe.bootstrap %2 {table = dense<[7, 5, 0, 1]> : tensor<4xi64>, pbs = "?"} : (tensor<3x!tfhe.lwe<2, small>>) -> tensor<3x!tfhe.lwe<3, big>>
    %3 = tfhe.keyswitch %u {ks = "?"} : (tensor<2x!tfhe.lwe<1, big>>) -> tensor<2x!tfhe.lwe<1, small>>
    %m = tfhe.mapped_bootstrap %3 {tables = dense<[[0, 1], [-4, 3]]> : tensor<2x2xi64>, map = dense<[1, 0]> : tensor<2xi64>, pbs = "?"} : (tensor<2x!tfhe.lwe<1, small>>) -> tensor<2x!tfhe.lwe<3, big>>
    %4 = tfhe.keyswitch %t {ks = "?"} : (tensor<3x!tfhe.lwe<3, big>>) -> tensor<3x!tfhe.lwe<3, small>>
    %5 = tfhe.keyswitch %m {ks = "?"} : (tensor<2x!tfhe.lwe<3, big>>) -> tensor<2x!tfhe.lwe<3, small>>
    return %4, %5 : tensor<3x!tfhe.lwe<3, small>>, tensor<2x!tfhe.lwe<3, small>>
  }
}
