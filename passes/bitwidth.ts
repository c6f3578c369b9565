// bitwidth: sound interval analysis over the `fhe` IR, then the smallest precision per encrypted
// value, unified where the verifier requires one shared encrypted type; rewrites every type
// (function signature included) and re-indexes the tables whose input type changed.
import { type ArrayAttr, arrayAttr, asInts, type DenseAttr, denseAttr, intsAttr, stringAttr } from "../ir/attributes.js";
import { conv2dAttrs, conv2dPlan } from "../ir/conv_geometry.js";
import type { FuncOp, ModuleOp, Operation, Value } from "../ir/core.js";
import { fail } from "../ir/diagnostics.js";
import { tableIndex } from "../ir/dialects/fhe.js";
import * as nd from "../ir/tensor.js";
import { elementOf, type EncryptedIntType, intRange, shapeOf, type TensorType, type Type, withElement } from "../ir/types.js";
import type { Pass, PassReport } from "./pass.js";

export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

export type BoundsMode = "static" | "calibration";

export interface BitwidthOptions {
  /**
   * `calibration`: use `fhec.calib_range = [lo, hi]` on defining ops where present (tighter, may
   * overflow). Default: what `fhec.bounds` on the function says (set by a calibration run), else static.
   */
  readonly bounds?: BoundsMode;
  /**
   * Shift k of `fhe.round` ops whose types are not final yet (the rounding pass inserts round ops
   * then lets the unification choose the widths); default: input width − output width.
   */
  readonly roundShift?: ReadonlyMap<Operation, number>;
}

/** Widest table input the pass accepts (a table of 2^24 entries). */
export const MAX_TABLE_INPUT_BITS = 24;

export const CALIB_ATTR = "fhec.calib_range";
/** A sound bound proven by the op's producer, tighter than interval arithmetic can see. */
export const PROVEN_ATTR = "fhec.bound";
/** Set on a function by `bitwidth{bounds=calibration}`, so later analyses use the same bounds. */
export const BOUNDS_ATTR = "fhec.bounds";
export const ARG_RANGES_ATTR = "fhec.arg_ranges";

const isEnc = (v: Value): boolean => elementOf(v.type).kind === "eint";
const encOf = (v: Value): EncryptedIntType => elementOf(v.type) as EncryptedIntType;
const perSample = (t: Type): number[] => shapeOf(t) as number[];

export const TABLE_OPS = new Set(["fhe.apply_lookup_table", "fhe.apply_mapped_lookup_table"]);

/** Exact rounding of the `round` op: floor((x + 2^(k-1)) / 2^k). */
export function roundExact(x: number, k: number): number {
  const d = 2 ** k;
  return Math.floor((x + d / 2) / d);
}

/** Smallest precision holding [lo, hi] (at least 1). */
export function minWidth(iv: Interval, signed: boolean): number {
  let p = 1;
  for (;;) {
    const r = intRange(p, signed);
    if (iv.lo >= r.min && iv.hi <= r.max) return p;
    p++;
  }
}

function typeInterval(t: Type): Interval {
  const e = elementOf(t);
  if (e.kind !== "eint" && e.kind !== "int") return { lo: -(2 ** 52), hi: 2 ** 52 };
  const r = intRange(e.width, e.signed);
  return { lo: r.min, hi: r.max };
}

const union = (a: Interval, b: Interval): Interval => ({ lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) });

/** Per-element bounds of a clear operand: exact for constants, the type's range otherwise. */
function clearBounds(v: Value): { lo: Float64Array; hi: Float64Array } {
  const def = v.definingOp;
  const value = def?.name === "arith.constant" ? (def.attr("value") as DenseAttr | undefined) : undefined;
  if (value) return { lo: value.data, hi: value.data };
  const n = nd.sizeOf(perSample(v.type));
  const t = typeInterval(v.type);
  return { lo: new Float64Array(n).fill(t.lo), hi: new Float64Array(n).fill(t.hi) };
}

function minMax(a: Float64Array): Interval {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}

