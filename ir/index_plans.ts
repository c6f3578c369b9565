// Index plans shared by the backends: for data movement, batched matmul and sums, everything that
// depends only on per-sample shapes and attributes, computed once per op and applied to every
// sample (as flat source indices, −1 where an output element takes a constant).
import * as nd from "./tensor.js";

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

/** Broadcast index map, or undefined when it is the identity (same shape). */
export function broadcastPlan(shape: readonly number[], outShape: readonly number[]): Int32Array | undefined {
  if (shape.length === outShape.length && shape.every((d, i) => d === outShape[i])) return undefined;
  return nd.broadcastIndex(shape, outShape);
}

/** `fhe.sum` over `axes` (none: every axis): the output element each input element adds into. */
export function reducePlan(shape: readonly number[], axes: readonly number[]): { map: Int32Array; outSize: number } {
  const { map, keptShape } = nd.reduceIndex(shape, axes.length === 0 ? shape.map((_, i) => i) : axes);
  return { map, outSize: nd.sizeOf(keptShape) };
}
