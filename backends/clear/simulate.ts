// The clear backend ("virtual library"): interprets a verified `fhe`-dialect function on exact
// integers, exactly as the TFHE circuit computes (same tables, same rounding, same overflow
// behaviour). Batched: one call runs every sample; per-sample shapes come from the IR and a
// leading batch axis is carried internally. Index plans are computed once per op.
import { asInts, type DenseAttr } from "../../ir/attributes.js";
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { roundDigits } from "../../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, shapeOf, type Type } from "../../ir/types.js";
import * as nd from "../../ir/tensor.js";
import { applyLinearPlan, conv2dAttrs, conv2dPlan } from "../../ir/conv_geometry.js";
import { broadcastPlan, concatPlan, gatherPlan, matmulPlan, padPlan, reducePlan, slicePlan, transposePlan } from "../../ir/index_plans.js";
import { type BatchTensor, emptyStats, type OverflowRecord, OverflowError, rangeOf, type SimulateOptions, type SimulationResult } from "../simulation/contract.js";
import { gauss, noDraws, readDraws, readSigma } from "../simulation/draws.js";
import { exactRoundReads, roundExactDrawn } from "../simulation/exact_round.js";
import { exactRoundSteps, roundStepsDrawn } from "../simulation/exact_round_steps.js";
import { bindInput } from "../simulation/inputs.js";
import { checkOutputArrays, copyIntoOutputs } from "../simulation/outputs.js";
import { openRun, type RunState } from "../simulation/run_state.js";
import type { ReadDraws } from "../simulation/rng.js";

/** A value during interpretation: per-sample shape; `batched` false for constants (shared by all samples). */
interface Slot {
  readonly shape: readonly number[];
  readonly size: number;
  readonly data: Float64Array;
  readonly batched: boolean;
}

type Handler = (op: Operation, ins: readonly Slot[], ctx: RunState) => Slot;

function perSample(t: Type): number[] {
  return shapeOf(t) as number[];
}

function newSlot(shape: readonly number[], batched: boolean, batch: number): Slot {
  const size = nd.sizeOf(shape);
  return { shape: [...shape], size, data: new Float64Array(batched ? size * batch : size), batched };
}

const stride = (s: Slot): number => (s.batched ? s.size : 0);

// ---- elementwise ----------------------------------------------------------------------------

const enum Bin {
  Add,
  Sub,
  Mul,
}

function binary(op: Operation, a: Slot, b: Slot, kind: Bin, ctx: RunState): Slot {
  const outShape = perSample(op.result.type);
  const out = newSlot(outShape, a.batched || b.batched, ctx.batch);
  const ia = broadcastPlan(a.shape, outShape);
  const ib = broadcastPlan(b.shape, outShape);
  const n = out.size;
  const samples = out.batched ? ctx.batch : 1;
  const sa = stride(a);
  const sb = stride(b);
  const A = a.data;
  const B = b.data;
  const O = out.data;
  for (let s = 0; s < samples; s++) {
    const oa = s * sa;
    const ob = s * sb;
    const oo = s * n;
    for (let i = 0; i < n; i++) {
      const x = A[oa + (ia ? ia[i]! : i)]!;
      const y = B[ob + (ib ? ib[i]! : i)]!;
      O[oo + i] = kind === Bin.Add ? x + y : kind === Bin.Sub ? x - y : x * y;
    }
  }
  return out;
}

function unary(op: Operation, a: Slot, f: (x: number) => number, ctx: RunState): Slot {
  const out = newSlot(perSample(op.result.type), a.batched, ctx.batch);
  const A = a.data;
  const O = out.data;
  for (let i = 0; i < O.length; i++) O[i] = f(A[i]!);
  return out;
}

// ---- noise at reads ---------------------------------------------------------------------------

/**
 * What a PBS reads at position z (in steps; the integer part is the floor candidate) under
 * Gaussian noise of `sigma` steps: round(z + noise). Far from the tie the draw cannot matter, so
 * it is skipped (8σ: below 1e-15).
 */