/** Bounds of w·x for w ∈ [wl, wh], x ∈ [xl, xh]. */
function prodLo(wl: number, wh: number, x: Interval): number {
  return Math.min(wl * x.lo, wl * x.hi, wh * x.lo, wh * x.hi);
}
function prodHi(wl: number, wh: number, x: Interval): number {
  return Math.max(wl * x.lo, wl * x.hi, wh * x.lo, wh * x.hi);
}

function matmulInterval(op: Operation, x: Interval, encLeft: boolean): Interval {
  const [a, b] = op.operands as [Value, Value];
  const as = perSample(a.type);
  const bs = perSample(b.type);
  const a2 = as.length === 1 ? [1, as[0]!] : as;
  const b2 = bs.length === 1 ? [bs[0]!, 1] : bs;
  const m = a2[a2.length - 2]!;
  const k = a2[a2.length - 1]!;
  const n = b2[b2.length - 1]!;
  const batch = nd.broadcastShapes(a2.slice(0, -2), b2.slice(0, -2))!;
  const ia = nd.broadcastIndex(a2.slice(0, -2), batch);
  const ib = nd.broadcastIndex(b2.slice(0, -2), batch);
  const w = clearBounds(encLeft ? b : a);
  let lo = Infinity;
  let hi = -Infinity;
  for (let bi = 0; bi < ia.length; bi++) {
    // The encrypted operand has one interval, so only the clear operand's row/column matters.
    const outer = encLeft ? n : m;
    for (let j = 0; j < outer; j++) {
      let sl = 0;
      let sh = 0;
      for (let t = 0; t < k; t++) {
        const wi = encLeft ? ib[bi]! * k * n + t * n + j : ia[bi]! * m * k + j * k + t;
        sl += prodLo(w.lo[wi]!, w.hi[wi]!, x);
        sh += prodHi(w.lo[wi]!, w.hi[wi]!, x);
      }
      lo = Math.min(lo, sl);
      hi = Math.max(hi, sh);
    }
  }
  return { lo, hi };
}

function conv2dInterval(op: Operation, x: Interval): Interval {
  // The encrypted input has one interval, so each output's bound depends only on its weights.
  const plan = conv2dPlan(perSample(op.operands[0]!.type), perSample(op.operands[1]!.type), conv2dAttrs(op));
  const w = clearBounds(op.operands[1]!);
  const bias = op.operands[2] ? clearBounds(op.operands[2]) : undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < plan.biasIdx.length; r++) {
    let sl = bias ? bias.lo[plan.biasIdx[r]!]! : 0;
    let sh = bias ? bias.hi[plan.biasIdx[r]!]! : 0;
    for (let j = plan.rowPtr[r]!; j < plan.rowPtr[r + 1]!; j++) {
      const wi = plan.wIdx[j]!;
      sl += prodLo(w.lo[wi]!, w.hi[wi]!, x);
      sh += prodHi(w.lo[wi]!, w.hi[wi]!, x);
    }
    lo = Math.min(lo, sl);
    hi = Math.max(hi, sh);
  }
  return { lo, hi };
}

/** The values of x's interval that its type can hold (the reachable table indices), or undefined. */
export function reachable(x: Interval, t: Type): Interval | undefined {
  const r = typeInterval(t);
  const lo = Math.max(x.lo, r.lo);
  const hi = Math.min(x.hi, r.hi);
  return lo <= hi ? { lo, hi } : undefined;
}

function tableInterval(op: Operation, x: Interval): Interval {
  const inT = op.operands[0]!.type;
  const p = encOf(op.operands[0]!).width;
  const size = 2 ** p;
  const isMapped = op.name === "fhe.apply_mapped_lookup_table";
  const tables = (op.attr(isMapped ? "tables" : "table") as DenseAttr).data;
  const used = isMapped ? [...new Set((op.attr("map") as DenseAttr).data)] : [0];
  const reach = reachable(x, inT) ?? typeInterval(inT);
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of used) {
    for (let v = reach.lo; v <= reach.hi; v++) {
      const e = tables[t * size + tableIndex(v, p)]!;
      if (e < lo) lo = e;
      if (e > hi) hi = e;
    }
  }
  return { lo, hi };
}

function roundShiftOf(op: Operation, opts: BitwidthOptions): number {
  return opts.roundShift?.get(op) ?? encOf(op.operands[0]!).width - encOf(op.result).width;
}

