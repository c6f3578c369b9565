module attributes {onnx.opset = 17, onnx.producer = "fhec-tests", fhec.postprocess = "module {\n  func.func @postprocess(%out0: tensor<?x2x2x2xf32>) -> tensor<?x2x2x2xf32> {\n    return %out0 : tensor<?x2x2x2xf32>\n  }\n}\n"} {
  func.func @main(%x: tensor<1x1x4x4x!fhe.esint<10>>) -> tensor<1x2x2x2x!fhe.eint<5>> attributes {fhec.inputs = [{name = "x", shape = [-1, 1, 4, 4], scale = [0.06646108883433044], zero_point = [0.0], qmin = 0, qmax = 15}], fhec.outputs = [{scale = [0.10186362266540527], zero_point = [0.0]}], fhec.arg_ranges = [[0, 15]]} {
    %0 = fhe.pad %x {pads = [0, 0, 1, 1, 0, 0, 1, 1], value = 0} : (tensor<1x1x4x4x!fhe.esint<10>>) -> tensor<1x1x6x6x!fhe.esint<10>>
    %w = arith.constant {value = dense<[[[[3, -7, -1], [-6, 4, 0], [0, -5, -4]]], [[[1, -5, -7], [4, 0, 5], [6, -3, 3]]]]> : tensor<2x1x3x3xi4>} : () -> tensor<2x1x3x3xi4>
    %c = fhe.conv2d %0, %w {strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 1} : (tensor<1x1x6x6x!fhe.esint<10>>, tensor<2x1x3x3xi4>) -> tensor<1x2x4x4x!fhe.esint<10>>
    %1 = fhe.round %c {method = "approximate"} : (tensor<1x2x4x4x!fhe.esint<10>>) -> tensor<1x2x4x4x!fhe.esint<5>>
    %r = fhe.apply_mapped_lookup_table %1 {tables = dense<[[0, 2, 3, 4, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<2x32xi64>, map = dense<[[[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]]]> : tensor<1x2x4x4xi64>} : (tensor<1x2x4x4x!fhe.esint<5>>) -> tensor<1x2x4x4x!fhe.eint<5>>
    %2 = arith.constant {value = dense<1> : tensor<2x1x2x2xi2>} : () -> tensor<2x1x2x2xi2>
    %y = fhe.conv2d %r, %2 {strides = [2, 2], pads = [0, 0, 0, 0], dilations = [1, 1], group = 2} : (tensor<1x2x4x4x!fhe.eint<5>>, tensor<2x1x2x2xi2>) -> tensor<1x2x2x2x!fhe.eint<5>>
    return %y : tensor<1x2x2x2x!fhe.eint<5>>
  }
}
