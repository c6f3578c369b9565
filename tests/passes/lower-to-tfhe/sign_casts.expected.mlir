module {
  func.func @main(%x: !tfhe.lwe<2, big>, %y: !tfhe.lwe<2, big>) -> (!tfhe.lwe<2, small>, !tfhe.lwe<2, small>) attributes {fhec.encrypted_io = {inputs = [!fhe.eint<2>, !fhe.esint<2>], outputs = [!fhe.esint<2>, !fhe.eint<2>]}} {
    %0 = tfhe.keyswitch %x {ks = "?"} : (!tfhe.lwe<2, big>) -> !tfhe.lwe<2, small>
    %s = tfhe.bootstrap %0 {table = dense<[0, 1, -2, -1]> : tensor<4xi64>, pbs = "?"} : (!tfhe.lwe<2, small>) -> !tfhe.lwe<2, big>
    %1 = arith.constant {value = dense<2> : tensor<i64>} : () -> i64
    %2 = tfhe.add_lwe_int %y, %1 : (!tfhe.lwe<2, big>, i64) -> !tfhe.lwe<2, big>
    %3 = tfhe.keyswitch %2 {ks = "?"} : (!tfhe.lwe<2, big>) -> !tfhe.lwe<2, small>
    %u = tfhe.bootstrap %3 {table = dense<[2, 3, 0, 1]> : tensor<4xi64>, pbs = "?"} : (!tfhe.lwe<2, small>) -> !tfhe.lwe<2, big>
    %4 = tfhe.keyswitch %s {ks = "?"} : (!tfhe.lwe<2, big>) -> !tfhe.lwe<2, small>
    %5 = tfhe.keyswitch %u {ks = "?"} : (!tfhe.lwe<2, big>) -> !tfhe.lwe<2, small>
    return %4, %5 : !tfhe.lwe<2, small>, !tfhe.lwe<2, small>
  }
}
