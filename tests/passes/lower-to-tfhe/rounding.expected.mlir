module {
  func.func @main(%x: tensor<2x!tfhe.lwe<6, big>>, %y: tensor<2x!tfhe.lwe<5, big>>) -> (tensor<2x!tfhe.lwe<4, small>>, tensor<2x!tfhe.lwe<3, small>>) attributes {fhec.encrypted_io = {inputs = [tensor<2x!fhe.esint<6>>, tensor<2x!fhe.eint<5>>], outputs = [tensor<2x!fhe.esint<4>>, tensor<2x!fhe.eint<3>>]}} {
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
    %8 = arith.constant {value = dense<16> : tensor<i64>} : () -> i64
    %9 = tfhe.add_lwe_int %7, %8 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %10 = tfhe.reinterpret_precision %9 : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<1, big>>
    %11 = tfhe.keyswitch %10 {ks = "?"} : (tensor<2x!tfhe.lwe<1, big>>) -> tensor<2x!tfhe.lwe<1, small>>
    %12 = tfhe.bootstrap %11 {table = dense<1> : tensor<2xi64>, pbs = "?"} : (tensor<2x!tfhe.lwe<1, small>>) -> tensor<2x!tfhe.lwe<6, big>>
    %13 = tfhe.add_lwe %5, %12 : (tensor<2x!tfhe.lwe<6, big>>, tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<6, big>>
    %14 = arith.constant {value = dense<1> : tensor<i64>} : () -> i64
    %15 = tfhe.sub_lwe_int %13, %14 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %16 = arith.constant {value = dense<16> : tensor<i64>} : () -> i64
    %17 = tfhe.mul_lwe_int %15, %16 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %18 = arith.constant {value = dense<16> : tensor<i64>} : () -> i64
    %19 = tfhe.add_lwe_int %17, %18 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %20 = tfhe.reinterpret_precision %19 : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<1, big>>
    %21 = tfhe.keyswitch %20 {ks = "?"} : (tensor<2x!tfhe.lwe<1, big>>) -> tensor<2x!tfhe.lwe<1, small>>
    %22 = tfhe.bootstrap %21 {table = dense<2> : tensor<2xi64>, pbs = "?"} : (tensor<2x!tfhe.lwe<1, small>>) -> tensor<2x!tfhe.lwe<6, big>>
    %23 = tfhe.add_lwe %15, %22 : (tensor<2x!tfhe.lwe<6, big>>, tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<6, big>>
    %24 = arith.constant {value = dense<2> : tensor<i64>} : () -> i64
    %25 = tfhe.sub_lwe_int %23, %24 : (tensor<2x!tfhe.lwe<6, big>>, i64) -> tensor<2x!tfhe.lwe<6, big>>
    %e = tfhe.reinterpret_precision %25 : (tensor<2x!tfhe.lwe<6, big>>) -> tensor<2x!tfhe.lwe<3, big>>
    %26 = tfhe.keyswitch %t {ks = "?"} : (tensor<2x!tfhe.lwe<4, big>>) -> tensor<2x!tfhe.lwe<4, small>>
    %27 = tfhe.keyswitch %e {ks = "?"} : (tensor<2x!tfhe.lwe<3, big>>) -> tensor<2x!tfhe.lwe<3, small>>
    return %26, %27 : tensor<2x!tfhe.lwe<4, small>>, tensor<2x!tfhe.lwe<3, small>>
  }
}
