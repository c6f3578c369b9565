// Index plans for the clear backend: everything that depends only on per-sample shapes and
// attributes is computed once per op, then applied to every sample of the batch.
import * as nd from "../../ir/tensor.js";

export { broadcastPlan, concatPlan, gatherPlan, type GatherPlan, type MatmulPlan, matmulPlan, padPlan, slicePlan, transposePlan } from "../../ir/index_plans.js";

/**
 * A sparse linear map (conv2d): output element o is the sum over j in [rowPtr[o], rowPtr[o+1]) of
 * input[inIdx[j]] * weight[wIdx[j]], plus bias[biasIdx[o]] when there is a bias.
 */
export interface LinearPlan {
  readonly rowPtr: Int32Array;
  readonly inIdx: Int32Array;
  readonly wIdx: Int32Array;
  readonly biasIdx: Int32Array;
}

export function conv2dPlan(
  x: readonly number[],
  w: readonly number[],
  strides: readonly number[],
  pads: readonly number[],
  dilations: readonly number[],
  group: number,
  out: readonly number[],
): LinearPlan {
  const [nB, c, h, wd] = x as [number, number, number, number];
  const [f, cg, kh, kw] = w as [number, number, number, number];
  const [, , oh, ow] = out as [number, number, number, number];
  const fg = f / group;
  const outSize = nB * f * oh * ow;
  const rowPtr = new Int32Array(outSize + 1);
  const biasIdx = new Int32Array(outSize);
  const ins: number[] = [];
  const ws: number[] = [];
  let o = 0;
  for (let n = 0; n < nB; n++) {
    for (let ff = 0; ff < f; ff++) {
      const g = Math.floor(ff / fg);
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          rowPtr[o] = ins.length;
          biasIdx[o] = ff;
          for (let cc = 0; cc < cg; cc++) {
            const ch = g * cg + cc;
            for (let ky = 0; ky < kh; ky++) {
              const iy = y * strides[0]! - pads[0]! + ky * dilations[0]!;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = xo * strides[1]! - pads[1]! + kx * dilations[1]!;
                if (ix < 0 || ix >= wd) continue;
                ins.push(((n * c + ch) * h + iy) * wd + ix);
                ws.push(((ff * cg + cc) * kh + ky) * kw + kx);
              }
            }
          }
          o++;
        }
      }
    }
  }
  rowPtr[outSize] = ins.length;
  return { rowPtr, inIdx: Int32Array.from(ins), wIdx: Int32Array.from(ws), biasIdx };
}

/** Sum over axes: the output element each input element adds into. */
export function reducePlan(shape: readonly number[], axes: readonly number[]): { map: Int32Array; outSize: number } {
  const r = shape.length;
  const all = axes.length === 0 ? shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + r : a));
  const set = new Set(all);
  const kept = shape.map((d, i) => (set.has(i) ? 1 : d));
  const outStrides = nd.stridesOf(kept);
  const n = nd.sizeOf(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  for (let flat = 0; flat < n; flat++) {
    let dst = 0;
    for (let i = 0; i < r; i++) if (!set.has(i)) dst += idx[i]! * outStrides[i]!;
    map[flat] = dst;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { map, outSize: nd.sizeOf(kept) };
}
