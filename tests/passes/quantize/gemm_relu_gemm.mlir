module {
  func.func @main(%x: tensor<?x3xf32>) -> tensor<?x2xf32> attributes {fhec.input_ranges = [[-1.0, 1.0]], fhec.input_integer = [false]} {
    %w1 = onnx.Constant {value = dense<[[0.5, -0.25, 1.0], [0.75, 0.5, -0.5], [-1.0, 0.25, 0.5], [0.25, 0.75, -0.25]]> : tensor<4x3xf32>} : () -> tensor<4x3xf32>
    %b1 = onnx.Constant {value = dense<[0.1, -0.2, 0.0, 0.3]> : tensor<4xf32>} : () -> tensor<4xf32>
    %h = onnx.Gemm %x, %w1, %b1 {transB = 1, fhec.range = [-2.0, 2.25]} : (tensor<?x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %r = onnx.Relu %h {fhec.range = [0.0, 2.25]} : (tensor<?x4xf32>) -> tensor<?x4xf32>
    %w2 = onnx.Constant {value = dense<[[1.0, -1.0, 0.5, 0.25], [-0.5, 0.5, 1.0, -0.75]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
    %y = onnx.Gemm %r, %w2 {transB = 1, fhec.range = [-2.0, 2.0]} : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}
