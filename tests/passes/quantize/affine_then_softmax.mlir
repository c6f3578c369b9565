module attributes {onnx.opset = 17, onnx.producer = "fhec-tests"} {
  func.func @main(%x: tensor<?x3xf32>) -> tensor<?x2xf32> attributes {fhec.input_ranges = [[-2.711430549621582, 2.895174741744995]], fhec.input_integer = [false], fhec.input_element_ranges = [[-1.807626485824585, 2.578117609024048, -2.551582098007202, 2.6269004344940186, -2.711430549621582, 2.895174741744995]], fhec.input_element_steps = [[0.0, 0.0, 0.0]]} {
    %mean = onnx.Constant {value = dense<[0.5, -1.0, 2.0]> : tensor<3xf32>} : () -> tensor<3xf32>
    %c = onnx.Sub %x, %mean {fhec.range = [-4.711430549621582, 3.6269004344940186]} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %std = onnx.Constant {value = dense<[2.0, 0.5, 4.0]> : tensor<3xf32>} : () -> tensor<3xf32>
    %z = onnx.Div %c, %std {fhec.range = [-3.1031641960144043, 7.253800868988037]} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %w = onnx.Constant {value = dense<[[1.0, -1.0], [0.5, 0.25], [-0.75, 1.0]]> : tensor<3x2xf32>} : () -> tensor<3x2xf32>
    %l = onnx.MatMul %z, %w {fhec.range = [-1.9182839393615723, 3.5820674896240234]} : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
    %p = onnx.Softmax %l {axis = 1, fhec.range = [0.03313989192247391, 0.9668601155281067]} : (tensor<?x2xf32>) -> tensor<?x2xf32>
    return %p : tensor<?x2xf32>
  }
}
