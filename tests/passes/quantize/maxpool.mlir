module attributes {onnx.opset = 17, onnx.producer = "fhec-tests"} {
  func.func @main(%x: tensor<?x1x2x4xf32>) -> tensor<?x1x1x2xf32> attributes {fhec.input_ranges = [[0.005699941888451576, 0.9948606491088867]], fhec.input_integer = [false], fhec.input_element_ranges = [[0.011704753153026104, 0.7385536432266235, 0.014401215128600597, 0.9659897089004517, 0.08810623735189438, 0.9769076108932495, 0.043631333857774734, 0.9779461026191711, 0.009314818307757378, 0.8615673184394836, 0.005699941888451576, 0.9948606491088867, 0.1749415397644043, 0.9604983925819397, 0.143657386302948, 0.9902428984642029]], fhec.input_element_steps = [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]} {
    %y = onnx.MaxPool %x {kernel_shape = [2, 2], strides = [2, 2], fhec.range = [0.36795860528945923, 0.9948606491088867]} : (tensor<?x1x2x4xf32>) -> tensor<?x1x1x2xf32>
    return %y : tensor<?x1x1x2xf32>
  }
}