function signCastInterval(op: Operation, x: Interval): Interval {
  const p = encOf(op.operands[0]!).width;
  const m = 2 ** p;
  const half = m / 2;
  const pieces: Interval[] = [];
  if (op.name === "fhe.to_signed") {
    if (x.lo < half) pieces.push({ lo: x.lo, hi: Math.min(x.hi, half - 1) });
    if (x.hi >= half) pieces.push({ lo: Math.max(x.lo, half) - m, hi: x.hi - m });
  } else {
    if (x.hi >= 0) pieces.push({ lo: Math.max(x.lo, 0), hi: x.hi });
    if (x.lo < 0) pieces.push({ lo: x.lo + m, hi: Math.min(x.hi, -1) + m });
  }
  return pieces.reduce(union);
}

/** True when a sign cast actually reinterprets some reachable value (so its width must stay). */
function signCastWraps(op: Operation, x: Interval): boolean {
  const half = 2 ** (encOf(op.operands[0]!).width - 1);
  return op.name === "fhe.to_signed" ? x.hi >= half : x.lo < 0;
}

function staticInterval(op: Operation, iv: (v: Value) => Interval, opts: BitwidthOptions): Interval {
  const o = op.operands;
  const c = (i: number) => minMax(clearBounds(o[i]!).lo).lo;
  const C = (i: number) => minMax(clearBounds(o[i]!).hi).hi;
  switch (op.name) {
    case "fhe.add_eint": {
      const [a, b] = [iv(o[0]!), iv(o[1]!)];
      return { lo: a.lo + b.lo, hi: a.hi + b.hi };
    }
    case "fhe.sub_eint": {
      const [a, b] = [iv(o[0]!), iv(o[1]!)];
      return { lo: a.lo - b.hi, hi: a.hi - b.lo };
    }
    case "fhe.add_eint_int": {
      const a = iv(o[0]!);
      return { lo: a.lo + c(1), hi: a.hi + C(1) };
    }
    case "fhe.sub_eint_int": {
      const a = iv(o[0]!);
      return { lo: a.lo - C(1), hi: a.hi - c(1) };
    }
    case "fhe.sub_int_eint": {
      const a = iv(o[1]!);
      return { lo: c(0) - a.hi, hi: C(0) - a.lo };
    }
    case "fhe.mul_eint_int": {
      const a = iv(o[0]!);
      return { lo: prodLo(c(1), C(1), a), hi: prodHi(c(1), C(1), a) };
    }
    case "fhe.neg_eint": {
      const a = iv(o[0]!);
      return { lo: -a.hi, hi: -a.lo };
    }
    case "fhe.dot_eint_int":
    case "fhe.matmul_eint_int":
      return matmulInterval(op, iv(o[0]!), true);
    case "fhe.matmul_int_eint":
      return matmulInterval(op, iv(o[1]!), false);
    case "fhe.conv2d":
      return conv2dInterval(op, iv(o[0]!));
    case "fhe.sum": {
      const a = iv(o[0]!);
      const count = nd.sizeOf(perSample(o[0]!.type)) / nd.sizeOf(perSample(op.result.type));
      return { lo: count * a.lo, hi: count * a.hi };
    }
    case "fhe.apply_lookup_table":
    case "fhe.apply_mapped_lookup_table":
      return tableInterval(op, iv(o[0]!));
    case "fhe.round": {
      const a = iv(o[0]!);
      const k = roundShiftOf(op, opts);
      const approximate = (op.attr("method") as { value: string }).value === "approximate";
      return { lo: approximate ? Math.floor(a.lo / 2 ** k) : roundExact(a.lo, k), hi: roundExact(a.hi, k) };
    }
    case "fhe.rescale":
      // The window index: the data-mode rounding sized q for the window; outside it reads wrap.
      return { lo: 0, hi: 2 ** encOf(op.result).width - 1 };
    case "fhe.to_signed":
    case "fhe.to_unsigned":
      return signCastInterval(op, iv(o[0]!));
    case "fhe.reshape":
    case "fhe.transpose":
    case "fhe.slice":
    case "fhe.gather":
      return iv(o[0]!);
    case "fhe.concat":
      return o.map(iv).reduce(union);
    case "fhe.pad": {
      const a = iv(o[0]!);
      const padded = (asInts(op.attr("pads")) ?? []).some((p) => p > 0);
      const v = (op.attr("value") as { value: number }).value;
      return padded ? union(a, { lo: v, hi: v }) : a;
    }
    default:
      return fail("E0302", `bitwidth: no interval rule for '${op.name}'`, op.loc, op.name);
  }
}