function noisyRound(z: number, sigma: number, draws: ReadDraws): number {
  const fl = Math.floor(z);
  const f = z - fl;
  if (Math.abs(f - 0.5) > 8 * sigma && 8 * sigma < 0.5) return f >= 0.5 ? fl + 1 : fl;
  return Math.floor(z + 0.5 + sigma * gauss(draws));
}

/** The draws of `op`'s reads on a stream of the run (undefined: the stream is off). */
function drawsOf(op: Operation, stream: number | undefined, ctx: RunState): ReadDraws | undefined {
  return stream === undefined ? undefined : readDraws(stream, ctx.opIndex(op));
}

/** Element and sample of flat index j of a slot of n elements per sample (sample-major). */
const sampleOf = (j: number, n: number): number => (j - (j % n)) / n;

// ---- table lookups --------------------------------------------------------------------------

function lookup(op: Operation, x: Slot, tables: Float64Array, tableOf: Float64Array | undefined, ctx: RunState): Slot {
  const { width: p, signed } = elementOf(op.operands[0]!.type) as EncryptedIntType;
  const m = 2 ** p;
  const out = newSlot(perSample(op.result.type), x.batched, ctx.batch);
  const X = x.data;
  const O = out.data;
  const n = x.size;
  const sigma = readSigma(op, p, ctx);
  const pErr = sigma ? 0 : ctx.pError;
  const draws = sigma ? drawsOf(op, ctx.noise, ctx)! : pErr > 0 ? drawsOf(op, ctx.errors, ctx)! : undefined;
  for (let j = 0; j < X.length; j++) {
    draws?.at(sampleOf(j, n), j % n);
    const v = sigma ? noisyRound(X[j]! + sigma.offset, sigma.sigma[j % n]!, draws!) : X[j]!;
    let idx = v >= 0 && v < m ? v : ((v % m) + m) % m;
    // Outside the table's domain TFHE reads the torus negacyclically: the padding half of the
    // phase returns the negated entry. u is the phase index the PBS sees (signed inputs are offset).
    const u = signed ? v + m / 2 : v;
    const negate = (u < 0 || u >= m) && (Math.floor(u / m) & 1) === 1;
    if (pErr > 0 && draws!.next() < pErr) {
      idx = draws!.bit() ? (idx + 1) % m : (idx + m - 1) % m;
      ctx.stats.tluErrors++;
    }
    const base = tableOf ? tableOf[j % n]! * m : 0;
    O[j] = negate ? -tables[base + idx]! : tables[base + idx]!;
  }
  ctx.stats.tluReads += X.length;
  return out;
}

// ---- linear algebra --------------------------------------------------------------------------

function matmul(op: Operation, a: Slot, b: Slot, ctx: RunState): Slot {
  const plan = matmulPlan(a.shape, b.shape);
  const out = newSlot(perSample(op.result.type), true, ctx.batch);
  const { m, n, k, aBase, bBase } = plan;
  const A = a.data;
  const B = b.data;
  const O = out.data;
  const sa = stride(a);
  const sb = stride(b);
  const nb = aBase.length;
  let o = 0;
  for (let s = 0; s < ctx.batch; s++) {
    for (let bi = 0; bi < nb; bi++) {
      const a0 = s * sa + aBase[bi]!;
      const b0 = s * sb + bBase[bi]!;
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < n; c++) {
          let acc = 0;
          for (let t = 0; t < k; t++) acc += A[a0 + r * k + t]! * B[b0 + t * n + c]!;
          O[o++] = acc;
        }
      }
    }
  }
  return out;
}

function conv2d(op: Operation, ins: readonly Slot[], ctx: RunState): Slot {
  const [x, w, bias] = ins as [Slot, Slot, Slot | undefined];
  const plan = conv2dPlan(x.shape, w.shape, conv2dAttrs(op));
  const out = newSlot(perSample(op.result.type), true, ctx.batch);
  for (let s = 0; s < ctx.batch; s++) {
    const b = bias?.data.subarray(s * stride(bias));
    applyLinearPlan(plan, x.data.subarray(s * stride(x)), w.data.subarray(s * stride(w)), b, out.data, s * out.size);
  }
  return out;
}

