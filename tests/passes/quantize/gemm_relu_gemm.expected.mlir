module attributes {fhec.postprocess = "module {\n  func.func @postprocess(%out0: tensor<?x2xf32>) -> tensor<?x2xf32> {\n    return %out0 : tensor<?x2xf32>\n  }\n}\n"} {
  func.func @main(%x: tensor<1x3x!fhe.esint<7>>) -> tensor<1x2x!fhe.esint<11>> attributes {fhec.inputs = [{name = "x", shape = [-1, 3], scale = [0.2857142857142857, 0.2857142857142857, 0.2857142857142857], zero_point = [4.0, 4.0, 4.0], qmin = 0, qmax = 7}], fhec.outputs = [{scale = [0.005905511811023622], zero_point = [0.0]}], fhec.arg_ranges = [[0, 7]]} {
    %0 = arith.constant {value = dense<[[2, 3, -3, 1], [-1, 2, 1, 3], [3, -2, 2, -1]]> : tensor<3x4xi3>} : () -> tensor<3x4xi3>
    %h = fhe.matmul_eint_int %x, %0 : (tensor<1x3x!fhe.esint<7>>, tensor<3x4xi3>) -> tensor<1x4x!fhe.esint<7>>
    %1 = fhe.round %h {method = "approximate"} : (tensor<1x4x!fhe.esint<7>>) -> tensor<1x4x!fhe.esint<4>>
    %r = fhe.apply_mapped_lookup_table %1 {tables = dense<[[0, 0, 6, 49, 92, 92, 92, 92, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 5, 37, 69, 69, 69, 69, 0, 0, 0, 0, 0, 0, 0, 0], [0, 43, 86, 127, 127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 33, 65, 98, 98, 98, 98, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<4x16xi64>, map = dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>} : (tensor<1x4x!fhe.esint<4>>) -> tensor<1x4x!fhe.esint<11>>
    %2 = arith.constant {value = dense<[[3, -2], [-3, 2], [2, 3], [1, -2]]> : tensor<4x2xi3>} : () -> tensor<4x2xi3>
    %y = fhe.matmul_eint_int %r, %2 : (tensor<1x4x!fhe.esint<11>>, tensor<4x2xi3>) -> tensor<1x2x!fhe.esint<11>>
    return %y : tensor<1x2x!fhe.esint<11>>
  }
}
