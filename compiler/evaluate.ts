// Wires the float reference semantics of `onnx` ops into passes that need them (quantize).
import { evaluateOnnxOp } from "../backends/reference/interpreter.js";
import { fail } from "../ir/diagnostics.js";
import { elementOf } from "../ir/types.js";
import type { OnnxEvaluator } from "../passes/pass.js";

export const onnxEvaluator: OnnxEvaluator = (op, operands) => {
  const r = evaluateOnnxOp(op.name, op.attributes, operands, op.operands.map((v) => elementOf(v.type)));
  if (typeof r === "string") return fail("E0601", r, op.loc, op.name);
  return r.arrays;
};
