// Norm (MANP) analysis of an `fhe` function: the squared 2-norm ν² of the noise of every encrypted
// value, in units of a "unit noise" (a fresh encryption or a PBS output), and the list of noise
// constraints the crypto parameters must meet (docs/tfhe.md).
//
// Every encrypted element is one LWE ciphertext whose noise is a linear combination of independent
// sources: fresh encryptions (function inputs, variance σ²_glwe) and PBS outputs (table results,
// variance σ²_BR). The analysis tracks, per element, Σ c²·(source count) separately for the two
// kinds (`pbs` and `fresh`), so outputs that only depend on inputs are judged with σ²_glwe and
// table inputs with the right mix. ν² = pbs + fresh is the MANP (inputs and table outputs
// count 1; dot/matmul/conv2d with weights c give Σ c_i²·ν_i²; add adds; neg keeps; mul by c gives
// c²ν²; sum adds; data movement keeps; pad's constant is noiseless).
//
// Constraints:
// - `table`: one per table-lookup op (`apply_lookup_table`, `apply_mapped_lookup_table`): the PBS
//   reads its input at the input's precision p after keyswitch and modulus switch.
// - `round-bit`: `fhe.round {method = "exact"}` from P to q bits removes k = P − q bits, least
//   significant first, each with a 1-bit PBS. As lowered (passes/lower_tfhe.ts lowerExactRound),
//   the value is reinterpreted at precision P+1 as y_0 = 2x + 2^k (same ciphertext, same noise);
//   bit i is read after multiplying y_i by 2^(P−i), which puts that bit alone in the padding bit
//   (b·2^63, lower bits already cleared), plus a constant 2^61 that centres the read: the 1-bit PBS
//   is right while |noise·2^(P−i)| < 2^62 (a quarter of the torus). y_{i+1} = y_i + (PBS output)
//   − 2^i, so before read i the ciphertext carries ν²_in + i units. Exactly:
//     4^(P−i)·(ν²_in + i)·σ² + σ²_KS + σ²_MS ≤ (2^−2/κ)²,
//   recorded as the equivalent "precision 1, ν²_i = (ν²_in + i)·4^(P−1−i)" (for i = 0:
//   ν²·4^(P−1) at precision 1): identical on the ciphertext's own noise, and 4× stricter on the
//   keyswitch and modulus-switch terms (sound, and keeps every constraint a ≥ 1-bit read).
//   EXACT_ROUND_EXTRA_SHIFT = 1 gives the model of the earlier uncentred read (tolerance q/8).
//   The rounded result is y_k reinterpreted at precision q (Δ_q = 2^(k+1)·Δ_{P+1}): ν²_in + k.
//   With `last_step_bits` = d ≥ 2 only bits 0..k−d−1 are read so; the rest of the value (the top d
//   removed bits and the q kept ones) is read unscaled by one (d+q)-bit table after the k − d
//   steps: a `table` constraint at precision d + q with ν²_in + k − d (extractionRead), read
//   under the round result's partition, and the result is that table's output: ν² = 1.
//   `approximate` rounding is free: ν² is kept, and the next table reads the q-bit output.
// - sign casts (`to_signed`/`to_unsigned`) are lowered to a p-bit table lookup re-encoding the
//   value (the padding bit changes): a `table` constraint, and a result of ν² = 1.
// - `output`: every encrypted function result is decrypted by the client at its own width, with
//   its ν², after the keyswitch to the small key that compacts every output (no modulus switch).
// Each constraint takes the max over the elements of its value (a bound for every element), and
// `count` is the number of PBS / decryptions it stands for (elements), for global p_error.
import type { DenseAttr } from "../../ir/attributes.js";
import { asInts } from "../../ir/attributes.js";
import { applyLinearPlan, type Conv2dAttrs, conv2dAttrs, conv2dPlan } from "../../ir/conv_geometry.js";
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import { fail, formatLocation, type Location } from "../../ir/diagnostics.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import * as nd from "../../ir/tensor.js";
import { elementOf, intRange, shapeOf } from "../../ir/types.js";
import { roundDigits } from "../../ir/dialects/fhe.js";

export type ConstraintKind = "table" | "round-bit" | "output";

