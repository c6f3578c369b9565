// Index plans for ciphertext data movement and linear maps (per-sample; applied to every sample).
// The data-movement and matmul plans are shared with the clear backend (ir/index_plans.ts).
import * as nd from "../../ir/tensor.js";

export { broadcastPlan, concatPlan, gatherPlan, type MatmulPlan, matmulPlan, padPlan, slicePlan, transposePlan } from "../../ir/index_plans.js";

/** Sum over axes: for each output element, the input elements it adds (all lists have one length). */
export function sumPlan(shape: readonly number[], axes: readonly number[]): { rows: Int32Array; outSize: number; count: number } {
  const r = shape.length;
  const all = axes.length === 0 ? shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + r : a));
  const set = new Set(all);
  const kept = shape.map((d, i) => (set.has(i) ? 1 : d));
  const outStrides = nd.stridesOf(kept);
  const n = nd.sizeOf(shape);
  const outSize = nd.sizeOf(kept);
  const count = n / outSize;
  const rows = new Int32Array(n);
  const fill = new Int32Array(outSize);
  const idx = new Array<number>(r).fill(0);
  for (let flat = 0; flat < n; flat++) {
    let dst = 0;
    for (let i = 0; i < r; i++) if (!set.has(i)) dst += idx[i]! * outStrides[i]!;
    rows[dst * count + fill[dst]!++] = flat;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { rows, outSize, count };
}