function sum(op: Operation, x: Slot, ctx: RunState): Slot {
  const { map, outSize } = reducePlan(x.shape, asInts(op.attr("axes"))!);
  const out = newSlot(perSample(op.result.type), x.batched, ctx.batch);
  if (out.size !== outSize) throw new Error("sum: result size mismatch");
  const samples = x.batched ? ctx.batch : 1;
  for (let s = 0; s < samples; s++) {
    const oi = s * x.size;
    const oo = s * outSize;
    for (let i = 0; i < x.size; i++) out.data[oo + map[i]!] += x.data[oi + i]!;
  }
  return out;
}

// ---- data movement --------------------------------------------------------------------------

function move(op: Operation, x: Slot, plan: Int32Array, fill: number, ctx: RunState): Slot {
  const out = newSlot(perSample(op.result.type), x.batched, ctx.batch);
  const samples = x.batched ? ctx.batch : 1;
  const n = out.size;
  for (let s = 0; s < samples; s++) {
    const oi = s * x.size;
    const oo = s * n;
    for (let i = 0; i < n; i++) {
      const src = plan[i]!;
      out.data[oo + i] = src < 0 ? fill : x.data[oi + src]!;
    }
  }
  return out;
}

function concat(op: Operation, xs: readonly Slot[], ctx: RunState): Slot {
  const { part, index } = concatPlan(
    xs.map((x) => x.shape),
    (op.attr("axis") as { value: number }).value,
  );
  const batched = xs.some((x) => x.batched);
  const out = newSlot(perSample(op.result.type), batched, ctx.batch);
  const samples = batched ? ctx.batch : 1;
  const n = out.size;
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < n; i++) {
      const x = xs[part[i]!]!;
      out.data[s * n + i] = x.data[s * stride(x) + index[i]!]!;
    }
  }
  return out;
}

// ---- rounding and sign casts ------------------------------------------------------------------

function roundOp(op: Operation, x: Slot, ctx: RunState): Slot {
  const pin = (elementOf(op.operands[0]!.type) as EncryptedIntType).width;
  const pout = (elementOf(op.result.type) as EncryptedIntType).width;
  const d = 2 ** (pin - pout);
  const half = d / 2;
  const approximate = (op.attr("method") as { value: string }).value === "approximate";
  const sigma = approximate ? readSigma(op, pout, ctx) : undefined;
  if (sigma) {
    const out = newSlot(x.shape, x.batched, ctx.batch);
    const draws = drawsOf(op, ctx.noise, ctx)!;
    for (let i = 0; i < x.data.length; i++) out.data[i] = noisyRound(x.data[i]! / d + sigma.offset, sigma.sigma[i % x.size]!, draws.at(sampleOf(i, x.size), i % x.size));
    return out;
  }
  // Exact rounding with noisy reads: bit by bit, or in extraction steps of several bits. Elements
  // whose reads cannot go wrong round exactly, without drawing.
  const multiBit = !approximate && roundDigits(op).some((k) => k > 1);
  const bitDraws = approximate ? undefined : drawsOf(op, ctx.bits, ctx);
  const steps = multiBit && bitDraws ? exactRoundSteps(op) : undefined;
  const bits = !approximate && !multiBit && bitDraws ? exactRoundReads(op) : undefined;
  const drawn = steps
    ? { rows: steps.rows, round: (v: number, e: number, s: number) => roundStepsDrawn(v, e, steps, bitDraws!.at(s, e)) }
    : bits && { rows: bits.rows, round: (v: number, e: number, s: number) => roundExactDrawn(v, e, bits, bitDraws!.at(s, e)) };
  if (drawn) {
    const out = newSlot(x.shape, x.batched, ctx.batch);
    for (let i = 0; i < x.data.length; i++) {
      const e = i % x.size;
      out.data[i] = drawn.rows[e]! < 0 ? Math.floor((x.data[i]! + half) / d) : drawn.round(x.data[i]!, e, sampleOf(i, x.size));
    }
    return out;
  }
  const ties = approximate ? drawsOf(op, ctx.ties, ctx) : undefined;
  const out = newSlot(perSample(op.result.type), x.batched, ctx.batch);
  const X = x.data;
  for (let i = 0; i < X.length; i++) {
    const v = X[i]!;
    const fl = Math.floor(v / d);
    out.data[i] = ties && v - fl * d === half ? fl + (ties.at(sampleOf(i, x.size), i % x.size).bit() ? 1 : 0) : Math.floor((v + half) / d);
  }
  return out;
}