/** One correctness requirement: a p-bit read of a ciphertext whose noise is ν² unit noises. */
export interface NoiseConstraint {
  readonly kind: ConstraintKind;
  /** Bits read (the table input's width; 1 for an exact-rounding bit; the output's width). */
  readonly precision: number;
  /** ν² (max over the value's elements), the MANP. */
  readonly norm2: number;
  /**
   * Bound on the part of ν² made of PBS outputs (variance σ²_BR each). Default: `norm2` (every
   * unit counted as a PBS output, the conservative choice since σ²_BR > σ²_glwe).
   */
  readonly pbsNorm2?: number;
  /** Bound on the part of ν² made of fresh encryptions (variance σ²_glwe each). Default 0. */
  readonly freshNorm2?: number;
  /** How many PBS (or decryptions) this stands for; default 1. Used for the global p_error. */
  readonly count?: number;
  /** The op that reads (the table op, the round op, `func.return`). */
  readonly op?: string;
  readonly loc?: Location;
  /** Human description ("table input", "bit 2 of exact rounding", "output #0 of @main"). */
  readonly description?: string;
  /**
   * Bits the noise must resolve, when fewer than `precision`: a table reading an approximately
   * rounded value (an approximate `fhe.round`, or an `fhe.rescale` window that removes bits; one
   * with shift 0 reads exact integers and keeps `precision`) already accepts a result one step off
   * near a tie, so its bound is "never more than one step off" — the noise of a read one bit
   * narrower (`precision − 1`, at least 1). Default `precision`.
   */
  readonly noisePrecision?: number;
  /** The reading operation and the encrypted value it reads (partitioning follows them). */
  readonly reader?: Operation;
  readonly value?: Value;
}

/** ν² of one encrypted value (max over its elements). */
export interface ValueNorm {
  readonly norm2: number;
  readonly pbsNorm2: number;
  readonly freshNorm2: number;
}

export interface NormAnalysis {
  readonly norms: ReadonlyMap<Value, ValueNorm>;
  readonly constraints: readonly NoiseConstraint[];
  /** PBS executed per call (table elements + exact-rounding bits). */
  readonly pbsCount: number;
  /** Largest ν² among table and rounding-bit reads (0 when there is none). */
  readonly maxTableNorm2: number;
  /** Per-element ν² of every encrypted value, split into PBS-output and fresh units. */
  readonly elementNorms: ReadonlyMap<Value, { readonly pbs: Float64Array; readonly fresh: Float64Array }>;
}

/** Per-element noise of a value: `pbs` and `fresh` unit counts (same shape as the value). */
interface Noise {
  readonly pbs: nd.NDArray;
  readonly fresh: nd.NDArray;
}

const isEnc = (v: Value): boolean => elementOf(v.type).kind === "eint";

/** Whether a table input is the result of approximate rounding (through data movement). */
function readsApproximate(v: Value): boolean {
  const def = v.definingOp;
  if (!def) return false;
  // A window that removes no bits (shift 0 everywhere: a tree's path sums, a comparison's bit) reads
  // exact integers, with no rounding tie to excuse a step: its read is exact.
  if (def.name === "fhe.rescale") return (def.attr("shift") as DenseAttr).data.some((s) => s > 0);
  if (def.name === "fhe.round") return (def.attr("method") as { value: string }).value === "approximate";
  return DATA_MOVEMENT.has(def.name) && def.operands.length > 0 && def.operands.every((o) => !isEnc(o) || readsApproximate(o));
}

/**
 * Bits an approximate read's noise may leave unresolved: such a read already accepts a result one
 * step off near a tie, so its noise is bounded as for a read this many bits narrower.
 */
export const APPROXIMATE_READ_SLACK_BITS = 1;

/**
 * The noise standard deviation the parameters allow an approximate read, in steps of the value it
 * reads: half a step of the narrower read, over κ (the p_error's Gaussian quantile). The optimizer
 * spends this budget: on the digits MLP and CNN, every read sits at 0.6–1.0 of it.
 */
export function approximateReadStepStd(kappa: number): number {
  return 2 ** (APPROXIMATE_READ_SLACK_BITS - 1) / kappa;
}

