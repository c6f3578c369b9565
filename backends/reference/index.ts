// Float reference interpreter of the `onnx` dialect (batched, float64 arithmetic).
export { evaluateOnnxOp, runReference, runReferenceModule } from "./interpreter.js";
export { HANDLERS, type Handler, type HandlerContext, ReferenceError, storeAs } from "./handlers.js";
export { erf, roundHalfEven } from "./kernels.js";