/**
 * `fhe.rescale`: r = round((x − offset) / 2^shift) (approximate: ties either way, as TFHE may), kept
 * modulo 2^(q+1) like the torus keeps it. Values outside the q-bit window are counted per op.
 */
function rescaleOp(op: Operation, x: Slot, ctx: RunState): Slot {
  const q = (elementOf(op.result.type) as EncryptedIntType).width;
  const offsets = (op.attr("offset") as DenseAttr).data;
  const shifts = (op.attr("shift") as DenseAttr).data;
  const m = 2 ** q;
  const out = newSlot(x.shape, x.batched, ctx.batch);
  const X = x.data;
  const O = out.data;
  let outside = 0;
  const sigma = readSigma(op, q, ctx);
  const draws = drawsOf(op, sigma ? ctx.noise : ctx.ties, ctx);
  // Per element, once per run rather than once per sample.
  const n = x.size;
  const offset = Float64Array.from({ length: n }, (_, e) => (offsets.length === 1 ? offsets[0]! : offsets[e]!));
  const divisor = Float64Array.from({ length: n }, (_, e) => 2 ** (shifts.length === 1 ? shifts[0]! : shifts[e]!));
  for (let base = 0, sample = 0; base < X.length; base += n, sample++) {
    for (let e = 0; e < n; e++) {
      const i = base + e;
      draws?.at(sample, e);
      const d = divisor[e]!;
      const v = X[i]! - offset[e]!;
      const fl = Math.floor(v / d);
      let r = sigma
        ? noisyRound(v / d + sigma.offset, sigma.sigma[e]!, draws!)
        : d > 1 && draws && v - fl * d === d / 2
          ? fl + (draws.bit() ? 1 : 0)
          : Math.floor((v + d / 2) / d);
      if (r < 0 || r >= m) {
        outside++;
        r = ((r % (2 * m)) + 2 * m) % (2 * m);
      }
      O[i] = r;
    }
  }
  if (outside > 0) {
    const prev = ctx.stats.outOfWindow.get(op) ?? 0;
    ctx.stats.outOfWindow.set(op, prev + (x.batched ? outside : outside * ctx.batch));
  }
  return out;
}

function widthOf(v: Value): number {
  return (elementOf(v.type) as EncryptedIntType).width;
}