/** Bits the noise of a constraint's read must resolve (see NoiseConstraint.noisePrecision). */
export function noiseBits(c: Pick<NoiseConstraint, "precision" | "noisePrecision">): number {
  return c.noisePrecision ?? c.precision;
}
const widthOf = (v: Value): number => (elementOf(v.type) as { width: number }).width;
const shape = (v: Value): number[] => shapeOf(v.type) as number[];

function map2(x: Noise, f: (a: nd.NDArray) => nd.NDArray): Noise {
  return { pbs: f(x.pbs), fresh: f(x.fresh) };
}

function filled(s: readonly number[], value: number): nd.NDArray {
  return { shape: [...s], data: new Float64Array(nd.sizeOf(s)).fill(value) };
}

function maxOf(a: nd.NDArray): number {
  let m = 0;
  for (const v of a.data) if (v > m) m = v;
  return m;
}

function summarize(x: Noise): ValueNorm {
  let norm2 = 0;
  for (let i = 0; i < x.pbs.data.length; i++) {
    const t = x.pbs.data[i]! + x.fresh.data[i]!;
    if (t > norm2) norm2 = t;
  }
  return { norm2, pbsNorm2: maxOf(x.pbs), freshNorm2: maxOf(x.fresh) };
}

// ---- linear maps on per-element squared norms (all coefficients are squared weights ≥ 0) --------

/** numpy matmul of non-negative arrays (1-D operands promoted and squeezed as in matmulShape). */
function matmul(a: nd.NDArray, b: nd.NDArray): nd.NDArray {
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const m = as[as.length - 2]!;
  const k = as[as.length - 1]!;
  const n = bs[bs.length - 1]!;
  const batch = nd.broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
  if (!batch || bs[bs.length - 2] !== k) throw new Error("norms: matmul shapes do not match");
  const ia = nd.broadcastIndex(as.slice(0, -2), batch);
  const ib = nd.broadcastIndex(bs.slice(0, -2), batch);
  const out = new Float64Array(ia.length * m * n);
  for (let t = 0; t < ia.length; t++) {
    const ao = ia[t]! * m * k;
    const bo = ib[t]! * k * n;
    const oo = t * m * n;
    for (let i = 0; i < m; i++) {
      for (let kk = 0; kk < k; kk++) {
        const av = a.data[ao + i * k + kk]!;
        if (av === 0) continue;
        const brow = bo + kk * n;
        const orow = oo + i * n;
        for (let j = 0; j < n; j++) out[orow + j] = out[orow + j]! + av * b.data[brow + j]!;
      }
    }
  }
  const outShape = [...batch];
  if (a.shape.length > 1) outShape.push(m);
  if (b.shape.length > 1) outShape.push(n);
  return { shape: outShape, data: out };
}

/** NCHW convolution of non-negative arrays; out-of-range (padded) inputs contribute nothing. */
function conv2d(x: nd.NDArray, w: nd.NDArray, attrs: Conv2dAttrs): nd.NDArray {
  const plan = conv2dPlan(x.shape, w.shape, attrs);
  return { shape: [...plan.outShape], data: applyLinearPlan(plan, x.data, w.data) };
}

/** Data movement shared by encrypted norms and known clear values. */
function move(op: Operation, inputs: readonly nd.NDArray[], padValue: number): nd.NDArray {
  const x = inputs[0]!;
  switch (op.name) {
    case "fhe.reshape":
      return nd.reshape(x, shape(op.result));
    case "fhe.transpose":
      return nd.transpose(x, asInts(op.attr("perm"))!);
    case "fhe.concat":
      return nd.concat(inputs, (op.attr("axis") as { value: number }).value);
    case "fhe.slice":
      return nd.slice(x, asInts(op.attr("starts"))!, asInts(op.attr("ends"))!, asInts(op.attr("steps"))!);
    case "fhe.pad":
      return nd.padConstant(x, asInts(op.attr("pads"))!, padValue);
    case "fhe.gather": {
      const idx = op.attr("indices") as DenseAttr;
      return nd.gather(x, { shape: idx.type.shape as number[], data: idx.data }, (op.attr("axis") as { value: number }).value);
    }
    default:
      throw new Error(`norms: ${op.name} is not data movement`);
  }
}

