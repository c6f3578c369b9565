// Index plans for ciphertext data movement and linear maps (per-sample; applied to every sample).
// The data-movement and matmul plans are shared with the clear backend (ir/index_plans.ts).
import { reducePlan } from "../../ir/index_plans.js";

export { broadcastPlan, concatPlan, gatherPlan, type MatmulPlan, matmulPlan, padPlan, slicePlan, transposePlan } from "../../ir/index_plans.js";

/** Sum over axes: for each output element, the input elements it adds (all lists have one length). */
export function sumPlan(shape: readonly number[], axes: readonly number[]): { rows: Int32Array; outSize: number; count: number } {
  const { map, outSize } = reducePlan(shape, axes);
  const count = map.length / outSize;
  const rows = new Int32Array(map.length);
  const fill = new Int32Array(outSize);
  for (let flat = 0; flat < map.length; flat++) {
    const dst = map[flat]!;
    rows[dst * count + fill[dst]!++] = flat;
  }
  return { rows, outSize, count };
}
