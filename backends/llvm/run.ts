// Runs a batch through a compiled kernel: the same inputs, options and results as the clear
// backend's simulateWithStats. The draws are the clear backend's (backends/simulation/draws.ts):
// fhec writes each random op's key (its stream's key and its position in the function) into the
// arena, and the kernel draws each read's own numbers from it, so a seed gives the same results. Between the
// stages fhec settles the few noisy reads the kernel leaves to it (emit_draws.ts). The kernel runs
// the batch in blocks of CHUNK samples (plan.ts). The kernel reads the inputs from fhec's arrays,
// checks their range and writes the outputs into fhec's arrays itself.
import type { FuncOp } from "../../ir/core.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../../ir/types.js";
import { type BatchTensor, OverflowError, type OverflowRecord, type SimulateOptions, type SimulationResult } from "../simulation/contract.js";
import { type DrawStreams, gaussOf, readDraws, readSigma } from "../simulation/draws.js";
import { checkInput } from "../simulation/inputs.js";
import { checkOutputArrays, resultShapes } from "../simulation/outputs.js";
import { opKey } from "../simulation/rng.js";
import { roundStepsElement } from "../simulation/exact_round_steps.js";
import { openRun, type RunState } from "../simulation/run_state.js";
import { capacityOf, CONTROL, type DrawMode, type HostRound, type KernelPlan, type Operand, UNSETTLED_RECORD } from "./plan.js";
import type { NativeKernel } from "./native_object.js";

/** How close to an integer a natively drawn noisy read may land and still be settled natively (emit_draws.ts). */
export const DRAW_TOLERANCE = 2 ** -30;

export type LlvmRunOptions = Omit<SimulateOptions, "observe" | "observeElements"> & {
  /** Tolerance of native noise draws (default DRAW_TOLERANCE; 1 hands every noisy read to fhec: for tests). */
  readonly drawTolerance?: number;
};

export function drawModeOf(opts: LlvmRunOptions): DrawMode {
  const randomTies = (opts.approximateTies ?? "random") === "random";
  return { randomTies, readNoise: randomTies && (opts.noise ?? "parameters") === "parameters", tableErrors: (opts.pError ?? 0) > 0 };
}

const widthOf = (t: Parameters<typeof elementOf>[0]): number => (elementOf(t) as EncryptedIntType).width;

/** One arena per plan, reused by later runs that fit in it (its constants are written once). */
const arenas = new WeakMap<KernelPlan, Float64Array>();

function arenaFor(plan: KernelPlan, length: number): Float64Array {
  const old = arenas.get(plan);
  if (old && old.length >= length) return old;
  const arena = new Float64Array(length);
  const bytes = new Uint8Array(arena.buffer);
  for (const s of plan.statics) bytes.set(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength), s.off);
  arenas.set(plan, arena);
  return arena;
}

/** A check's statistics before a run: max |v|, count outside, first outside (none), its value. */
const FRESH_CHECK = [0, 0, -1, 0];

const startsByPlan = new WeakMap<KernelPlan, { starts: number[]; perSample: number }>();

/** Where each slot starts, in f64 per sample of capacity (prefix sums of the slot sizes), and their total. */
function slotStarts(plan: KernelPlan): { starts: number[]; perSample: number } {
  let s = startsByPlan.get(plan);
  if (!s) {
    s = { starts: [], perSample: 0 };
    for (const sz of plan.slotSizes) {
      s.starts.push(s.perSample);
      s.perSample += sz;
    }
    startsByPlan.set(plan, s);
  }
  return s;
}

export function runKernel(plan: KernelPlan, native: NativeKernel, func: FuncOp, inputs: readonly BatchTensor[], opts: LlvmRunOptions): SimulationResult {
  const ctx = openRun(func, inputs, opts);
  const batch = ctx.batch;
  // Shapes and sizes here (the kernel trusts them); the values' range in the kernel, which counts
  // the values outside: checkInput then names the first.
  const data = func.args.map((a, i) => {
    const t = inputs[i]!;
    const want = shapeOf(a.type) as number[];
    const fits = t.batch === batch && t.shape.length === want.length && want.every((d, j) => d === t.shape[j]) && t.data.length === plan.slotSizes[plan.args[i]!]! * batch;
    if (!fits) checkInput(t, a, i, batch);
    return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
  });
  const cap = capacityOf(plan, batch);
  const { starts, perSample } = slotStarts(plan);
  const arena = arenaFor(plan, (plan.staticBytes + perSample * cap * 8) / 8);
  const slotView = (slot: number, samples: number) => arena.subarray(plan.staticBytes / 8 + starts[slot]! * cap, plan.staticBytes / 8 + starts[slot]! * cap + plan.slotSizes[slot]! * samples);
  const control = (off: number, v: number) => (arena[off / 8] = v);

  // Statistics start from zero; the streams from their seeded states.
  for (const c of plan.checks) arena.set(FRESH_CHECK, c.stat / 8);
  for (const r of plan.rescales) arena[r.outside / 8] = 0;
  control(CONTROL.tluErrors, 0);
  control(CONTROL.pError, ctx.pError);
  control(CONTROL.drawTolerance, opts.drawTolerance ?? DRAW_TOLERANCE);
  for (const step of plan.randomSteps) {
    const stream = streamOf(step.draws, ctx);
    if (stream !== undefined) new Uint32Array(arena.buffer, step.key, 1)[0] = opKey(stream, ctx.opIndex(step.op));
  }

  if (opts.outputs) checkOutputArrays(func, inputs, batch, opts.outputs);
  const outputs = resultShapes(func).map((r, i) => ({ batch, shape: r.shape, data: opts.outputs?.[i] ?? new Float64Array(r.size * batch) }));

  const buffers = [...data, ...outputs.map((o) => o.data)];
  control(CONTROL.badInputs, 0);
  control(CONTROL.capacity, cap);
  for (const stage of plan.stages) if (stage.draws) setReadNoise(stage.draws, arena, ctx);
  // A plan of one stage runs the batch in one call (the kernel runs it block by block). With
  // several stages (noisy reads fhec settles between them), the slots hold one block: every stage
  // runs on a block before the next block; without blocks (host rounds), on the whole batch.
  const perCall = plan.chunk !== undefined && plan.stages.length > 1 ? plan.chunk : batch;
  for (let first = 0; first < batch; first += perCall) {
    control(CONTROL.firstSample, first);
    control(CONTROL.samples, Math.min(perCall, batch - first));
    plan.stages.forEach((stage, k) => {
      control(CONTROL.stage, k);
      control(CONTROL.unsettled, 0);
      native.run(arena, ...buffers);
      if (k === 0 && arena[CONTROL.badInputs / 8]! > 0) {
        func.args.forEach((a, i) => checkInput(inputs[i]!, a, i, batch));
        throw new Error("LLVM backend: the kernel found inputs out of range that checkInput accepts (a code generator bug)");
      }
      if (stage.draws) settleNoisyReads(arena[CONTROL.unsettled / 8]!, slotView(plan.unsettledSlot, cap), slotView(plan.drawSlot, cap));
      if (stage.host) runHostRound(stage.host, ctx, cap, batch, slotView);
    });
  }
  plan.results.forEach((r, i) => {
    if (!("slot" in r)) copyConstant(r, outputs[i]!.data, batch, arena);
  });
  ctx.stats.tluErrors += arena[CONTROL.tluErrors / 8]!;
  return { outputs, stats: collectStats(plan, arena, ctx, opts.checkOverflow ?? true) };
}

