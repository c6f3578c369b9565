module {
  func.func @main(%x: tensor<2x!tfhe.lwe<6, big>>, %y: tensor<2x!tfhe.lwe<5, big>>) -> (tensor<2x!tfhe.lwe<4, big>>, tensor<2x!tfhe.lwe<3, big>>) attributes {fhec.encrypted_io = {inputs = [tensor<2x!fhe.esint<6>>, tensor<2x!fhe.eint<5>>], outputs = [tensor<2x!fhe.esint<4>>, tensor<2x!fhe.eint<3>>]}} {
    %a = tfhe.reinterpret_precision %x : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<3, big>>
    %0 = arith.constant {value = dense<4> : tensor<i64>} : () -> i64
    %1 = tfhe.add_lwe_int %a, %0 : (tensor<2x!tfhe.lwe<3, big>>, i64) -> tensor<2x!tfhe.lwe<3, big>>
    %2 = tfhe.keyswitch %1 {ks = "?"} : (tensor<2x!tfhe.lwe<3, big>>) -> tensor<2x!tfhe.lwe<3, small>>
    %t = tfhe.bootstrap %2 {table = dense<[-4, -3, -2, -1, 0, 1, 2, 3]> : tensor<8xi64>, pbs = "?"} : (tensor<2x!tfhe.lwe<3, small>>) -> tensor<2x!tfhe.lwe<4, big>>
    %3 = tfhe.reinterpret_precision %y : (tensor<2x!tfhe.lwe<5, big>>) -> tensor<2x!tfhe.lwe<6, big>>
    %4 = arith.constant {value = dense<4> : tensor<i64>} : () -> i64
    %5 = tfhe.add_lwe_int %3, %4 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %6 = arith.constant {value = dense<32> : tensor<i64>} : () -> i64
    %7 = tfhe.mul_lwe_int %5, %6 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %8 = tfhe.reinterpret_precision %7 : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<1, big>>
    %9 = tfhe.keyswitch %8 {ks = "?"} : (tensor<2x!tfhe.lwe<1, big>>) -> tensor<2x!tfhe.lwe<1, small>>
    %10 = tfhe.bootstrap %9 {table = dense<1> : tensor<2xi64>, pbs = "?"} : (tensor<2x!tfhe.lwe<1, small>>) -> tensor<2x!tfhe.lwe<6, big>>
    %11 = tfhe.add_lwe %5, %10 : (tensor<2x!tfhe.lwe<6, big>>, tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<6, big>>
    %12 = arith.constant {value = dense<1> : tensor<i64>} : () -> i64
    %13 = tfhe.sub_lwe_int %11, %12 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %14 = arith.constant {value = dense<16> : tensor<i64>} : () -> i64
    %15 = tfhe.mul_lwe_int %13, %14 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %16 = tfhe.reinterpret_precision %15 : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<1, big>>
    %17 = tfhe.keyswitch %16 {ks = "?"} : (tensor<2x!tfhe.lwe<1, big>>) -> tensor<2x!tfhe.lwe<1, small>>
    %18 = tfhe.bootstrap %17 {table = dense<2> : tensor<2xi64>, pbs = "?"} : (tensor<2x!tfhe.lwe<1, small>>) -> tensor<2x!tfhe.lwe<6, big>>
    %19 = tfhe.add_lwe %13, %18 : (tensor<2x!tfhe.lwe<6, big>>, tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<6, big>>
    %20 = arith.constant {value = dense<2> : tensor<i64>} : () -> i64
    %21 = tfhe.sub_lwe_int %19, %20 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %e = tfhe.reinterpret_precision %21 : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<3, big>>
    return %t, %e : tensor<2x!tfhe.lwe<4, big>>, tensor<2x!tfhe.lwe<3, big>>
  }
}