/** One handler per op, keyed by op name. */
const HANDLERS: Readonly<Record<string, Handler>> = {
  "arith.add": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Add, ctx),
  "arith.sub": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Sub, ctx),
  "arith.mul": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Mul, ctx),
  "arith.neg": (op, [a], ctx) => unary(op, a!, (x) => -x, ctx),
  "fhe.add_eint": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Add, ctx),
  "fhe.add_eint_int": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Add, ctx),
  "fhe.sub_eint": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Sub, ctx),
  "fhe.sub_eint_int": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Sub, ctx),
  "fhe.sub_int_eint": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Sub, ctx),
  "fhe.mul_eint_int": (op, [a, b], ctx) => binary(op, a!, b!, Bin.Mul, ctx),
  "fhe.neg_eint": (op, [a], ctx) => unary(op, a!, (x) => -x, ctx),
  "fhe.dot_eint_int": (op, [a, b], ctx) => matmul(op, a!, b!, ctx),
  "fhe.matmul_eint_int": (op, [a, b], ctx) => matmul(op, a!, b!, ctx),
  "fhe.matmul_int_eint": (op, [a, b], ctx) => matmul(op, a!, b!, ctx),
  "fhe.conv2d": (op, ins, ctx) => conv2d(op, ins, ctx),
  "fhe.sum": (op, [x], ctx) => sum(op, x!, ctx),
  "fhe.apply_lookup_table": (op, [x], ctx) => lookup(op, x!, (op.attr("table") as DenseAttr).data, undefined, ctx),
  "fhe.apply_mapped_lookup_table": (op, [x], ctx) =>
    lookup(op, x!, (op.attr("tables") as DenseAttr).data, (op.attr("map") as DenseAttr).data, ctx),
  "fhe.round": (op, [x], ctx) => roundOp(op, x!, ctx),
  "fhe.rescale": (op, [x], ctx) => rescaleOp(op, x!, ctx),
  "fhe.to_signed": (op, [x], ctx) => {
    const p = widthOf(op.operands[0]!);
    const half = 2 ** (p - 1);
    const m = 2 ** p;
    return unary(op, x!, (v) => (v >= half ? v - m : v), ctx);
  },
  "fhe.to_unsigned": (op, [x], ctx) => {
    const m = 2 ** widthOf(op.operands[0]!);
    return unary(op, x!, (v) => (v < 0 ? v + m : v), ctx);
  },
  "fhe.reshape": (op, [x]) => ({ ...x!, shape: perSample(op.result.type) }),
  "fhe.transpose": (op, [x], ctx) => move(op, x!, transposePlan(x!.shape, asInts(op.attr("perm"))!), 0, ctx),
  "fhe.slice": (op, [x], ctx) =>
    move(op, x!, slicePlan(x!.shape, asInts(op.attr("starts"))!, asInts(op.attr("ends"))!, asInts(op.attr("steps"))!), 0, ctx),
  "fhe.pad": (op, [x], ctx) => move(op, x!, padPlan(x!.shape, asInts(op.attr("pads"))!), (op.attr("value") as { value: number }).value, ctx),
  "fhe.gather": (op, [x], ctx) => {
    const idx = op.attr("indices") as DenseAttr;
    const plan = gatherPlan(x!.shape, { shape: idx.type.shape as number[], data: idx.data }, (op.attr("axis") as { value: number }).value);
    return move(op, x!, plan, 0, ctx);
  },
  "fhe.concat": (op, xs, ctx) => concat(op, xs, ctx),
};

// ---- driver -----------------------------------------------------------------------------------

/**
 * An op whose operands are all constants, evaluated once (no batch, no draws: ties round up), or
 * undefined when the clear backend has no semantics for it.
 */
export function foldConstantOp(op: Operation, operands: readonly Float64Array[]): Float64Array | undefined {
  const handler = HANDLERS[op.name];
  if (!handler) return undefined;
  const slots = operands.map((data, i) => ({ shape: perSample(op.operands[i]!.type), size: data.length, data, batched: false }));
  const opIndex = (): number => {
    throw new Error(`clear backend: folding ${op.name} drew (constants are folded without draws)`);
  };
  return Float64Array.from(handler(op, slots, { batch: 1, ...noDraws(), stats: emptyStats(), opIndex }).data);
}

function observeSlot(v: Value, s: Slot, observe: NonNullable<SimulateOptions["observe"]>): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < s.data.length; i++) {
    const x = s.data[i]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  observe(v, lo, hi);
}

/** Checks an encrypted result against its type; throws or records. Updates max |value|. */
function checkRange(op: Operation, s: Slot, ctx: RunState, throwOnOverflow: boolean): void {
  const t = op.result.type;
  const { min, max } = rangeOf(t);
  let maxAbs = ctx.stats.maxAbs.get(op) ?? 0;
  let first = -1;
  let count = 0;
  const D = s.data;
  for (let i = 0; i < D.length; i++) {
    const v = D[i]!;
    const a = v < 0 ? -v : v;
    if (a > maxAbs) maxAbs = a;
    if (v < min || v > max) {
      if (first < 0) first = i;
      count++;
    }
  }
  ctx.stats.maxAbs.set(op, maxAbs);
  if (first < 0) return;
  const record: OverflowRecord = {
    opName: op.name,
    loc: op.loc,
    value: D[first]!,
    sample: s.batched ? Math.floor(first / s.size) : 0,
    element: s.batched ? first % s.size : first,
    count: s.batched ? count : count * ctx.batch,
  };
  if (throwOnOverflow) throw new OverflowError(record, t);
  ctx.stats.overflows.push(record);
}