function argRanges(func: FuncOp): (Interval | undefined)[] {
  const a = func.attributes.get(ARG_RANGES_ATTR);
  if (!a || a.kind !== "array") return [];
  return a.items.map((item) => {
    const r = asInts(item);
    return r && r.length === 2 ? { lo: r[0]!, hi: r[1]! } : undefined;
  });
}

/** The bounds mode: the option when given, else the one recorded on the function, else static. */
export function boundsOf(func: FuncOp, opts: BitwidthOptions): BoundsMode {
  if (opts.bounds) return opts.bounds;
  const a = func.attributes.get(BOUNDS_ATTR);
  return a?.kind === "string" && a.value === "calibration" ? "calibration" : "static";
}

/** Interval of every encrypted value (arguments and op results) of `func`. */
export function analyzeIntervals(func: FuncOp, opts: BitwidthOptions = {}): Map<Value, Interval> {
  const out = new Map<Value, Interval>();
  const calibrated = boundsOf(func, opts) === "calibration";
  const given = argRanges(func);
  func.args.forEach((a, i) => {
    if (isEnc(a)) out.set(a, given[i] ?? typeInterval(a.type));
  });
  const iv = (v: Value): Interval => {
    const r = out.get(v);
    if (!r) throw new Error("bitwidth: encrypted operand without an interval");
    return r;
  };
  for (const op of func.body.ops) {
    if (op.results.length !== 1 || !isEnc(op.result)) continue;
    let r = staticInterval(op, iv, opts);
    // A proven bound from the producer (e.g. max(a, b) lies within a's and b's ranges) is sound too.
    const proven = asInts(op.attr(PROVEN_ATTR));
    if (proven && proven.length === 2) r = { lo: Math.max(r.lo, proven[0]!), hi: Math.min(r.hi, proven[1]!) };
    if (calibrated) {
      const cal = asInts(op.attr(CALIB_ATTR));
      if (cal && cal.length === 2) {
        const lo = Math.max(r.lo, cal[0]!);
        const hi = Math.min(r.hi, cal[1]!);
        r = lo <= hi ? { lo, hi } : { lo: cal[0]!, hi: cal[1]! };
      }
    }
    out.set(op.result, { lo: r.lo + 0, hi: r.hi + 0 }); // no -0
  }
  return out;
}

// ---- unification --------------------------------------------------------------------------------

class UnionFind {
  private readonly parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]!]!;
      i = this.parent[i]!;
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[rb] = ra;
  }
}

/** Ops whose encrypted input and output types are independent (or linked by a rule of their own). */
const UNLINKED = new Set(["fhe.apply_lookup_table", "fhe.apply_mapped_lookup_table", "fhe.round", "fhe.rescale", "fhe.to_signed", "fhe.to_unsigned"]);
/** Ops whose result width has no rule linking it to the input's (tables; windows read modulo 2^(q+1)). */
const FREE_RESULT = new Set(["fhe.apply_lookup_table", "fhe.apply_mapped_lookup_table", "fhe.rescale"]);

export interface ValueBits {
  readonly value: Value;
  readonly name: string;
  readonly interval: Interval;
  readonly type: EncryptedIntType;
}

export interface TluBits {
  readonly op: Operation;
  readonly inputInterval: Interval;
  readonly inputPrecision: number;
  readonly inputSigned: boolean;
}

export interface BitwidthReport {
  /** Every encrypted value with its interval and its unified type. */
  readonly values: readonly ValueBits[];
  readonly tlus: readonly TluBits[];
  readonly tluCount: number;
  readonly maxTluInputPrecision: number;
  /** Widest result of a linear op (dot, matmul, conv2d, sum, add/sub/mul/neg). */
  readonly maxAccumulatorWidth: number;
  /** Widest encrypted value. */
  readonly maxWidth: number;
}

