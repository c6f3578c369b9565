// The inputs of a simulated run, checked against the function's signature the same way by every
// backend that simulates it.
import type { FuncOp, Value } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import * as nd from "../../ir/tensor.js";
import { elementOf, intRange, shapeOf, typeToString } from "../../ir/types.js";
import type { BatchTensor } from "./contract.js";

/** The batch size of a run: one input per argument, all of the first one's batch (checked per input by bindInput). */
export function batchSizeOf(func: FuncOp, inputs: readonly BatchTensor[]): number {
  if (inputs.length !== func.args.length) fail("E0701", `@${func.name} takes ${func.args.length} input(s), got ${inputs.length}`);
  return inputs[0]?.batch ?? 1;
}

/** Input `index` as a fresh float64 copy, after checking it (checkInput). */
export function bindInput(t: BatchTensor, arg: Value, index: number, batch: number): Float64Array {
  checkInput(t, arg, index, batch);
  return Float64Array.from(t.data);
}

/** Checks input `index`'s shape, batch size and integer range against `arg`. */
export function checkInput(t: BatchTensor, arg: Value, index: number, batch: number): void {
  const want = shapeOf(arg.type) as number[];
  const name = arg.nameHint ?? String(index);
  if (t.shape.length !== want.length || want.some((d, i) => d !== t.shape[i])) {
    fail("E0701", `input #${index} '${name}' has per-sample shape [${t.shape.join(", ")}], expected ${typeToString(arg.type)}`);
  }
  if (t.batch !== batch) fail("E0701", `input #${index} '${name}' has ${t.batch} samples, input #0 has ${batch}`);
  const size = nd.sizeOf(want);
  if (t.data.length !== size * batch) fail("E0701", `input #${index} '${name}' holds ${t.data.length} values, expected ${size * batch}`);
  const data = t.data;
  const e = elementOf(arg.type);
  if (e.kind === "eint" || e.kind === "int") {
    const { min, max } = intRange(e.width, e.signed);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < min || v > max) {
        fail("E0701", `input #${index} '${name}' holds ${v} at flat index ${i}, outside ${typeToString(e)} [${min}, ${max}]`);
      }
    }
  }
}
