// Small helpers of the quantizer's lowering: shapes, constants, attribute builders.
import { type Attribute, type DenseAttr } from "../../ir/attributes.js";
import { fail, type Location } from "../../ir/diagnostics.js";
import { type NDArray, sizeOf, stridesOf } from "../../ir/tensor.js";
import { type ElementType, type TensorType, intType, typeToString } from "../../ir/types.js";
import { type ConstRepr, type EncRepr, scalarOf } from "./repr.js";

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function arrayOf(d: DenseAttr): NDArray {
  return { shape: [...(d.type.shape as number[])], data: d.data };
}

/** The per-sample shape of an onnx type: the leading (batch) dimension becomes 1. */
export function perSample(t: TensorType, what: string, loc: Location): number[] {
  return t.shape.map((d, i) => {
    if (d !== null) return i === 0 ? d : d;
    if (i === 0) return 1;
    return fail("E0601", `${what} has a dynamic dimension ${i} (${typeToString(t)}); only the batch dimension may be dynamic`, loc);
  });
}

/** Smallest signed clear integer type holding the values. */
export function clearIntType(values: Float64Array): ElementType {
  let w = 2;
  for (const v of values) {
    while (v < -(2 ** (w - 1)) || v > 2 ** (w - 1) - 1) w++;
  }
  return intType(w);
}

export function compact(a: Float64Array): Float64Array {
  const s = scalarOf(a);
  return s !== undefined ? Float64Array.of(s) : a;
}

export function ints(values: readonly number[]): Attribute {
  return { kind: "array", items: values.map((value) => ({ kind: "int", value })) };
}

export function spanOf(lo: Float64Array, hi: Float64Array): { lo: number; hi: number } {
  let l = Infinity;
  let h = -Infinity;
  for (let i = 0; i < lo.length; i++) {
    l = Math.min(l, lo[i]!);
    h = Math.max(h, hi[i]!);
  }
  return { lo: l, hi: h };
}

/** Scale and zero point depend only on the last axis (what a matmul can fold into its weights). */
export function variesOnlyAlongLastAxis(r: EncRepr): boolean {
  const k = r.shape[r.shape.length - 1]!;
  const ok = (a: Float64Array) => a.length === 1 || a.every((v, i) => v === a[i % k]);
  return ok(r.scale) && ok(r.zeroPoint);
}

export function transposeConst(c: ConstRepr): ConstRepr {
  const [r, k] = c.value.shape as [number, number];
  const t = (a: NDArray): NDArray => {
    const out = new Float64Array(a.data.length);
    for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) out[j * r + i] = a.data[i * k + j]!;
    return { shape: [k, r], data: out };
  };
  const q = c.quantized;
  return {
    kind: "const",
    value: t(c.value),
    element: c.element,
    ...(q ? { quantized: { ...q, q: t(q.q), axis: q.axis === undefined ? undefined : 1 - q.axis } } : {}),
  };
}

/** A constant broadcast to a per-sample shape, as a flat array. */
export function broadcastConst(c: NDArray, shape: readonly number[], loc: Location): Float64Array {
  const n = sizeOf(shape);
  if (c.data.length === 1) return new Float64Array(n).fill(c.data[0]!);
  const cs = c.shape.length > shape.length && c.shape[0] === 1 ? c.shape.slice(1) : c.shape;
  const offset = shape.length - cs.length;
  if (offset < 0 || cs.some((d, i) => d !== 1 && d !== shape[offset + i])) {
    return fail("E0601", `constant of shape ${JSON.stringify(c.shape)} does not broadcast to ${JSON.stringify(shape)}`, loc);
  }
  const out = new Float64Array(n);
  const outStrides = stridesOf(shape);
  const inStrides = stridesOf(cs);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < cs.length; d++) {
      const idx = Math.floor(i / outStrides[offset + d]!) % shape[offset + d]!;
      if (cs[d] !== 1) src += idx * inStrides[d]!;
    }
    out[i] = c.data[src]!;
  }
  return out;
}

/** Number of positions of a window [start, start + k) that fall inside [0, size). */
export function overlap(start: number, k: number, size: number): number {
  return Math.max(0, Math.min(start + k, size) - Math.max(start, 0));
}