const LINEAR = new Set([
  "fhe.add_eint",
  "fhe.add_eint_int",
  "fhe.sub_eint",
  "fhe.sub_eint_int",
  "fhe.sub_int_eint",
  "fhe.mul_eint_int",
  "fhe.neg_eint",
  "fhe.dot_eint_int",
  "fhe.matmul_eint_int",
  "fhe.matmul_int_eint",
  "fhe.conv2d",
  "fhe.sum",
]);

interface Solution {
  readonly intervals: Map<Value, Interval>;
  readonly types: Map<Value, EncryptedIntType>;
}

function solve(func: FuncOp, opts: BitwidthOptions): Solution {
  const intervals = analyzeIntervals(func, opts);
  const values = [...intervals.keys()];
  const id = new Map<Value, number>();
  const uf = new UnionFind();
  for (const v of values) id.set(v, uf.add());
  const links: { op: Operation; a: number; b: number }[] = [];
  for (const op of func.body.ops) {
    const enc = [...op.operands, ...op.results].filter(isEnc);
    if (enc.length === 0) continue;
    if (UNLINKED.has(op.name)) {
      if (!FREE_RESULT.has(op.name)) {
        links.push({ op, a: id.get(op.operands[0]!)!, b: id.get(op.result)! });
      }
      continue;
    }
    if (op.name === "func.return") continue;
    for (const v of enc.slice(1)) uf.union(id.get(enc[0]!)!, id.get(v)!);
  }
  const roots = new Set(values.map((v) => uf.find(id.get(v)!)));
  const signed = new Map<number, boolean>();
  const forced = new Map<number, { signed: boolean; op: Operation }>();
  for (const r of roots) signed.set(r, false);
  for (const v of values) if (intervals.get(v)!.lo < 0) signed.set(uf.find(id.get(v)!), true);
  const force = (root: number, s: boolean, op: Operation) => {
    const prev = forced.get(root);
    if (prev && prev.signed !== s) fail("E0302", `bitwidth: a value must be both signed and unsigned (sign casts '${prev.op.name}' and '${op.name}')`, op.loc, op.name);
    forced.set(root, { signed: s, op });
  };
  for (const l of links) {
    if (l.op.name === "fhe.to_signed") {
      force(uf.find(l.a), false, l.op);
      force(uf.find(l.b), true, l.op);
    } else if (l.op.name === "fhe.to_unsigned") {
      force(uf.find(l.a), true, l.op);
      force(uf.find(l.b), false, l.op);
    }
  }
  for (const [root, f] of forced) {
    if (!f.signed && signed.get(root)) {
      fail("E0302", `bitwidth: the input of '${f.op.name}' can be negative but must be unsigned`, f.op.loc, f.op.name);
    }
    signed.set(root, f.signed);
  }
  // `round` keeps signedness: propagate along round links to a fixed point.
  for (let changed = true; changed; ) {
    changed = false;
    for (const l of links) {
      if (l.op.name !== "fhe.round") continue;
      const [ra, rb] = [uf.find(l.a), uf.find(l.b)];
      if (signed.get(ra) !== signed.get(rb)) {
        for (const r of [ra, rb]) {
          const f = forced.get(r);
          if (f && !f.signed) fail("E0302", `bitwidth: '${l.op.name}' needs a signed input and output, but '${f.op.name}' needs unsigned`, l.op.loc, l.op.name);
          signed.set(r, true);
        }
        changed = true;
      }
    }
  }
  const width = new Map<number, number>();
  for (const r of roots) width.set(r, 1);
  for (const v of values) {
    const r = uf.find(id.get(v)!);
    width.set(r, Math.max(width.get(r)!, minWidth(intervals.get(v)!, signed.get(r)!)));
  }
  // Pinned widths: sign casts that really reinterpret bits keep their precision.
  const pinned = new Map<number, { width: number; op: Operation }>();
  for (const l of links) {
    if (l.op.name === "fhe.round") continue;
    if (!signCastWraps(l.op, intervals.get(l.op.operands[0]!)!)) continue;
    const p = encOf(l.op.operands[0]!).width;
    for (const r of [uf.find(l.a), uf.find(l.b)]) pinned.set(r, { width: p, op: l.op });
  }
  for (let iter = 0, changed = true; changed; iter++) {
    if (iter > 4 * links.length + 4) fail("E0302", "bitwidth: precision constraints between round/sign-cast ops have no solution");
    changed = false;
    const raise = (r: number, w: number) => {
      if (w > width.get(r)!) {
        width.set(r, w);
        changed = true;
      }
    };
    for (const l of links) {
      const [ra, rb] = [uf.find(l.a), uf.find(l.b)];
      const k = l.op.name === "fhe.round" ? roundShiftOf(l.op, opts) : 0;
      raise(ra, width.get(rb)! + k);
      raise(rb, width.get(ra)! - k);
    }
  }
  for (const [r, p] of pinned) {
    if (width.get(r)! > p.width) {
      fail("E0302", `bitwidth: '${p.op.name}' reinterprets ${p.width}-bit values but its operand or result needs ${width.get(r)} bits`, p.op.loc, p.op.name);
    }
    width.set(r, p.width);
  }
  const types = new Map<Value, EncryptedIntType>();
  for (const v of values) {
    const r = uf.find(id.get(v)!);
    types.set(v, { kind: "eint", width: width.get(r)!, signed: signed.get(r)! });
  }
  return { intervals, types };
}

