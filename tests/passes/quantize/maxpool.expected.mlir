module attributes {onnx.opset = 17, onnx.producer = "fhec-tests", fhec.postprocess = "module {\n  func.func @postprocess(%out0: tensor<?x1x1x2xf32>) -> tensor<?x1x1x2xf32> {\n    return %out0 : tensor<?x1x1x2xf32>\n  }\n}\n"} {
  func.func @main(%x: tensor<1x1x2x4x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>> attributes {fhec.inputs = [{name = "x", shape = [-1, 1, 2, 4], scale = [0.14130867246006215], zero_point = [0.0], qmin = 0, qmax = 7}], fhec.outputs = [{scale = [0.14130867246006215], zero_point = [0.0]}], fhec.arg_ranges = [[0, 7]]} {
    %0 = fhe.slice %x {starts = [0, 0, 0, 0], ends = [1, 1, 1, 3], steps = [1, 1, 2, 2]} : (tensor<1x1x2x4x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %1 = fhe.slice %x {starts = [0, 0, 0, 1], ends = [1, 1, 1, 4], steps = [1, 1, 2, 2]} : (tensor<1x1x2x4x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %2 = fhe.slice %x {starts = [0, 0, 1, 0], ends = [1, 1, 2, 3], steps = [1, 1, 2, 2]} : (tensor<1x1x2x4x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %3 = fhe.slice %x {starts = [0, 0, 1, 1], ends = [1, 1, 2, 4], steps = [1, 1, 2, 2]} : (tensor<1x1x2x4x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %4 = fhe.sub_eint %1, %0 : (tensor<1x1x1x2x!fhe.esint<4>>, tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %5 = fhe.apply_lookup_table %4 {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi64>} : (tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %6 = fhe.add_eint %0, %5 {fhec.bound = [0, 7]} : (tensor<1x1x1x2x!fhe.esint<4>>, tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %7 = fhe.sub_eint %3, %2 : (tensor<1x1x1x2x!fhe.esint<4>>, tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %8 = fhe.apply_lookup_table %7 {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi64>} : (tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %9 = fhe.add_eint %2, %8 {fhec.bound = [0, 7]} : (tensor<1x1x1x2x!fhe.esint<4>>, tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %10 = fhe.sub_eint %9, %6 : (tensor<1x1x1x2x!fhe.esint<4>>, tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %11 = fhe.apply_lookup_table %10 {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi64>} : (tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    %12 = fhe.add_eint %6, %11 {fhec.bound = [0, 7]} : (tensor<1x1x1x2x!fhe.esint<4>>, tensor<1x1x1x2x!fhe.esint<4>>) -> tensor<1x1x1x2x!fhe.esint<4>>
    return %12 : tensor<1x1x1x2x!fhe.esint<4>>
  }
}
