// Shape inference rules shared by the `fhe`, `tfhe` and `onnx` dialects' verifiers and builders.
import { sliceLength } from "../tensor.js";

/** Result shape of a batched matmul [..., M, K] x [..., K, N]; undefined when inner dims differ. */
export function matmulShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  if (a.length < 1 || b.length < 1) return undefined;
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  if (k1 !== k2) return undefined;
  const batchA = a2.slice(0, -2);
  const batchB = b2.slice(0, -2);
  const n = Math.max(batchA.length, batchB.length);
  const batch: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = batchA[batchA.length - n + i] ?? 1;
    const db = batchB[batchB.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    batch.push(Math.max(da, db));
  }
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

export function isPermutation(perm: readonly number[], rank: number): boolean {
  if (perm.length !== rank) return false;
  const seen = new Set(perm);
  return seen.size === rank && perm.every((p) => Number.isInteger(p) && p >= 0 && p < rank);
}

/** Result shape of a static slice whose bounds are already normalised (0 ≤ start ≤ dim, etc.). */
export function sliceShape(starts: readonly number[], ends: readonly number[], steps: readonly number[]): number[] {
  return starts.map((s, i) => sliceLength(s, ends[i]!, steps[i]!));
}

export function reduceShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const r = shape.length;
  const set = new Set(axes.map((a) => (a < 0 ? a + r : a)));
  return keepDims ? shape.map((d, i) => (set.has(i) ? 1 : d)) : shape.filter((_, i) => !set.has(i));
}
