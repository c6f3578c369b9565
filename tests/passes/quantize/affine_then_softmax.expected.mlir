module attributes {onnx.opset = 17, onnx.producer = "fhec-tests", fhec.postprocess = "module {\n  func.func @postprocess(%out0: tensor<?x2xf32>) -> tensor<?x2xf32> {\n    %p = onnx.Softmax %out0 {axis = 1, fhec.range = [0.03313989192247391, 0.9668601155281067]} : (tensor<?x2xf32>) -> tensor<?x2xf32>\n    return %p : tensor<?x2xf32>\n  }\n}\n"} {
  func.func @main(%x: tensor<1x3x!fhe.esint<9>>) -> tensor<1x2x!fhe.esint<9>> attributes {fhec.inputs = [{name = "x", shape = [-1, 3], scale = [0.2923829396565755, 0.34523216883341473, 0.3737736860911051], zero_point = [6.0, 7.0, 7.0], qmin = 0, qmax = 15}], fhec.outputs = [{scale = [0.04931888126191639, 0.024659440630958197], zero_point = [39.50321669259496, 31.866599143527537]}], fhec.arg_ranges = [[0, 15]]} {
    %w = arith.constant {value = dense<[[3, -6], [7, 7], [-1, 4]]> : tensor<3x2xi4>} : () -> tensor<3x2xi4>
    %l = fhe.matmul_eint_int %x, %w : (tensor<1x3x!fhe.esint<9>>, tensor<3x2xi4>) -> tensor<1x2x!fhe.esint<9>>
    return %l : tensor<1x2x!fhe.esint<9>>
  }
}