function makeReport(func: FuncOp, sol: Solution): BitwidthReport {
  const values: ValueBits[] = [];
  for (const [v, t] of sol.types) values.push({ value: v, name: v.nameHint ?? "", interval: sol.intervals.get(v)!, type: t });
  const tlus: TluBits[] = [];
  let maxAcc = 0;
  for (const op of func.body.ops) {
    if (TABLE_OPS.has(op.name)) {
      const x = op.operands[0]!;
      const t = sol.types.get(x)!;
      tlus.push({ op, inputInterval: sol.intervals.get(x)!, inputPrecision: t.width, inputSigned: t.signed });
    }
    if (LINEAR.has(op.name)) maxAcc = Math.max(maxAcc, sol.types.get(op.result)!.width);
  }
  return {
    values,
    tlus,
    tluCount: tlus.length,
    maxTluInputPrecision: tlus.reduce((m, t) => Math.max(m, t.inputPrecision), 0),
    maxAccumulatorWidth: maxAcc,
    maxWidth: values.reduce((m, v) => Math.max(m, v.type.width), 0),
  };
}

/** Intervals and unified precisions of every encrypted value, without changing the function. */
export function analyzeBitwidths(func: FuncOp, opts: BitwidthOptions = {}): BitwidthReport {
  return makeReport(func, solve(func, opts));
}

/**
 * Re-indexes a table (or the rows of a table set) from input type `oldIn` to `newIn`: values held
 * by both keep their entry; other values take the entry of the nearest reachable value. Entries are
 * clamped to the result type `out`.
 */
export function reindexTables(
  tables: Float64Array,
  oldIn: EncryptedIntType,
  newIn: EncryptedIntType,
  reach: Interval | undefined,
  out: EncryptedIntType,
): Float64Array {
  const oldSize = 2 ** oldIn.width;
  const newSize = 2 ** newIn.width;
  const rows = tables.length / oldSize;
  const od = intRange(oldIn.width, oldIn.signed);
  const nd_ = intRange(newIn.width, newIn.signed);
  const r = reach ?? { lo: od.min, hi: od.max };
  const orange = intRange(out.width, out.signed);
  const res = new Float64Array(rows * newSize);
  for (let t = 0; t < rows; t++) {
    for (let v = nd_.min; v <= nd_.max; v++) {
      const src = v >= od.min && v <= od.max ? v : Math.min(Math.max(v, r.lo), r.hi);
      const e = tables[t * oldSize + tableIndex(src, oldIn.width)]!;
      res[t * newSize + tableIndex(v, newIn.width)] = Math.min(Math.max(e, orange.min), orange.max);
    }
  }
  return res;
}

function sameEnc(a: EncryptedIntType, b: EncryptedIntType): boolean {
  return a.width === b.width && a.signed === b.signed;
}

