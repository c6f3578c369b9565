// Index plans for ciphertext data movement and linear maps (per-sample; applied to every sample).
// Built from ir/tensor on iota arrays, like the clear backend's plans.
import * as nd from "../../ir/tensor.js";

function iota(shape: readonly number[], offset = 0): nd.NDArray {
  const n = nd.sizeOf(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = i + offset;
  return { shape: [...shape], data };
}

const toPlan = (a: nd.NDArray): Int32Array => Int32Array.from(a.data);

/** Source element per output element (−1: padding). */
export const transposePlan = (shape: readonly number[], perm: readonly number[]): Int32Array => toPlan(nd.transpose(iota(shape), perm));
export const slicePlan = (shape: readonly number[], starts: readonly number[], ends: readonly number[], steps: readonly number[]): Int32Array =>
  toPlan(nd.slice(iota(shape), starts, ends, steps));
export const padPlan = (shape: readonly number[], pads: readonly number[]): Int32Array => toPlan(nd.padConstant(iota(shape), pads, -1));
export const gatherPlan = (shape: readonly number[], indices: nd.NDArray, axis: number): Int32Array => toPlan(nd.gather(iota(shape), indices, axis));

/** Broadcast plan, or undefined for the identity. */
export function broadcastPlan(shape: readonly number[], outShape: readonly number[]): Int32Array | undefined {
  if (shape.length === outShape.length && shape.every((d, i) => d === outShape[i])) return undefined;
  return nd.broadcastIndex(shape, outShape);
}

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

/** Batched matmul geometry [..., M, K] x [..., K, N] (1-D operands promoted as numpy does). */
export interface MatmulPlan {
  readonly m: number;
  readonly n: number;
  readonly k: number;
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