export const DATA_MOVEMENT: ReadonlySet<string> = new Set(["fhe.reshape", "fhe.transpose", "fhe.concat", "fhe.slice", "fhe.pad", "fhe.gather"]);
const KEEP = new Set(["fhe.neg_eint"]);
const SIGN_CASTS = new Set(["fhe.to_signed", "fhe.to_unsigned"]);

/**
 * Extra factor 4^s on the exact-rounding bit constraints: 0 for the centred read of the current
 * lowering (tolerance q/4, recorded at precision 1 with 4^(P−1−i)); 1 would model an uncentred
 * padding-bit read (tolerance q/8 on the tight side).
 */
export const EXACT_ROUND_EXTRA_SHIFT = 0;

/**
 * The read of one extraction step of an exact rounding from P to q bits (passes/lower_tfhe.ts
 * lowerExactRound) at bit i, as an equivalent table read: its precision and the factor on ν². A
 * 1-bit step reads the padding bit of the value scaled by 2^(P−i), centred: recorded as precision 1
 * at 4^(P−1−i), identical on the ciphertext's own noise and 4× stricter on the keyswitch and
 * modulus-switch terms (plus EXACT_ROUND_EXTRA_SHIFT). The last step of d ≥ 2 bits (i = P − q − d)
 * is a (d+q)-bit table read of the value as it is.
 */
export function extractionRead(P: number, i: number, d: number): { precision: number; amp: number } {
  return d === 1 ? { precision: 1, amp: 4 ** (P - 1 - i + EXACT_ROUND_EXTRA_SHIFT) } : { precision: P - i, amp: 1 };
}

/**
 * Squared norm analysis of `func` (a verified `fhe`-dialect function). Clear weights are read
 * from `arith.constant` (through data movement); a clear operand whose value is not known at
 * compile time is bounded by its type's range (|c| ≤ 2^(w−1) for a signed w-bit integer).
 */
