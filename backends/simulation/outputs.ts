// Caller-supplied result arrays (SimulateOptions.outputs), checked the same way by every backend
// that writes into them: a loop over batches that consumes each batch's results before the next
// reuses its arrays instead of making (and, on this platform, faulting in) fresh ones per call.
import type { FuncOp } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import * as nd from "../../ir/tensor.js";
import { shapeOf } from "../../ir/types.js";
import type { BatchTensor } from "./contract.js";

/** The function's results per sample: shape and size. */
export function resultShapes(func: FuncOp): { shape: number[]; size: number }[] {
  return func.body.terminator!.operands.map((v) => {
    const shape = [...(shapeOf(v.type) as number[])];
    return { shape, size: nd.sizeOf(shape) };
  });
}

/**
 * Checks `arrays` as the destinations of a run's results: one per result, `batch` × its size long,
 * none sharing memory with an input or another destination (the kernel writes a block's results
 * before it reads the next block's inputs).
 */
export function checkOutputArrays(func: FuncOp, inputs: readonly BatchTensor[], batch: number, arrays: readonly Float64Array[]): void {
  const results = resultShapes(func);
  if (arrays.length !== results.length) fail("E0701", `@${func.name} has ${results.length} result(s), got ${arrays.length} output array(s)`);
  const buffers = inputs.map((t) => t.data.buffer);
  arrays.forEach((a, i) => {
    if (!(a instanceof Float64Array)) fail("E0701", `output array #${i} is not a Float64Array`);
    if (a.length !== results[i]!.size * batch) fail("E0701", `output array #${i} holds ${a.length} values, expected ${results[i]!.size * batch}`);
    if (buffers.includes(a.buffer)) fail("E0701", `output array #${i} shares its memory with an input or another output array`);
    buffers.push(a.buffer);
  });
}

/** A backend's fresh results copied into the caller's arrays (checked by checkOutputArrays). */
export function copyIntoOutputs(outputs: readonly BatchTensor[], arrays: readonly Float64Array[]): BatchTensor[] {
  return outputs.map((o, i) => {
    arrays[i]!.set(o.data);
    return { batch: o.batch, shape: o.shape, data: arrays[i]! };
  });
}
