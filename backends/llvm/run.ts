// Runs a batch through a compiled kernel: the same inputs, options and results as the clear
// backend's simulateWithStats. The caller side of the draws lives here: the random streams are
// the ones the clear backend opens (backends/simulation/draws.ts), drawn in the clear backend's
// order: read noise and tie bits are counted by the kernel, drawn here and handed back; p_error
// redirections are data-independent and drawn up front, op by op. Without draws, large batches
// run in chunks of CHUNK samples.
import type { FuncOp } from "../../ir/core.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../../ir/types.js";
import { type BatchTensor, OverflowError, type OverflowRecord, type SimulateOptions, type SimulationResult } from "../simulation/contract.js";
import { gauss, readSigma } from "../simulation/draws.js";
import { bindInput } from "../simulation/inputs.js";
import { openRun, type RunState } from "../simulation/run_state.js";
import { CONTROL, type DrawMode, type KernelPlan, type Operand } from "./plan.js";
import type { NativeKernel } from "./native_object.js";

/** Samples per call when nothing is drawn: enough to amortize a call, small enough to stay in cache. */
const CHUNK = 256;

export type LlvmRunOptions = Omit<SimulateOptions, "observe" | "observeElements">;

export function drawModeOf(opts: LlvmRunOptions): DrawMode {
  const randomTies = (opts.approximateTies ?? "random") === "random";
  return { randomTies, readNoise: randomTies && (opts.noise ?? "parameters") === "parameters", tableErrors: (opts.pError ?? 0) > 0 };
}

const widthOf = (t: Parameters<typeof elementOf>[0]): number => (elementOf(t) as EncryptedIntType).width;

export function runKernel(plan: KernelPlan, native: NativeKernel, func: FuncOp, inputs: readonly BatchTensor[], opts: LlvmRunOptions): SimulationResult {
  const ctx = openRun(func, inputs, opts);
  const batch = ctx.batch;
  const bound = func.args.map((a, i) => bindInput(inputs[i]!, a, i, batch));
  const drawn = plan.randomSteps.some((s) => s.draws !== "none");
  const cap = drawn ? batch : Math.max(1, Math.min(batch, CHUNK));
  const starts: number[] = [];
  let perSample = 0;
  for (const sz of plan.slotSizes) {
    starts.push(perSample);
    perSample += sz;
  }
  const arena = new Float64Array((plan.staticBytes + perSample * cap * 8) / 8);
  const bytes = new Uint8Array(arena.buffer);
  for (const s of plan.statics) bytes.set(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength), s.off);
  const slotView = (slot: number, samples: number) => arena.subarray(plan.staticBytes / 8 + starts[slot]! * cap, plan.staticBytes / 8 + starts[slot]! * cap + plan.slotSizes[slot]! * samples);
  const control = (off: number, v: number) => (arena[off / 8] = v);

  fillTableErrors(plan, ctx, slotView);
  const returned = func.body.terminator!.operands;
  const outputs = plan.results.map((r, i) => ({ batch, shape: [...(shapeOf(returned[i]!.type) as number[])], data: new Float64Array(r.size * batch) }));

  for (let s0 = 0; s0 < batch; s0 += cap) {
    const ns = Math.min(cap, batch - s0);
    plan.args.forEach((slot, i) => {
      const n = plan.slotSizes[slot]!;
      slotView(slot, ns).set(bound[i]!.subarray(s0 * n, (s0 + ns) * n));
    });
    control(CONTROL.firstSample, s0);
    control(CONTROL.samples, ns);
    control(CONTROL.capacity, cap);
    plan.stages.forEach((stage, k) => {
      const counted = k > 0 ? plan.stages[k - 1]!.counts : undefined;
      if (counted) supplyDraws(counted.draws, arena[CONTROL.drawCount / 8]!, ctx, slotView(plan.drawSlot, ns));
      if (stage.counts?.draws === "noise") setReadNoise(stage.counts, arena, ctx);
      control(CONTROL.stage, k);
      native.run(arena);
    });
    plan.results.forEach((r, i) => copyResult(r, outputs[i]!.data, s0, ns, slotView, arena));
  }
  return { outputs, stats: collectStats(plan, arena, ctx, opts.checkOverflow ?? true) };
}

/** p_error redirections, op after op: for each read, next() < p_error, then bit() for the direction (clear: lookup). */
function fillTableErrors(plan: KernelPlan, ctx: RunState, slotView: (slot: number, samples: number) => Float64Array): void {
  for (const s of plan.randomSteps) {
    if (s.kind !== "lookup" || s.draws !== "errors") continue;
    const shifts = slotView(s.shift!, ctx.batch);
    for (let j = 0; j < shifts.length; j++) {
      if (ctx.rng.next() < ctx.pError) {
        shifts[j] = ctx.rng.bit() ? 1 : -1;
        ctx.stats.tluErrors++;
      } else shifts[j] = 0;
    }
  }
}

/** The draws the kernel counted: standard normals for read noise, 0/1 for rounding ties. */
function supplyDraws(kind: string, count: number, ctx: RunState, into: Float64Array): void {
  if (count > into.length) throw new Error(`LLVM backend: ${count} draws requested, room for ${into.length}`);
  if (kind === "noise") for (let i = 0; i < count; i++) into[i] = gauss(ctx.noiseRng!);
  else for (let i = 0; i < count; i++) into[i] = ctx.tieRng!.bit() ? 1 : 0;
}

/** A noisy read's per-element σ and its offset (with the key's shared draw, made here in the clear backend's order). */
function setReadNoise(step: KernelPlan["randomSteps"][number], arena: Float64Array, ctx: RunState): void {
  const q = step.kind === "lookup" ? widthOf(step.op.operands[0]!.type) : widthOf(step.op.result.type);
  const r = readSigma(step.op, q, ctx);
  if (!r) throw new Error(`LLVM backend: ${step.op.name} was planned with read noise but has none`);
  arena.set(r.sigma, step.sigma / 8);
  arena[step.param / 8] = r.offset;
}

function copyResult(r: Operand, out: Float64Array, s0: number, ns: number, slotView: (slot: number, samples: number) => Float64Array, arena: Float64Array): void {
  if ("slot" in r) {
    out.set(slotView(r.slot, ns), s0 * r.size);
    return;
  }
  const data = arena.subarray(r.constOff / 8, r.constOff / 8 + r.size);
  for (let s = s0; s < s0 + ns; s++) out.set(data, s * r.size);
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
