// Index plans for the clear backend: everything that depends only on per-sample shapes and
// attributes is computed once per op, then applied to every sample of the batch.
import * as nd from "../../ir/tensor.js";

/** Flat source index per output element, or -1 where the output takes a constant (padding). */
export type GatherPlan = Int32Array;

function iota(shape: readonly number[], offset = 0): nd.NDArray {
  const n = nd.sizeOf(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = i + offset;
  return { shape: [...shape], data };
}

function toPlan(a: nd.NDArray): GatherPlan {
  return Int32Array.from(a.data);
}

export function transposePlan(shape: readonly number[], perm: readonly number[]): GatherPlan {
  return toPlan(nd.transpose(iota(shape), perm));
}

export function slicePlan(shape: readonly number[], starts: readonly number[], ends: readonly number[], steps: readonly number[]): GatherPlan {
  return toPlan(nd.slice(iota(shape), starts, ends, steps));
}

export function padPlan(shape: readonly number[], pads: readonly number[]): GatherPlan {
  return toPlan(nd.padConstant(iota(shape), pads, -1));
}

export function gatherPlan(shape: readonly number[], indices: nd.NDArray, axis: number): GatherPlan {
  return toPlan(nd.gather(iota(shape), indices, axis));
}

/** Concatenation: for each output element, which input it comes from and the flat index there. */
export function concatPlan(shapes: readonly (readonly number[])[], axis: number): { part: Int32Array; index: Int32Array } {
  const offsets: number[] = [];
  let acc = 0;
  const parts = shapes.map((s) => {
    offsets.push(acc);
    const a = iota(s, acc);
    acc += a.data.length;
    return a;
  });
  const flat = nd.concat(parts, axis).data;
  const part = new Int32Array(flat.length);
  const index = new Int32Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i]!;
    let p = offsets.length - 1;
    while (offsets[p]! > v) p--;
    part[i] = p;
    index[i] = v - offsets[p]!;
  }
  return { part, index };
}

/** Batched matmul [..., M, K] x [..., K, N] (1-D operands promoted as numpy does). */
export interface MatmulPlan {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Per broadcast batch entry: element offset of its matrix in each operand. */
  readonly aBase: Int32Array;
  readonly bBase: Int32Array;
}

export function matmulPlan(a: readonly number[], b: readonly number[]): MatmulPlan {
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const m = a2[a2.length - 2]!;
  const k = a2[a2.length - 1]!;
  const n = b2[b2.length - 1]!;
  const batchA = a2.slice(0, -2);
  const batchB = b2.slice(0, -2);
  const batch = nd.broadcastShapes(batchA, batchB);
  if (!batch) throw new Error("matmul batch dims do not broadcast");
  const ia = nd.broadcastIndex(batchA, batch);
  const ib = nd.broadcastIndex(batchB, batch);
  const aBase = new Int32Array(ia.length);
  const bBase = new Int32Array(ib.length);
  for (let i = 0; i < ia.length; i++) {
    aBase[i] = ia[i]! * m * k;
    bBase[i] = ib[i]! * k * n;
  }
  return { m, n, k, aBase, bBase };
}

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

/** Broadcast index map, or undefined when it is the identity (same shape). */
export function broadcastPlan(shape: readonly number[], outShape: readonly number[]): Int32Array | undefined {
  if (shape.length === outShape.length && shape.every((d, i) => d === outShape[i])) return undefined;
  return nd.broadcastIndex(shape, outShape);
}
