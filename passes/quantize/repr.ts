// How the quantizer represents each ONNX value while it lowers the graph to the `fhe` dialect.
import type { Operation, Value } from "../../ir/core.js";
import type { NDArray } from "../../ir/tensor.js";
import { type EncryptedIntType, type ElementType, intRange } from "../../ir/types.js";

/**
 * An encrypted integer tensor `v` whose real value is scale · (q − zeroPoint), elementwise.
 * `scale`/`zeroPoint` hold one value (per tensor) or one per element of `shape`; zero points
 * may be fractional (affine ops and biases fold into them exactly, at no cost).
 * [lo, hi] is a sound bound on every element's integer value.
 */
export interface EncRepr {
  readonly kind: "enc";
  readonly value: Value;
  /** Per-sample shape (the batch dimension is 1). */
  readonly shape: readonly number[];
  readonly scale: Float64Array;
  readonly zeroPoint: Float64Array;
  readonly lo: number;
  readonly hi: number;
  /**
   * Produced by a table lookup or by the client: its ciphertext class is its own, so a linear op
   * may consume it without widening what other tables read.
   */
  readonly fresh: boolean;
}

/** A clear constant; weights that came through DequantizeLinear keep their integer form. */
export interface ConstRepr {
  readonly kind: "const";
  readonly value: NDArray;
  readonly element: ElementType;
  readonly quantized?: { readonly q: NDArray; readonly scale: NDArray; readonly zeroPoint: NDArray; readonly axis: number | undefined };
}

/** One elementwise ONNX op applied to the flowing value; the other operands are constants. */
export interface ChainStep {
  readonly op: Operation;
  readonly flowIndex: number;
  readonly constants: readonly (NDArray | undefined)[];
}

/**
 * A univariate elementwise function of an encrypted value, not yet tabulated: real =
 * steps(src real). Materialized as one table lookup when a linear op (or an output) needs it.
 */
export interface DeferredRepr {
  readonly kind: "deferred";
  readonly src: EncRepr;
  readonly steps: readonly ChainStep[];
  readonly shape: readonly number[];
  /** True while the chain's output is an integer code (after QuantizeLinear, before DequantizeLinear). */
  readonly integerCode: boolean;
}

/** A value computed in the clear by the client after decryption (post-processing). */
export interface PostRepr {
  readonly kind: "post";
  /** The value in the post-processing function. */
  readonly value: Value;
}

export type Repr = EncRepr | ConstRepr | DeferredRepr | PostRepr;

export function scalarOf(a: Float64Array): number | undefined {
  if (a.length === 1) return a[0];
  const first = a[0]!;
  return a.every((v) => v === first) ? first : undefined;
}

export function at(a: Float64Array, i: number): number {
  return a.length === 1 ? a[0]! : a[i]!;
}

/** The smallest encrypted integer type holding [lo, hi]. */
export function typeForInterval(lo: number, hi: number): EncryptedIntType {
  // Every bound comes from finite data; a non-finite one is a bug upstream, not a width to search.
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`internal error: no integer type holds the interval [${lo}, ${hi}]`);
  if (lo >= 0) {
    let w = 1;
    while (2 ** w - 1 < hi) w++;
    return { kind: "eint", width: w, signed: false };
  }
  let w = 2;
  for (;;) {
    const r = intRange(w, true);
    if (r.min <= lo && hi <= r.max) return { kind: "eint", width: w, signed: true };
    w++;
  }
}

export function bitsOfInterval(lo: number, hi: number): number {
  return typeForInterval(lo, hi).width;
}

/** The integer a table index stands for under an encrypted type (two's complement when signed). */
export function valueOfIndex(index: number, t: EncryptedIntType): number {
  if (!t.signed) return index;
  const half = 2 ** (t.width - 1);
  return index >= half ? index - 2 ** t.width : index;
}