/** Runs the analysis and rewrites `func`: types, signature, tables. Returns the report. */
export function applyBitwidths(func: FuncOp, opts: BitwidthOptions = {}): BitwidthReport & { readonly changed: boolean } {
  const sol = solve(func, opts);
  let changed = false;
  // Tables first, while the old types are still on the values.
  for (const op of func.body.ops) {
    if (!TABLE_OPS.has(op.name)) continue;
    const x = op.operands[0]!;
    const oldIn = encOf(x);
    const newIn = sol.types.get(x)!;
    const newOut = sol.types.get(op.result)!;
    if (newIn.width > MAX_TABLE_INPUT_BITS) {
      fail("E0302", `bitwidth: table input needs ${newIn.width} bits (more than ${MAX_TABLE_INPUT_BITS}); use rounding`, op.loc, op.name);
    }
    const key = op.name === "fhe.apply_lookup_table" ? "table" : "tables";
    const attr = op.attr(key) as DenseAttr;
    const data = reindexTables(attr.data, oldIn, newIn, reachable(sol.intervals.get(x)!, x.type), newOut);
    const shape = key === "table" ? [data.length] : [attr.type.shape[0]!, 2 ** newIn.width];
    const same = data.length === attr.data.length && data.every((v, i) => v === attr.data[i]);
    if (!same) {
      op.attributes.set(key, denseAttr({ kind: "tensor", shape, element: attr.type.element } as TensorType, data));
      changed = true;
    }
  }
  const argsBefore = func.args.map((a) => a.type);
  for (const [v, t] of sol.types) {
    if (!sameEnc(encOf(v), t)) {
      v.type = withElement(v.type, t);
      changed = true;
    }
  }
  if (func.args.some((a, i) => a.type !== argsBefore[i]) && !func.attributes.has(ARG_RANGES_ATTR)) {
    const items = func.args.map((a, i) => {
      const iv = sol.intervals.get(a) ?? typeInterval(argsBefore[i]!);
      return intsAttr([iv.lo, iv.hi]);
    });
    func.attributes.set(ARG_RANGES_ATTR, arrayAttr(items) as ArrayAttr);
  }
  if (opts.bounds === "calibration") func.attributes.set(BOUNDS_ATTR, stringAttr("calibration"));
  else if (opts.bounds === "static") func.attributes.delete(BOUNDS_ATTR);
  const ret = func.body.terminator;
  if (ret?.name === "func.return") func.resultTypes = ret.operands.map((v) => v.type);
  return { ...makeReport(func, sol), changed };
}

/** Stores calibration ranges (e.g. from the clear backend's observer) as `fhec.calib_range` on defining ops. */
export function setCalibrationRanges(func: FuncOp, ranges: ReadonlyMap<Value, readonly [number, number]>): void {
  for (const op of func.body.ops) {
    if (op.results.length !== 1 || !isEnc(op.result)) continue;
    const r = ranges.get(op.result);
    if (r) op.attributes.set(CALIB_ATTR, intsAttr([Math.floor(r[0]), Math.ceil(r[1])]));
  }
}

export const bitwidthPass: Pass = {
  name: "bitwidth",
  summary: "Interval analysis; smallest unified precision per encrypted value; re-index tables",
  options: {
    bounds: { type: "string", default: "static", choices: ["static", "calibration"], doc: "static (sound) or calibration (fhec.calib_range, tighter)" },
  },
  run(module: ModuleOp, options): PassReport {
    let changed = false;
    let maxTlu = 0;
    let tlus = 0;
    let maxAcc = 0;
    let maxWidth = 0;
    for (const func of module.funcs) {
      const r = applyBitwidths(func, { bounds: options["bounds"] as BoundsMode });
      changed ||= r.changed;
      maxTlu = Math.max(maxTlu, r.maxTluInputPrecision);
      tlus += r.tluCount;
      maxAcc = Math.max(maxAcc, r.maxAccumulatorWidth);
      maxWidth = Math.max(maxWidth, r.maxWidth);
    }
    return { changed, details: { maxTluInputPrecision: maxTlu, tluCount: tlus, maxAccumulatorWidth: maxAcc, maxWidth } };
  },
};
