// comparisons: lowers table lookups that are comparisons against constants (a step with one jump)
// to the smallest table that decides them. `x ≥ j` is the sign of `x − j`: add the clear constant
// c − j (free), round away the k low bits (`fhe.round`), and read a 1–2-bit table that maps the
// rounded value to the step's two values. Mapped tables whose rows jump at different places get a
// per-element constant, so every element's jump lands on the same rounded boundary.
//
// Why this is cheap, and what it costs. A PBS reads its input after a modulus switch to 2N, whose
// noise is fixed by (n, N), not by the message. Deciding `x` against `j` at one code of resolution
// with a p-bit table needs that noise below half a code, i.e. below 2^−(p+2) of the torus: an 8-bit
// comparison forces N = 32768. After rounding to q = 1–2 bits, the table only needs the noise
// below half a q-bit box, so small N suffices. With `approximate` rounding the removed low bits
// are not cleaned: they stay in the phase, and the noise decides values near the jump — a flip
// zone around `j` whose width the noise sets, instead of a wrong answer anywhere else. (gemm_tree:
// n = 771, N = 1024 gave σ_MS ≈ √(n/24)/2N ≈ 2.8·10⁻³ of the torus before the modulus switch was
// centred (√(n/48)/2N ≈ 2.0·10⁻³ since), about 3 codes of its 9-bit group; in FHE, 2 of 50 test
// rows had a feature within a few codes of a threshold and flipped.) `exact` rounding clears the low bits first (one 1-bit PBS per
// removed bit), so FHE equals the clear circuit bit for bit.
//
// Exactness (the `disable` semantics: round half up): with c = t·2^k − 2^(k−1),
//   round((x − j + c) / 2^k) = floor((x − j + c + 2^(k−1)) / 2^k) = floor((x − j) / 2^k) + t,
// which is ≥ t exactly when x ≥ j. x = j sits on a rounding tie, so approximate rounding may read
// it on either side (the simulator draws such ties at random).
import { type Attribute, type DenseAttr, denseAttr, stringAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { FuncOp, Operation, Value } from "../ir/core.js";
import { CompileError, fail } from "../ir/diagnostics.js";
import { tableIndex } from "../ir/dialects/fhe.js";
import * as nd from "../ir/tensor.js";
import { elementOf, type EncryptedIntType, intRange, type IntType, intType, shapeOf, tensor, type Type, withElement } from "../ir/types.js";
import { analyzeIntervals, applyBitwidths, type Interval, MAX_TABLE_INPUT_BITS, minWidth, reachable, roundExact, TABLE_OPS } from "./bitwidth.js";
import { countingPass, type Pass } from "./pass.js";
import type { RoundingMethod } from "./rounding.js";
import { shareRoundingChains } from "./shared_rounding.js";

/** Widest table a comparison is lowered to. */
export const MAX_COMPARISON_BITS = 2;

/** A table row over the reachable inputs: `a` for x < j, `b` for x ≥ j (a = b: constant row). */
export interface Step {
  readonly j: number;
  readonly a: number;
  readonly b: number;
}

/** The step a row makes over [lo, hi], or undefined when it changes value more than once. */
export function stepOf(entry: (x: number) => number, reach: Interval): Step | undefined {
  const a = entry(reach.lo);
  let j: number | undefined;
  let b = a;
  for (let x = reach.lo + 1; x <= reach.hi; x++) {
    const v = entry(x);
    if (v === b) continue;
    if (j !== undefined) return undefined;
    j = x;
    b = v;
  }
  return { j: j ?? reach.lo, a, b };
}

/** How one comparison is lowered: y = x + offset (per element), round k bits to q, rows read r ≥ t. */
export interface ComparisonPlan {
  /** Width and signedness of the group holding x and y after the rewrite (an upper bound). */
  readonly width: number;
  readonly signed: boolean;
  /** Bits removed by the round and bits of the rounded value (the new table's input). */
  readonly k: number;
  readonly q: number;
  /** c = t·2^k − 2^(k−1): the rounded value is ≥ t exactly when x ≥ j. */
  readonly t: number;
}

/** The clear offset c, added to x − j before rounding. */
export const comparisonOffset = (p: ComparisonPlan): number => p.t * 2 ** p.k - 2 ** (p.k - 1);

/**
 * The cheapest plan for an input of type `x` over `reach` and jumps in [jMin, jMax]: the narrowest
 * group first (fewer bits to remove, less noise per code), then the smallest table for
 * approximate rounding (it is free) or the widest table ≤ MAX_COMPARISON_BITS for exact rounding
 * (one PBS per removed bit). Undefined when no plan beats the current table width.
 */
export function planComparison(
  x: EncryptedIntType,
  reach: Interval,
  jMin: number,
  jMax: number,
  method: RoundingMethod,
  atLeast = x.width,
): ComparisonPlan | undefined {
  const qs = method === "approximate" ? [1, 2] : [2, 1];
  const from = Math.max(x.width, atLeast);
  for (let width = from; width <= Math.min(from + 3, MAX_TABLE_INPUT_BITS); width++) {
    for (const q of qs) {
      if (q >= x.width || q > MAX_COMPARISON_BITS) continue;
      const k = width - q;
      if (k < 1) continue;
      const d = 2 ** k;
      const span = Math.abs(reach.lo) + Math.abs(reach.hi) + Math.abs(jMin) + Math.abs(jMax) + 2 ** width;
      const tMax = Math.ceil(span / d) + 1;
      for (let t = -tMax; t <= tMax; t++) {
        const c = t * d - d / 2;
        const y = { lo: reach.lo + c - jMax, hi: reach.hi + c - jMin };
        const signed = x.signed || y.lo < 0;
        // A group turning signed may need one more bit for its other members.
        if (width < x.width + (signed && !x.signed ? 1 : 0)) continue;
        const yr = intRange(width, signed);
        if (y.lo < yr.min || y.hi > yr.max) continue;
        const r = { lo: method === "approximate" ? Math.floor(y.lo / d) : roundExact(y.lo, k), hi: roundExact(y.hi, k) };
        const rr = intRange(q, signed);
        if (r.lo < rr.min || r.hi > rr.max) continue;
        return { width, signed, k, q, t };
      }
    }
  }
  return undefined;
}

const encOf = (v: Value): EncryptedIntType => elementOf(v.type) as EncryptedIntType;

interface Candidate {
  readonly op: Operation;
  readonly x: Value;
  /** x's type and the table attribute before the rewrite. */
  readonly input: EncryptedIntType;
  readonly key: "table" | "tables";
  readonly original: DenseAttr;
  /** Per row of the table attribute (undefined for unused rows of a mapped table). */
  readonly steps: (Step | undefined)[];
  /** Row index per element of x (all 0 for a plain table). */
  readonly rowOf: Float64Array;
  /** Jump per element; constant rows take the first real jump so they do not widen the offsets. */
  readonly jumps: Float64Array;
  readonly reach: Interval;
}

/** The op as a comparison: every used row a step over x's reachable values, or undefined. */
function asComparison(op: Operation, intervals: Map<Value, Interval>): Candidate | undefined {
  if (!TABLE_OPS.has(op.name)) return undefined;
  const x = op.operands[0]!;
  const input = encOf(x);
  if (input.width <= 1) return undefined;
  const reach = reachable(intervals.get(x)!, x.type);
  if (!reach) return undefined;
  const mapped = op.name === "fhe.apply_mapped_lookup_table";
  const key = mapped ? "tables" : "table";
  const original = op.attr(key) as DenseAttr;
  const size = 2 ** input.width;
  const rows = original.data.length / size;
  const elements = nd.sizeOf(shapeOf(x.type) as number[]);
  const rowOf = mapped ? (op.attr("map") as DenseAttr).data : new Float64Array(elements);
  const used = new Set(rowOf);
  const steps: (Step | undefined)[] = [];
  let fallback: number | undefined;
  for (let row = 0; row < rows; row++) {
    if (!used.has(row)) {
      steps.push(undefined);
      continue;
    }
    const s = stepOf((v) => original.data[row * size + tableIndex(v, input.width)]!, reach);
    if (!s) return undefined;
    if (s.a !== s.b) fallback ??= s.j;
    steps.push(s);
  }
  if (fallback === undefined) return undefined;
  const jumps = rowOf.map((row) => {
    const s = steps[row]!;
    return s.a === s.b ? fallback : s.j;
  });
  return { op, x, input, key, original, steps, rowOf, jumps, reach };
}

function clearIntType(values: Float64Array): IntType {
  let width = 2;
  for (const v of values) width = Math.max(width, minWidth({ lo: v, hi: v }, true));
  return intType(width, true);
}

/** Everything a rewrite changes, to undo it when it makes another table wider. */
interface Snapshot {
  readonly types: Map<Value, Type>;
  readonly tables: Map<Operation, [string, Attribute]>;
  readonly funcAttrs: Map<string, Attribute>;
  readonly resultTypes: Type[];
}

function snapshot(func: FuncOp): Snapshot {
  const types = new Map<Value, Type>();
  const tables = new Map<Operation, [string, Attribute]>();
  for (const a of func.args) types.set(a, a.type);
  for (const op of func.body.ops) {
    for (const r of op.results) types.set(r, r.type);
    if (TABLE_OPS.has(op.name)) {
      const key = op.name === "fhe.apply_lookup_table" ? "table" : "tables";
      tables.set(op, [key, op.attr(key)!]);
    }
  }
  return { types, tables, funcAttrs: new Map(func.attributes), resultTypes: [...func.resultTypes] };
}

function restore(func: FuncOp, s: Snapshot): void {
  for (const [v, t] of s.types) v.type = t;
  for (const [op, [key, attr]] of s.tables) op.attributes.set(key, attr);
  func.attributes.clear();
  for (const [k, v] of s.funcAttrs) func.attributes.set(k, v);
  func.resultTypes = s.resultTypes;
}

/** Checks, for every used row and every reachable x, that the lowered lookup equals the original. */
function checkExact(c: Candidate, plan: ComparisonPlan, newRows: Float64Array): void {
  const p = c.input.width;
  const offset = comparisonOffset(plan);
  const seen = new Set<string>();
  for (let el = 0; el < c.rowOf.length; el++) {
    const row = c.rowOf[el]!;
    const key = `${row}:${c.jumps[el]!}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (let x = c.reach.lo; x <= c.reach.hi; x++) {
      const r = roundExact(x + offset - c.jumps[el]!, plan.k);
      if (newRows[row * 2 ** plan.q + tableIndex(r, plan.q)] !== c.original.data[row * 2 ** p + tableIndex(x, p)]) {
        fail("E0302", `internal: comparison lowering of row ${row} differs at x = ${x}`, c.op.loc, c.op.name);
      }
    }
  }
}

/** Inserts y = x + (c − j), r = round(y), and points the table, now on r, at the step values. */
function rewrite(c: Candidate, plan: ComparisonPlan, method: RoundingMethod): Operation {
  const offset = comparisonOffset(plan);
  const size = 2 ** plan.q;
  const rows = new Float64Array(c.steps.length * size);
  const { min, max } = intRange(plan.q, plan.signed);
  c.steps.forEach((s, row) => {
    if (!s) return; // unused row of a mapped table: zeros fit any result type
    for (let r = min; r <= max; r++) rows[row * size + tableIndex(r, plan.q)] = r >= plan.t ? s.b : s.a;
  });
  checkExact(c, plan, rows);
  const b = Builder.before(c.op);
  const uniform = c.jumps.every((j) => j === c.jumps[0]);
  const values = uniform ? Float64Array.of(offset - c.jumps[0]!) : c.jumps.map((j) => offset - j);
  const cst = b.constant(denseAttr(tensor(uniform ? [] : (shapeOf(c.x.type) as number[]), clearIntType(values)), values));
  const y = b.create("fhe.add_eint_int", [c.x, cst], [withElement(c.x.type, { kind: "eint", width: plan.width, signed: plan.signed })]).result;
  const round = b.create("fhe.round", [y], [withElement(c.x.type, { kind: "eint", width: plan.q, signed: plan.signed })], {
    method: stringAttr(method),
  });
  const shape = c.key === "table" ? [size] : [c.steps.length, size];
  c.op.attributes.set(c.key, denseAttr(tensor(shape, c.original.type.element), rows));
  c.op.setOperand(0, round.result);
  return round;
}

/** Undoes `rewrite`'s ops: the table reads x again, with its original attribute. */
function unrewrite(c: Candidate, round: Operation): void {
  c.op.setOperand(0, c.x);
  c.op.attributes.set(c.key, c.original);
  const add = round.operands[0]!.definingOp!;
  const cst = add.operands[1]!.definingOp!;
  round.erase();
  add.erase();
  cst.erase();
}

export interface LoweredComparison {
  readonly op: Operation;
  /** Table input bits before and after. */
  readonly from: number;
  readonly to: number;
  /** Bits the inserted round removes. */
  readonly removedBits: number;
}

/**
 * Lowers `cands` together (they may read one group: lowering one alone would widen the others'
 * inputs). Plans assume the group's current width; when the group ends up wider (several offsets
 * share it), the affected plans are redone at that width. Commits only if no table reads more
 * bits than before; otherwise restores the function and returns undefined.
 */
function lowerTogether(func: FuncOp, cands: readonly Candidate[], method: RoundingMethod): LoweredComparison[] | undefined {
  const before = snapshot(func);
  const chosen = new Set(cands.map((c) => c.op));
  const widths = new Map<Operation, number>();
  for (const op of func.body.ops) if (TABLE_OPS.has(op.name)) widths.set(op, encOf(op.operands[0]!).width);
  const atLeast = new Map<Candidate, number>();
  const done = new Map<Candidate, { round: Operation; plan: ComparisonPlan }>();
  const undo = () => {
    for (const [c, { round }] of done) unrewrite(c, round);
    done.clear();
    restore(func, before);
  };
  for (let iter = 0; iter < 4; iter++) {
    for (const c of cands) {
      if (done.has(c)) continue;
      const plan = planComparison(c.input, c.reach, Math.min(...c.jumps), Math.max(...c.jumps), method, atLeast.get(c));
      if (!plan) return undo(), undefined;
      done.set(c, { round: rewrite(c, plan, method), plan });
    }
    try {
      applyBitwidths(func, { roundShift: new Map([...done.values()].map(({ round, plan }) => [round, plan.k])) });
    } catch (e) {
      // The group cannot take the offset (e.g. a sign cast pins its width): keep the original tables.
      if (e instanceof CompileError) return undo(), undefined;
      throw e;
    }
    let stable = true;
    for (const [c, { round, plan }] of [...done]) {
      if (encOf(round.result).width <= plan.q) continue;
      stable = false;
      atLeast.set(c, encOf(round.operands[0]!).width);
      unrewrite(c, round);
      done.delete(c);
    }
    if (stable) break;
  }
  const lowered: LoweredComparison[] = [];
  for (const [c, { round }] of done) {
    const to = encOf(round.result).width;
    if (to >= c.input.width) return undo(), undefined;
    lowered.push({ op: c.op, from: c.input.width, to, removedBits: encOf(round.operands[0]!).width - to });
  }
  const widened = [...widths].some(([op, bits]) => !chosen.has(op) && encOf(op.operands[0]!).width > bits);
  if (widened || done.size < cands.length) return undo(), undefined;
  return lowered;
}

export function lowerComparisons(func: FuncOp, method: RoundingMethod): LoweredComparison[] {
  applyBitwidths(func);
  const find = () => {
    const intervals = analyzeIntervals(func);
    return func.body.ops.map((op) => asComparison(op, intervals)).filter((c): c is Candidate => c !== undefined);
  };
  const all = find();
  if (all.length === 0) return [];
  let out = lowerTogether(func, all, method);
  if (!out) {
    // Some comparison shares its group with another table: lower the others one at a time.
    out = [];
    for (const op of all.map((c) => c.op)) {
      const c = find().find((d) => d.op === op);
      if (c) out.push(...(lowerTogether(func, [c], method) ?? []));
    }
  }
  // Exact chains cost a PBS per removed bit and element: comparisons of one input share theirs.
  if (method !== "exact") return out;
  const shared = shareRoundingChains(func, out.map((l) => l.op));
  return out.map((l) => ({ ...l, op: shared.get(l.op)?.table ?? l.op }));
}

export const comparisonsPass: Pass = countingPass({
  name: "comparisons",
  summary: "Lower step-function tables (comparisons against constants) to add + round + a 1–2-bit table",
  options: {
    method: { type: "string", default: "exact", choices: ["exact", "approximate"], doc: "rounding method of the inserted fhe.round" },
  },
  counted: "lowered",
  rewrite: (module, options) => module.funcs.reduce((n, func) => n + lowerComparisons(func, options["method"] as RoundingMethod).length, 0),
});

/**
 * Whether every encrypted argument reaches tables only as comparisons: following the values the
 * arguments feed through linear ops and data movement, the first non-linear op on every path is a
 * table that `asComparison` accepts (a step with one jump over its reachable inputs), and no path
 * reaches the results. A tree's features are such inputs: only which side of each threshold they
 * fall on matters, so their quantization only has to keep those sides (compiler/compile.ts).
 */
export function feedsOnlyComparisons(func: FuncOp): boolean {
  applyBitwidths(func);
  const intervals = analyzeIntervals(func);
  const seen = new Set<Value>();
  const todo = func.args.filter((a) => elementOf(a.type).kind === "eint");
  let comparisons = 0;
  while (todo.length > 0) {
    const v = todo.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const { op } of v.uses) {
      if (op.name === "func.return") return false;
      if (TABLE_OPS.has(op.name)) {
        if (op.operands[0] !== v || !asComparison(op, intervals)) return false;
        comparisons++;
        continue;
      }
      if (NON_LINEAR.has(op.name)) return false;
      todo.push(...op.results.filter((r) => elementOf(r.type).kind === "eint"));
    }
  }
  return comparisons > 0;
}

/** fhe ops other than tables that do not pass their input's value on linearly. */
const NON_LINEAR = new Set(["fhe.round", "fhe.rescale", "fhe.to_signed", "fhe.to_unsigned"]);
