// rounding: keeps only the top `bits` bits of an accumulator before each table lookup (and,
// optionally, of wide function results): inserts `fhe.round` and resamples the table so the lookup
// computes f(2^k · round(x / 2^k)). Re-runs the bit-width unification afterwards.
import { type Attribute, type DenseAttr, denseAttr, dictAttr, floatAttr, intAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { FuncOp, Operation, Value } from "../ir/core.js";
import { tableIndex } from "../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, intRange, type TensorType, withElement } from "../ir/types.js";
import { analyzeIntervals, applyBitwidths, type Interval, roundExact, TABLE_OPS } from "./bitwidth.js";
import { countingPass, type Pass } from "./pass.js";

export type RoundingMethod = "exact" | "approximate";

export interface RoundingOptions {
  /** Keep this many bits before each table (0: off). */
  readonly bits: number;
  readonly method: RoundingMethod;
  /** Also round function results wider than `outputBits` (scales in `fhec.outputs` are multiplied by 2^k). */
  readonly outputs?: boolean;
  /** Bits kept in rounded function results (default: `bits`). */
  readonly outputBits?: number;
}

const encOf = (v: Value): EncryptedIntType => elementOf(v.type) as EncryptedIntType;

/**
 * The shift k ≥ p − q for a p-bit value with interval `iv` rounded to q bits: the smallest k such
 * that the rounded interval fits q bits (k grows when the top would round past the q-bit range).
 */
export function chooseShift(p: number, q: number, signed: boolean, iv: Interval): number {
  const { min, max } = intRange(q, signed);
  let k = Math.max(1, p - q);
  while (roundExact(iv.hi, k) > max || Math.floor(iv.lo / 2 ** k) < min) k++;
  return k;
}

interface Inserted {
  readonly round: Operation;
  readonly shift: number;
}

function insertRound(before: Operation, x: Value, q: number, k: number, method: RoundingMethod): Inserted {
  const e = encOf(x);
  const round = Builder.before(before).create(
    "fhe.round",
    [x],
    [withElement(x.type, { kind: "eint", width: q, signed: e.signed })],
    { method: { kind: "string", value: method } },
    { loc: before.loc },
  );
  return { round, shift: k };
}

/** new[j] = old[idx(clamp(j · 2^k to the old domain))] for every j of the q-bit domain. */
export function resampleTables(tables: Float64Array, oldIn: EncryptedIntType, q: number, k: number): Float64Array {
  const oldSize = 2 ** oldIn.width;
  const rows = tables.length / oldSize;
  const od = intRange(oldIn.width, oldIn.signed);
  const nd = intRange(q, oldIn.signed);
  const out = new Float64Array(rows * 2 ** q);
  for (let t = 0; t < rows; t++) {
    for (let j = nd.min; j <= nd.max; j++) {
      const v = Math.min(Math.max(j * 2 ** k, od.min), od.max);
      out[t * 2 ** q + tableIndex(j, q)] = tables[t * oldSize + tableIndex(v, oldIn.width)]!;
    }
  }
  return out;
}

function scaleOutputs(func: FuncOp, index: number, k: number): void {
  const outs = func.attributes.get("fhec.outputs");
  if (!outs || outs.kind !== "array") return;
  const entry = outs.items[index];
  if (!entry || entry.kind !== "dict") return;
  const entries = new Map(entry.entries);
  const scale = entries.get("scale");
  const zeroPoint = entries.get("zero_point");
  // real = s·(y − z) with y ≈ 2^k·y': the scale grows by 2^k and the zero point shrinks by it.
  const by = (f: number) => (a: Attribute): Attribute => (a.kind === "int" || a.kind === "float" ? floatAttr(a.value * f) : a);
  const apply = (a: Attribute, f: number): Attribute => (a.kind === "array" ? { kind: "array", items: a.items.map(by(f)) } : by(f)(a));
  if (scale) entries.set("scale", apply(scale, 2 ** k));
  if (zeroPoint) entries.set("zero_point", apply(zeroPoint, 2 ** -k));
  entries.set("rounding_shift", intAttr(k));
  const items = [...outs.items];
  items[index] = dictAttr(entries);
  func.attributes.set("fhec.outputs", { kind: "array", items });
}

export function roundFunc(func: FuncOp, opts: RoundingOptions): { rounded: number } {
  if (opts.bits <= 0) return { rounded: 0 };
  // Start from valid, minimal types so that p is the real precision of each table input.
  applyBitwidths(func);
  const intervals = analyzeIntervals(func);
  const shifts = new Map<Operation, number>();
  let rounded = 0;
  for (const op of [...func.body.ops]) {
    if (!TABLE_OPS.has(op.name)) continue;
    const x = op.operands[0]!;
    const e = encOf(x);
    if (e.width <= opts.bits) continue;
    const q = opts.bits;
    const k = chooseShift(e.width, q, e.signed, intervals.get(x)!);
    const { round } = insertRound(op, x, q, k, opts.method);
    shifts.set(round, k);
    const key = op.name === "fhe.apply_lookup_table" ? "table" : "tables";
    const attr = op.attr(key) as DenseAttr;
    const data = resampleTables(attr.data, e, q, k);
    const shape = key === "table" ? [data.length] : [attr.type.shape[0]!, 2 ** q];
    op.attributes.set(key, denseAttr({ kind: "tensor", shape, element: attr.type.element } as TensorType, data));
    op.setOperand(0, round.result);
    rounded++;
  }
  const outBits = opts.outputBits && opts.outputBits > 0 ? opts.outputBits : opts.bits;
  if (opts.outputs) {
    const ret = func.body.terminator!;
    ret.operands.forEach((v, i) => {
      if (elementOf(v.type).kind !== "eint") return;
      const e = encOf(v);
      if (e.width <= outBits) return;
      const k = chooseShift(e.width, outBits, e.signed, intervals.get(v)!);
      const { round } = insertRound(ret, v, outBits, k, opts.method);
      shifts.set(round, k);
      ret.setOperand(i, round.result);
      scaleOutputs(func, i, k);
      rounded++;
    });
  }
  if (rounded > 0) applyBitwidths(func, { roundShift: shifts });
  return { rounded };
}

export const roundingPass: Pass = countingPass({
  name: "rounding",
  summary: "Round accumulators to `bits` bits before table lookups (exact or approximate)",
  options: {
    bits: { type: "int", default: 0, doc: "bits kept before each table lookup (0: off)" },
    method: { type: "string", default: "exact", choices: ["exact", "approximate"], doc: "exact or approximate rounding" },
    outputs: { type: "bool", default: false, doc: "also round function results wider than `output-bits`" },
    "output-bits": { type: "int", default: 0, doc: "bits kept in rounded function results (0: `bits`)" },
  },
  counted: "rounded",
  rewrite(module, options) {
    const settings = {
      bits: options["bits"] as number,
      method: options["method"] as RoundingMethod,
      outputs: options["outputs"] as boolean,
      outputBits: options["output-bits"] as number,
    };
    return module.funcs.reduce((n, func) => n + roundFunc(func, settings).rounded, 0);
  },
});