export function analyzeNorms(func: FuncOp): NormAnalysis {
  const noise = new Map<Value, Noise>();
  const clear = new Map<Value, nd.NDArray>();
  const norms = new Map<Value, ValueNorm>();
  const constraints: NoiseConstraint[] = [];
  let pbsCount = 0;
  let maxTableNorm2 = 0;

  const get = (v: Value, op: Operation): Noise => {
    const x = noise.get(v);
    if (!x) fail("E0302", `crypto-params: no noise known for an operand of ${op.name}`, op.loc, op.name);
    return x;
  };
  /** c² for a clear operand, elementwise (its own shape). */
  const squares = (v: Value): nd.NDArray => {
    const known = clear.get(v);
    if (known) return nd.unaryOp(known, (c) => c * c);
    const e = elementOf(v.type);
    const r = e.kind === "int" ? intRange(e.width, e.signed) : { min: -(2 ** 53), max: 2 ** 53 };
    const m = Math.max(Math.abs(r.min), Math.abs(r.max));
    return filled(shape(v), m * m);
  };
  const set = (v: Value, x: Noise): void => {
    noise.set(v, x);
    norms.set(v, summarize(x));
  };
  const where = (op: Operation): string => (op.loc.kind === "unknown" ? "" : ` at ${formatLocation(op.loc)}`);

  for (const a of func.args) if (isEnc(a)) set(a, { pbs: filled(shape(a), 0), fresh: filled(shape(a), 1) });

  for (const op of func.body.ops) {
    const outShape = op.results.length === 1 ? shape(op.result) : [];
    switch (op.name) {
      case "arith.constant": {
        const d = op.attr("value") as DenseAttr;
        clear.set(op.result, { shape: d.type.shape as number[], data: d.data });
        continue;
      }
      case "func.return": {
        op.operands.forEach((v, i) => {
          if (!isEnc(v)) return;
          const n = norms.get(v) ?? summarize(get(v, op));
          constraints.push({
            kind: "output",
            precision: widthOf(v),
            norm2: n.norm2,
            pbsNorm2: n.pbsNorm2,
            freshNorm2: n.freshNorm2,
            count: nd.sizeOf(shape(v)),
            op: op.name,
            loc: op.loc,
            description: `output #${i} of @${func.name}`,
            reader: op,
            value: v,
          });
        });
        continue;
      }
    }
    if (DATA_MOVEMENT.has(op.name)) {
      if (isEnc(op.result)) {
        const xs = op.operands.map((v) => get(v, op));
        set(op.result, {
          pbs: move(op, xs.map((x) => x.pbs), 0),
          fresh: move(op, xs.map((x) => x.fresh), 0),
        });
      } else if (op.operands.every((v) => clear.has(v))) {
        clear.set(op.result, move(op, op.operands.map((v) => clear.get(v)!), (op.attr("value") as { value: number } | undefined)?.value ?? 0));
      }
      continue;
    }
    if (op.results.length !== 1 || !isEnc(op.result)) {
      // Clear arithmetic (weights not folded yet): evaluate it through the op's own folder.
      const def = defaultRegistry.get(op.name);
      if (op.results.length === 1 && def?.fold && op.operands.every((v) => clear.has(v))) {
        const consts = op.operands.map((v) => {
          const a = clear.get(v)!;
          return { kind: "dense", type: { kind: "tensor", shape: a.shape, element: elementOf(v.type) }, data: a.data } as DenseAttr;
        });
        const folded = def.fold(op, consts);
        if (folded?.kind === "constants") {
          const d = folded.values[0]!;
          clear.set(op.result, { shape: d.type.shape as number[], data: d.data });
        } else if (folded?.kind === "values" && clear.has(folded.values[0]!)) {
          clear.set(op.result, clear.get(folded.values[0]!)!);
        }
      }
      continue;
    }
    const bcast = (x: Noise): Noise => map2(x, (a) => nd.broadcastTo(a, outShape));
    switch (op.name) {
      case "fhe.add_eint":
      case "fhe.sub_eint": {
        const a = get(op.operands[0]!, op);
        const b = get(op.operands[1]!, op);
        set(op.result, bcast({ pbs: nd.binaryOp(a.pbs, b.pbs, (x, y) => x + y), fresh: nd.binaryOp(a.fresh, b.fresh, (x, y) => x + y) }));
        break;
      }
      case "fhe.add_eint_int":
      case "fhe.sub_eint_int":
        set(op.result, bcast(get(op.operands[0]!, op)));
        break;
      case "fhe.sub_int_eint":
        set(op.result, bcast(get(op.operands[1]!, op)));
        break;
      case "fhe.mul_eint_int": {
        const c2 = squares(op.operands[1]!);
        set(op.result, bcast(map2(get(op.operands[0]!, op), (a) => nd.binaryOp(a, c2, (x, y) => x * y))));
        break;
      }
      case "fhe.dot_eint_int": {
        const c2 = squares(op.operands[1]!);
        set(op.result, map2(get(op.operands[0]!, op), (a) => {
          let s = 0;
          for (let i = 0; i < a.data.length; i++) s += a.data[i]! * c2.data[i]!;
          return { shape: [], data: Float64Array.of(s) };
        }));
        break;
      }
      case "fhe.matmul_eint_int": {
        const c2 = squares(op.operands[1]!);
        set(op.result, map2(get(op.operands[0]!, op), (a) => matmul(a, c2)));
        break;
      }
      case "fhe.matmul_int_eint": {
        const c2 = squares(op.operands[0]!);
        set(op.result, map2(get(op.operands[1]!, op), (b) => matmul(c2, b)));
        break;
      }
      case "fhe.conv2d": {
        const w2 = squares(op.operands[1]!);
        const attrs = conv2dAttrs(op);
        set(op.result, map2(get(op.operands[0]!, op), (x) => conv2d(x, w2, attrs)));
        break;
      }
      case "fhe.sum": {
        const x = get(op.operands[0]!, op);
        const axes0 = asInts(op.attr("axes"))!;
        const axes = axes0.length === 0 ? x.pbs.shape.map((_, i) => i) : axes0;
        const keep = (op.attr("keep_dims") as { value: boolean }).value;
        set(op.result, map2(x, (a) => nd.reduceSum(a, axes, keep)));
        break;
      }
      case "fhe.apply_lookup_table":
      case "fhe.apply_mapped_lookup_table":
      case "fhe.to_signed":
      case "fhe.to_unsigned": {
        const input = op.operands[0]!;
        const n = norms.get(input) ?? summarize(get(input, op));
        const count = nd.sizeOf(shape(input));
        constraints.push({
          kind: "table",
          precision: widthOf(input),
          ...(readsApproximate(input) ? { noisePrecision: Math.max(1, widthOf(input) - APPROXIMATE_READ_SLACK_BITS) } : {}),
          norm2: n.norm2,
          pbsNorm2: n.pbsNorm2,
          freshNorm2: n.freshNorm2,
          count,
          op: op.name,
          loc: op.loc,
          description: SIGN_CASTS.has(op.name) ? `${widthOf(input)}-bit sign cast (a table lookup)${where(op)}` : `${widthOf(input)}-bit table input${where(op)}`,
          reader: op,
          value: input,
        });
        pbsCount += count;
        maxTableNorm2 = Math.max(maxTableNorm2, n.norm2);
        set(op.result, { pbs: filled(outShape, 1), fresh: filled(outShape, 0) });
        break;
      }
      case "fhe.rescale": {
        // Lowered as (x − offset)·2^j, then read at q bits with j = P − q − shift (the window drops
        // the top j bits): the noise is amplified by 2^j per element.
        const P = widthOf(op.operands[0]!);
        const q = widthOf(op.result);
        const shifts = (op.attr("shift") as DenseAttr).data;
        const x = bcast(get(op.operands[0]!, op));
        const amp = (e: number) => 4 ** (P - q - (shifts.length === 1 ? shifts[0]! : shifts[e]!));
        const scale = (a: nd.NDArray) => ({ shape: a.shape, data: a.data.map((v, e) => v * amp(e)) });
        set(op.result, { pbs: scale(x.pbs), fresh: scale(x.fresh) });
        break;
      }
      case "fhe.round": {
        const x = get(op.operands[0]!, op);
        const method = (op.attr("method") as { value: string }).value;
        if (method !== "exact") {
          set(op.result, x);
          break;
        }
        const P = widthOf(op.operands[0]!);
        const digits = roundDigits(op);
        const n = summarize(x);
        const count = nd.sizeOf(outShape);
        let i = 0;
        digits.forEach((d, s) => {
          // Step s has s PBS outputs added before it; its read is the one of lower_tfhe's step.
          const { precision, amp } = extractionRead(P, i, d);
          const total = (n.norm2 + s) * amp;
          constraints.push({
            // The wide last step is a table read of the partly cleared value, under the result's key.
            kind: d === 1 ? "round-bit" : "table",
            precision,
            norm2: total,
            pbsNorm2: (n.pbsNorm2 + s) * amp,
            freshNorm2: n.freshNorm2 * amp,
            count,
            op: op.name,
            loc: op.loc,
            description: `${d === 1 ? `bit ${i}` : `bits ${i}..${P - 1} (a ${precision}-bit table)`} of the exact rounding ${P} → ${widthOf(op.result)} bits${where(op)} (ν² (${n.norm2} + ${s}) × 4^${Math.log2(amp) / 2})`,
            reader: op,
            value: op.operands[0]!,
          });
          maxTableNorm2 = Math.max(maxTableNorm2, total);
          i += d;
        });
        pbsCount += digits.length * count;
        // Bit by bit, the result is the input plus the k PBS outputs subtracted; after a wide last
        // step it is that table's output.
        const wideLast = digits[digits.length - 1]! > 1;
        set(op.result, wideLast ? { pbs: nd.unaryOp(x.pbs, () => 1), fresh: nd.unaryOp(x.fresh, () => 0) } : { pbs: nd.unaryOp(x.pbs, (v) => v + digits.length), fresh: x.fresh });
        break;
      }
      default:
        if (KEEP.has(op.name)) {
          set(op.result, get(op.operands[0]!, op));
          break;
        }
        fail("E0302", `crypto-params: no noise rule for '${op.name}' (expects the fhe dialect)`, op.loc, op.name);
    }
  }
  const elementNorms = new Map<Value, { pbs: Float64Array; fresh: Float64Array }>();
  for (const [v, x] of noise) elementNorms.set(v, { pbs: Float64Array.from(x.pbs.data), fresh: Float64Array.from(x.fresh.data) });
  return { norms, constraints, pbsCount, maxTableNorm2, elementNorms };
}
