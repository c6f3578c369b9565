module {
  func.func @main(%x: tensor<2x3x!tfhe.lwe<4, big>>) -> tensor<4x4x!tfhe.lwe<4, big>> attributes {fhec.encrypted_io = {inputs = [tensor<2x3x!fhe.eint<4>>], outputs = [tensor<4x4x!fhe.eint<4>>]}} {
    %t = fhe.transpose %x {perm = [1, 0]} : (tensor<2x3x!tfhe.lwe<4, big>>) -> tensor<3x2x!tfhe.lwe<4, big>>
    %r = fhe.reshape %t : (tensor<3x2x!tfhe.lwe<4, big>>) -> tensor<2x3x!tfhe.lwe<4, big>>
    %s = fhe.slice %r {starts = [0, 0], ends = [2, 3], steps = [1, 2]} : (tensor<2x3x!tfhe.lwe<4, big>>) -> tensor<2x2x!tfhe.lwe<4, big>>
    %g = fhe.gather %s {indices = dense<[1, 0]> : tensor<2xi64>, axis = 0} : (tensor<2x2x!tfhe.lwe<4, big>>) -> tensor<2x2x!tfhe.lwe<4, big>>
    %c = fhe.concat %s, %g {axis = 0} : (tensor<2x2x!tfhe.lwe<4, big>>, tensor<2x2x!tfhe.lwe<4, big>>) -> tensor<4x2x!tfhe.lwe<4, big>>
    %p = fhe.pad %c {pads = [0, 1, 0, 1], value = 3} : (tensor<4x2x!tfhe.lwe<4, big>>) -> tensor<4x4x!tfhe.lwe<4, big>>
    return %p : tensor<4x4x!tfhe.lwe<4, big>>
  }
}
