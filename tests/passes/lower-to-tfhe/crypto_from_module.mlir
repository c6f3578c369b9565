module attributes {fhec.crypto = {precision = 3, lweDimension = 740, glweDimension = 2, polynomialSize = 1024, pbsBaseLog = 23, pbsLevel = 1, ksBaseLog = 3, ksLevel = 4, lweNoiseStd = 0.000012, glweNoiseStd = 8.7e-16, pError = 9.1e-13}} {
  func.func @main(%x: tensor<3x!fhe.esint<3>>) -> tensor<3x!fhe.esint<3>> {
    %y = fhe.apply_lookup_table %x {table = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<3x!fhe.esint<3>>) -> tensor<3x!fhe.esint<3>>
    return %y : tensor<3x!fhe.esint<3>>
  }
}
