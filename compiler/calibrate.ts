// Calibration: runs the float model on the calibration set and records, on each op, the range of
// its result (`fhec.range = [lo, hi]`, and `fhec.integer = true` when every value is an integer),
// and on each Gemm, MatMul and Conv the Gram matrix of its inputs (compensated weight rounding).
// The quantizer derives activation quantizers and weight codes from these annotations.
import { arrayAttr, boolAttr, floatsAttr } from "../ir/attributes.js";
import type { FuncOp, Value } from "../ir/core.js";
import { fail } from "../ir/diagnostics.js";
import type { NDArray } from "../ir/tensor.js";
import { elementOf, shapeOf, typeToString } from "../ir/types.js";
import type { OnnxEvaluator } from "../passes/pass.js";
import { gridStep } from "../passes/quantize/qparams.js";
import { INPUT_GRAM_ATTR, inputGram } from "../passes/quantize/compensated_rounding.js";

interface Stats {
  lo: number;
  hi: number;
  integer: boolean;
}

function statsOf(a: NDArray): Stats {
  let lo = Infinity;
  let hi = -Infinity;
  let integer = true;
  for (const v of a.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (integer && !Number.isInteger(v)) integer = false;
  }
  return { lo, hi, integer };
}

/** [lo_0, hi_0, lo_1, hi_1, …] over the samples, per element of a sample. */
function elementRanges(a: NDArray): number[] {
  const n = a.shape[0]!;
  const per = a.data.length / n;
  const out = new Array<number>(2 * per);
  for (let e = 0; e < per; e++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let s = 0; s < n; s++) {
      const v = a.data[s * per + e]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    out[2 * e] = lo;
    out[2 * e + 1] = hi;
  }
  return out;
}

/** Per element of a sample, the step of a regular grid holding all its values (0: none). */
function elementSteps(a: NDArray): number[] {
  const n = a.shape[0]!;
  const per = a.data.length / n;
  const column = new Float64Array(n);
  return Array.from({ length: per }, (_, e) => {
    for (let s = 0; s < n; s++) column[s] = a.data[s * per + e]!;
    return gridStep(column) ?? 0;
  });
}

/** Checks a batch against an argument's type: rank, static dims, finite values. */
export function checkInputBatch(a: NDArray, arg: Value, what: string): void {
  const want = shapeOf(arg.type);
  const name = arg.nameHint ?? "input";
  if (a.shape.length !== want.length || want.some((d, i) => d !== null && d !== a.shape[i])) {
    fail("E0701", `${what} for '${name}' has shape [${a.shape.join(", ")}], expected ${typeToString(arg.type)} (first dimension = samples)`);
  }
  if (a.shape[0] === 0) fail("E0701", `${what} for '${name}' has no samples`);
  const bad = a.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail("E0701", `${what} for '${name}' holds ${a.data[bad]} at flat index ${bad}: inputs must be finite numbers`);
}

export function annotateCalibration(func: FuncOp, inputs: readonly NDArray[], evaluate: OnnxEvaluator): void {
  if (inputs.length !== func.args.length) fail("E0701", `the model takes ${func.args.length} input(s), the calibration set has ${inputs.length}`);
  const env = new Map<Value, NDArray>();
  const argStats: Stats[] = [];
  func.args.forEach((arg, i) => {
    checkInputBatch(inputs[i]!, arg, "calibration data");
    env.set(arg, inputs[i]!);
    argStats.push(statsOf(inputs[i]!));
  });
  func.attributes.set("fhec.input_ranges", arrayAttr(argStats.map((s) => floatsAttr([s.lo, s.hi]))));
  func.attributes.set("fhec.input_integer", arrayAttr(argStats.map((s) => boolAttr(s.integer))));
  func.attributes.set("fhec.input_element_ranges", arrayAttr(inputs.map((a) => floatsAttr(elementRanges(a)))));
  func.attributes.set("fhec.input_element_steps", arrayAttr(inputs.map((a) => floatsAttr(elementSteps(a)))));
  for (const op of func.body.ops) {
    if (op.name === "func.return") break;
    const ins = op.operands.map((v) => env.get(v)!);
    const outs = op.name === "onnx.Constant" ? [] : evaluate(op, ins);
    const gram = inputGram(op, ins);
    if (gram) op.attributes.set(INPUT_GRAM_ATTR, gram);
    op.results.forEach((r, i) => {
      const out = outs[i];
      if (!out) return;
      env.set(r, out);
      if (i === 0 && elementOf(r.type).kind !== "index") {
        const s = statsOf(out);
        op.attributes.set("fhec.range", floatsAttr([s.lo, s.hi]));
        if (s.integer) op.attributes.set("fhec.integer", boolAttr(true));
      }
    });
    if (op.name === "onnx.Constant") env.set(op.result, { shape: [...(shapeOf(op.result.type) as number[])], data: (op.attr("value") as { data: Float64Array }).data });
  }
}
