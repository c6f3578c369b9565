// Tabulating a univariate function of an encrypted value: evaluate it on every reachable input
// (optionally after rounding away low bits), quantize the outputs, and deduplicate the per-element
// tables into one `apply_lookup_table` or an `apply_mapped_lookup_table`.
import { denseAttr } from "../../ir/attributes.js";
import type { Builder } from "../../ir/builder.js";
import { fail, type Location } from "../../ir/diagnostics.js";
import type { NDArray } from "../../ir/tensor.js";
import { elementOf, type EncryptedIntType, i64, tensor, withElement } from "../../ir/types.js";
import { type Quantizer, quantizeScalar } from "./qparams.js";
import { at, bitsOfInterval, type EncRepr, typeForInterval, valueOfIndex } from "./repr.js";

export interface RoundingConfig {
  /** Tables read at most this many bits; wider inputs are rounded first (0: never round). */
  readonly bits: number;
  readonly method: "exact" | "approximate";
  /** Refuse to tabulate inputs wider than this without rounding. */
  readonly maxTableBits: number;
}

/** round-half-up division by 2^k, as `fhe.round` computes it. */
export function roundShift(x: number, k: number): number {
  return k === 0 ? x : Math.floor((x + 2 ** (k - 1)) / 2 ** k);
}

/** The number of low bits to drop so that [lo, hi] rounded fits `bits` bits (same signedness). */
export function roundingShift(lo: number, hi: number, bits: number): number {
  let k = 0;
  while (bitsOfInterval(roundShift(lo, k), roundShift(hi, k)) > bits || (lo < 0 && bits < 2)) {
    k++;
    if (k > 62) break;
  }
  return k;
}

/** A 32-bit hash of a column of integer codes (FNV-1a over their low 32 bits). */
function hashCodes(col: Float64Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < col.length; i++) h = Math.imul(h ^ (col[i]! | 0), 0x01000193);
  return h >>> 0;
}

