// Float reference interpreter of the `onnx` dialect (batched, float64 arithmetic).
export { evaluateOnnxOp, HANDLERS, runReference, runReferenceModule } from "./interpreter.js";
export { type Handler, type HandlerContext, ReferenceError, storeAs } from "./handlers.js";
export { erf, roundHalfEven } from "./kernels.js";