/** Runs `func` on a batch: one BatchTensor per argument (same batch size), returns the results and statistics. */
export function simulateWithStats(func: FuncOp, inputs: readonly BatchTensor[], opts: SimulateOptions = {}): SimulationResult {
  const ctx = openRun(func, inputs, opts);
  const batch = ctx.batch;
  if (opts.outputs) checkOutputArrays(func, inputs, batch, opts.outputs);
  const throwOnOverflow = opts.checkOverflow ?? true;
  const env = new Map<Value, Slot>();
  func.args.forEach((arg, i) => {
    const shape = perSample(arg.type);
    const s: Slot = { shape, size: nd.sizeOf(shape), data: bindInput(inputs[i]!, arg, i, batch), batched: true };
    env.set(arg, s);
    if (opts.observe) observeSlot(arg, s, opts.observe);
  });
  for (const op of func.body.ops) {
    const ins = op.operands.map((v) => {
      const s = env.get(v);
      if (!s) throw new Error(`clear backend: operand of ${op.name} has no value`);
      return s;
    });
    if (op.name === "func.return") {
      const outputs = ins.map((s) => toBatch(s, batch));
      return { outputs: opts.outputs ? copyIntoOutputs(outputs, opts.outputs) : outputs, stats: ctx.stats };
    }
    let out: Slot;
    if (op.name === "arith.constant") {
      const d = op.attr("value") as DenseAttr;
      const shape = perSample(op.result.type);
      out = { shape, size: d.data.length, data: d.data, batched: false };
    } else {
      const handler = HANDLERS[op.name];
      if (!handler) fail("E0502", `the clear backend has no semantics for '${op.name}'`, op.loc, op.name);
      out = handler(op, ins, ctx);
    }
    // A window index outside its window is counted in outOfWindow, not as an overflow.
    if (elementOf(op.result.type).kind === "eint" && op.name !== "fhe.rescale") checkRange(op, out, ctx, throwOnOverflow);
    env.set(op.result, out);
    if (opts.observe) observeSlot(op.result, out, opts.observe);
    if (opts.observeElements && elementOf(op.result.type).kind === "eint") observeElementsOf(op.result, out, batch, opts.observeElements);
  }
  throw new Error(`@${func.name} has no return`);
}

/** Runs `func` on a batch and returns its results (see simulateWithStats). */
export function simulate(func: FuncOp, inputs: readonly BatchTensor[], opts: SimulateOptions = {}): BatchTensor[] {
  return simulateWithStats(func, inputs, opts).outputs;
}

function toBatch(s: Slot, batch: number): BatchTensor {
  if (s.batched) return { batch, shape: [...s.shape], data: Float64Array.from(s.data) };
  const data = new Float64Array(s.size * batch);
  for (let b = 0; b < batch; b++) data.set(s.data, b * s.size);
  return { batch, shape: [...s.shape], data };
}

function observeElementsOf(v: Value, s: Slot, batch: number, observe: NonNullable<SimulateOptions["observeElements"]>): void {
  const mins = new Float64Array(s.size).fill(Infinity);
  const maxs = new Float64Array(s.size).fill(-Infinity);
  const rows = s.batched ? batch : 1;
  for (let b = 0; b < rows; b++) {
    for (let e = 0; e < s.size; e++) {
      const x = s.data[b * s.size + e]!;
      if (x < mins[e]!) mins[e] = x;
      if (x > maxs[e]!) maxs[e] = x;
    }
  }
  observe(v, mins, maxs);
}

/** Per-element min/max over the batch of every encrypted op result (for data-driven windows). */
export function collectElementRanges(func: FuncOp, inputs: readonly BatchTensor[]): Map<Value, { mins: Float64Array; maxs: Float64Array }> {
  const ranges = new Map<Value, { mins: Float64Array; maxs: Float64Array }>();
  simulateWithStats(func, inputs, { approximateTies: "up", observeElements: (v, mins, maxs) => ranges.set(v, { mins, maxs }) });
  return ranges;
}

/** Min/max over the batch of every value (arguments and op results), e.g. for calibration. */
export function collectRanges(func: FuncOp, inputs: readonly BatchTensor[], opts: Omit<SimulateOptions, "observe"> = {}): Map<Value, [number, number]> {
  const ranges = new Map<Value, [number, number]>();
  simulateWithStats(func, inputs, { ...opts, observe: (v, lo, hi) => ranges.set(v, [lo, hi]) });
  return ranges;
}