function sameCodes(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A function of a tensor that applies `g` to every value alone, the same for every element. */
export interface Pointwise {
  (reals: NDArray): NDArray;
  readonly pointwise: (v: number) => number;
}

/** `g` applied value by value, marked so that tabulate evaluates it once for all elements that share an encoding. */
export function pointwise(g: (v: number) => number): Pointwise {
  return Object.assign((x: NDArray): NDArray => ({ shape: x.shape, data: x.data.map(g) }), { pointwise: g });
}

/**
 * Builds the lookup of `f` over the reachable values of `src` and emits it.
 * `f` receives a [D, …] tensor of real inputs (D reachable values along the batch axis) and
 * returns the real outputs in the same layout. `out` quantizes the outputs, or "integer" when
 * `f` already yields integer codes.
 */
export function tabulate(
  builder: Builder,
  src: EncRepr,
  f: (reals: NDArray) => NDArray,
  out: Quantizer | "integer",
  rounding: RoundingConfig,
  loc: Location,
  opName: string,
  resultName?: string,
): EncRepr {
  let value = src.value;
  let lo = src.lo;
  let hi = src.hi;
  let k = 0;
  const needed = bitsOfInterval(lo, hi);
  if (rounding.bits > 0 && needed > rounding.bits) {
    k = roundingShift(lo, hi, rounding.bits);
    lo = roundShift(lo, k);
    hi = roundShift(hi, k);
    const t = typeForInterval(lo, hi);
    const rt = src.lo < 0 && !t.signed ? { ...t, signed: true, width: t.width + 1 } : t;
    // `fhe.round` drops (input width − output width) bits: declare the (provisional) input type so
    // that difference is k; bit-width unification keeps k when it settles the final widths.
    value.type = withElement(value.type, { kind: "eint", width: rt.width + k, signed: rt.signed });
    value = builder.create("fhe.round", [value], [tensor(src.shape, rt)], { method: { kind: "string", value: rounding.method } }, { loc }).result;
  } else if (needed > rounding.maxTableBits) {
    fail(
      "E0601",
      `a table lookup would read a ${needed}-bit value (range [${lo}, ${hi}]); tables read at most ${rounding.maxTableBits} bits: ` +
        "set roundingThresholdBits (e.g. 8) or use fewer bits for weights and activations",
      loc,
      opName,
    );
  }

  const domain = hi - lo + 1;
  const perSample = src.shape.slice(1).reduce((a, b) => a * b, 1);
  // A pointwise function of one encoding for every element gives every element the same column:
  // computed once (the deduplication below would find the copies identical).
  const shared = "pointwise" in f && src.scale.length === 1 && src.zeroPoint.length === 1;
  const columnCount = shared ? 1 : perSample;
  const reals = new Float64Array(domain * columnCount);
  for (let t = 0; t < domain; t++) {
    const v = (lo + t) * 2 ** k;
    for (let e = 0; e < columnCount; e++) reals[t * columnCount + e] = at(src.scale, e) * (v - at(src.zeroPoint, e));
  }
  const y = f({ shape: shared ? [domain, 1] : [domain, ...src.shape.slice(1)], data: reals });
  if (y.data.length !== domain * columnCount) {
    fail("E0601", `the function applied here changes the number of elements (${columnCount} → ${y.data.length / domain})`, loc, opName);
  }

  // One column (table over the reachable values) per element; identical columns share a table
  // (found by a hash of the integer codes, then compared entry by entry).
  const tableIndexOf = new Map<number, number[]>();
  const columns: Float64Array[] = [];
  // Element → table (all 0 when the column is shared).
  const map = new Float64Array(perSample);
  let outLo = Infinity;
  let outHi = -Infinity;
  for (let e = 0; e < columnCount; e++) {
    const col = new Float64Array(domain);
    for (let t = 0; t < domain; t++) {
      const r = y.data[t * columnCount + e]!;
      if (!Number.isFinite(r)) {
        fail("E0601", `the function applied here gives ${r} for a reachable input (${(lo + t) * 2 ** k} of element ${e})`, loc, opName);
      }
      const q = out === "integer" ? r : quantizeScalar(r, out);
      if (!Number.isInteger(q)) fail("E0601", `expected integer codes, got ${q}`, loc, opName);
      col[t] = q;
      if (q < outLo) outLo = q;
      if (q > outHi) outHi = q;
    }
    const key = hashCodes(col);
    const sameHash = tableIndexOf.get(key) ?? [];
    let idx = sameHash.find((i) => sameCodes(columns[i]!, col));
    if (idx === undefined) {
      idx = columns.length;
      tableIndexOf.set(key, [...sameHash, idx]);
      columns.push(col);
    }
    map[e] = idx;
  }

  // Full tables over the input type's 2^p patterns; unreachable entries repeat the nearest reachable one.
  const inType = elementOf(value.type) as EncryptedIntType;
  const size = 2 ** inType.width;
  const full = (col: Float64Array) => {
    const table = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const v = Math.min(hi, Math.max(lo, valueOfIndex(i, inType)));
      table[i] = col[v - lo]!;
    }
    return table;
  };
  const resultType = tensor(src.shape, typeForInterval(outLo, outHi));
  const names = resultName ? { names: [resultName] } : {};
  let result;
  if (columns.length === 1) {
    result = builder.create("fhe.apply_lookup_table", [value], [resultType], { table: denseAttr(tensor([size], i64), full(columns[0]!)) }, { loc, ...names });
  } else {
    const tables = new Float64Array(columns.length * size);
    columns.forEach((c, i) => tables.set(full(c), i * size));
    result = builder.create(
      "fhe.apply_mapped_lookup_table",
      [value],
      [resultType],
      {
        tables: denseAttr(tensor([columns.length, size], i64), tables),
        map: denseAttr(tensor(src.shape, i64), broadcastMap(map, src.shape)),
      },
      { loc, ...names },
    );
  }
  return {
    kind: "enc",
    value: result.result,
    shape: src.shape,
    scale: Float64Array.of(out === "integer" ? 1 : out.scale),
    zeroPoint: Float64Array.of(out === "integer" ? 0 : out.zeroPoint),
    lo: outLo,
    hi: outHi,
    fresh: true,
  };
}

/** The per-sample map covers every element of the (batch-1) shape: same data. */
function broadcastMap(map: Float64Array, shape: readonly number[]): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (map.length !== n) throw new Error("mapped table: map size mismatch");
  return map;
}
