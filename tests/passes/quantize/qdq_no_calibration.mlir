module attributes {onnx.opset = 13, onnx.producer = "fhec-tests"} {
  func.func @main(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
    %xs = onnx.Constant {value = dense<0.05000000074505806> : tensor<f32>} : () -> tensor<f32>
    %xz = onnx.Constant {value = dense<0> : tensor<i8>} : () -> tensor<i8>
    %xq = onnx.QuantizeLinear %x, %xs, %xz : (tensor<?x4xf32>, tensor<f32>, tensor<i8>) -> tensor<?x4xi8>
    %xc = onnx.Clip %xq {min = -15.0, max = 15.0} : (tensor<?x4xi8>) -> tensor<?x4xi8>
    %xd = onnx.DequantizeLinear %xc, %xs, %xz : (tensor<?x4xi8>, tensor<f32>, tensor<i8>) -> tensor<?x4xf32>
    %wq = onnx.Constant {value = dense<[[3, -2, 1], [0, 5, -7], [2, 2, -1], [1, 0, 4]]> : tensor<4x3xi8>} : () -> tensor<4x3xi8>
    %ws = onnx.Constant {value = dense<[0.10000000149011612, 0.05000000074505806, 0.20000000298023224]> : tensor<3xf32>} : () -> tensor<3xf32>
    %wz = onnx.Constant {value = dense<0> : tensor<3xi8>} : () -> tensor<3xi8>
    %w = onnx.DequantizeLinear %wq, %ws, %wz {axis = 1} : (tensor<4x3xi8>, tensor<3xf32>, tensor<3xi8>) -> tensor<4x3xf32>
    %h = onnx.MatMul %xd, %w : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
    %r = onnx.Relu %h : (tensor<?x3xf32>) -> tensor<?x3xf32>
    %hs = onnx.Constant {value = dense<0.019999999552965164> : tensor<f32>} : () -> tensor<f32>
    %hz = onnx.Constant {value = dense<0> : tensor<ui8>} : () -> tensor<ui8>
    %rq = onnx.QuantizeLinear %r, %hs, %hz : (tensor<?x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<?x3xui8>
    %y = onnx.DequantizeLinear %rq, %hs, %hz : (tensor<?x3xui8>, tensor<f32>, tensor<ui8>) -> tensor<?x3xf32>
    return %y : tensor<?x3xf32>
  }
}