/** The key of the stream a random step draws from (undefined: it draws nothing). */
function streamOf(draws: KernelPlan["randomSteps"][number]["draws"], ctx: DrawStreams): number | undefined {
  switch (draws) {
    case "errors": return ctx.errors;
    case "ties": return ctx.ties;
    case "noise": return ctx.noise;
    case "bits": return ctx.bits;
    case "none": return undefined;
  }
}

/** A host round (plan.ts HostRound) over the call's samples, with the clear backend's draws of each read (bit-read stream). */
function runHostRound(h: HostRound, ctx: RunState, cap: number, samples: number, slotView: (slot: number, samples: number) => Float64Array): void {
  const draws = readDraws(ctx.bits ?? fail("host round planned without the bit-read stream"), ctx.opIndex(h.op));
  // Element e of sample s at e·cap + s: whole slots (cap ≥ samples).
  const x = slotView(h.x.slot, cap);
  const out = slotView(h.out, cap);
  for (let s = 0; s < samples; s++) {
    for (let e = 0; e < h.n; e++) out[e * cap + s] = roundStepsElement(x[e * cap + s]!, e, h.steps, draws.at(s, e));
  }
}

function fail(message: string): never {
  throw new Error(`LLVM backend: ${message}`);
}

/** The noisy reads the kernel left unsettled, redone as the clear backend computes them (noisyRound). */
function settleNoisyReads(count: number, records: Float64Array, values: Float64Array): void {
  for (let i = 0; i < count; i++) {
    const r = i * UNSETTLED_RECORD;
    const [j, u1, u2, a, sigma] = [records[r]!, records[r + 1]!, records[r + 2]!, records[r + 3]!, records[r + 4]!];
    values[j] = Math.floor(a + sigma * gaussOf(u1, u2));
  }
}

/** A noisy read's per-element σ and its offset. */
function setReadNoise(step: KernelPlan["randomSteps"][number], arena: Float64Array, ctx: RunState): void {
  const q = step.kind === "lookup" ? widthOf(step.op.operands[0]!.type) : widthOf(step.op.result.type);
  const r = readSigma(step.op, q, ctx);
  if (!r) throw new Error(`LLVM backend: ${step.op.name} was planned with read noise but has none`);
  arena.set(r.sigma, step.sigma / 8);
  arena[step.param / 8] = r.offset;
}

/** A result that is a constant: the same row for every sample. */
function copyConstant(r: Extract<Operand, { constOff: number }>, out: Float64Array, batch: number, arena: Float64Array): void {
  const data = arena.subarray(r.constOff / 8, r.constOff / 8 + r.size);
  for (let s = 0; s < batch; s++) out.set(data, s * r.size);
}

function collectStats(plan: KernelPlan, arena: Float64Array, ctx: RunState, throwOnOverflow: boolean): SimulationResult["stats"] {
  const stats = ctx.stats;
  stats.tluReads = plan.tableReadsPerSample * ctx.batch;
  for (const c of plan.checks) {
    const at = c.stat / 8;
    stats.maxAbs.set(c.op, arena[at]!);
    const count = arena[at + 1]!;
    if (count === 0) continue;
    const first = arena[at + 2]!;
    const record: OverflowRecord = { opName: c.op.name, loc: c.op.loc, value: arena[at + 3]!, sample: Math.floor(first / c.n), element: first % c.n, count };
    if (throwOnOverflow) throw new OverflowError(record, c.op.result.type);
    stats.overflows.push(record);
  }
  for (const r of plan.rescales) {
    const outside = arena[r.outside / 8]!;
    if (outside > 0) stats.outOfWindow.set(r.op, outside);
  }
  return stats;
}
