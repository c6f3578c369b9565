// Lowers a verified `fhe` function to a kernel plan: every value gets a place in one arena (a
// single ArrayBuffer the generated code receives), constants are folded with the clear backend's
// own handlers, and every op becomes a step the code generator emits. Batched values live in
// "slots" of `capacity` samples, element-major (element e of sample s at e·capacity + s), so that
// the code runs every element over the samples in its innermost loop, vectorized. The capacity is
// CHUNK (the kernel runs block after block of CHUNK samples; draws are keyed per read, so blocks
// draw what the whole batch would), else, when a host round needs the whole batch in its slots,
// the batch (read from the arena at run time).
import { asInts, type DenseAttr } from "../../ir/attributes.js";
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import * as nd from "../../ir/tensor.js";
import { elementOf, type EncryptedIntType, intRange, shapeOf } from "../../ir/types.js";
import { conv2dAttrs, conv2dPlan } from "../../ir/conv_geometry.js";
import { broadcastPlan, concatPlan, gatherPlan, matmulPlan, padPlan, reducePlan, slicePlan, transposePlan } from "../../ir/index_plans.js";
import { foldConstantOp } from "../clear/index.js";
import { rangeOf } from "../simulation/contract.js";
import { exactRoundReads } from "../simulation/exact_round.js";
import { type ExactRoundSteps, exactRoundSteps } from "../simulation/exact_round_steps.js";
import { roundDigits } from "../../ir/dialects/fhe.js";
import { MATMUL_OUTPUTS, type MatmulForm, SAMPLE_BLOCK } from "./matmul_kernel.js";
import { PERMUTE_ENTRIES, type PermuteEntries } from "./lookup_kernel.js";

/** Which random draws a run makes; the generated code differs per mode (see `modeKey`). */
export interface DrawMode {
  /** Exact ties of approximate rounding go either way (simulate), else up (disable). */
  readonly randomTies: boolean;
  /** Reads carrying `fhec.read_std` draw their noise (simulate with noise "parameters"). */
  readonly readNoise: boolean;
  /** Table reads without read noise are redirected at p_error (simulate, pError > 0). */
  readonly tableErrors: boolean;
}

export const modeKey = (m: DrawMode): string => `${+m.randomTies}${+m.readNoise}${+m.tableErrors}`;

/** A value: a slot (batched, `size` per sample) or constant data at a byte offset (shared by all samples). */
export type Operand = { readonly slot: number; readonly size: number } | { readonly constOff: number; readonly size: number };

/**
 * A random op's draws, all made by the kernel from the run's streams: none; rounding-tie bits;
 * read noise (a stage of its own, ended so that fhec can settle the draws the kernel cannot, see
 * emit_draws.ts); p_error redirections; the bit reads of an exact rounding (emit_exact_round.ts).
 */
export type Draws = "none" | "ties" | "noise" | "errors" | "bits";

export type Step =
  | { kind: "binary"; bin: "add" | "sub" | "mul"; a: Operand; b: Operand; out: number; n: number; ia?: number; ib?: number }
  | { kind: "neg" | "toSigned" | "toUnsigned"; x: Operand; out: number; n: number; m: number }
  | { kind: "matmul"; a: Operand; b: Operand; out: number; m: number; n: number; k: number; nb: number; aBase: number; bBase: number; fast?: FastMatmul }
  | { kind: "conv"; x: Operand; w: Operand; bias?: Operand; out: number; n: number; rowPtr: number; inIdx: number; wIdx: number; biasIdx: number }
  | { kind: "sum"; x: Operand; out: number; inSize: number; outSize: number; map: number }
  | { kind: "move"; x: Operand; out: number; n: number; plan: number; fill: number }
  | { kind: "concat"; parts: { x: Operand; count: number; outIdx: number; srcIdx: number }[]; out: number; n: number }
  | { kind: "lookup"; op: Operation; x: Operand; out: number; n: number; m: number; signed: boolean; tables: number; tablesLen: number; tableOf?: number; draws: Draws; param: number; sigma: number; key: number; permute?: PermuteEntries; wrapped?: boolean }
  | { kind: "round"; op: Operation; x: Operand; out: number; n: number; d: number; half: number; draws: Draws; param: number; sigma: number; key: number; bits?: { k: number; rows: number; odd: number; firstWrong: number } }
  | { kind: "rescale"; op: Operation; x: Operand; out: number; n: number; m: number; offsets: number; ds: number; invDs?: number; perElement: boolean; draws: Draws; param: number; sigma: number; key: number; outside: number; shifts?: RescaleShifts }
  | { kind: "check"; op: Operation; slot: number; n: number; min: number; max: number; stat: number };

/**
 * A rescale without draws whose offsets are integers of at most 2^51 and whose shifts are integers
 * in [0, 51], as integer operations: for integer inputs x with |x| ≤ 2^51 every f64 step of
 * floor((x − o + d/2)/d) is exact, so it is (x + (⌊d/2⌋ − o)) >> shift, and the wrap mod 2m
 * is the low bits. Per element, f64 constants at these byte offsets: ⌊d/2⌋ − o, and the shift.
 */
export interface RescaleShifts {
  readonly adds: number;
  readonly shifts: number;
}

/** The largest |input| (and |offset|) of an integer rescale (RescaleShifts). */
export const RESCALE_INT_LIMIT = 2 ** 51;

/**
 * A matmul by constant integer weights run by the vector kernel (matmul_kernel.ts): sums in any
 * order, on narrow copies of its input and output (slots `narrowIn`, `narrowOut`), exact while the
 * call's inputs are within ±bound (checked per call; else the clear backend's order). Two forms:
 * - f32: fused multiply-adds (16 lanes); exact while every product and partial sum is an integer of
 *   at most 2^24;
 * - i16: AVX-512 VNNI pairs of i16 products summed into i32 (16 lanes, two multiply-adds each),
 *   inputs copied as i16 pairs of rows; exact while inputs and weights fit i16 and every partial
 *   sum fits i32. Only for one row of inputs (m = 1, one matmul), the mlp's dense layers.
 */
export interface FastMatmul {
  readonly form: MatmulForm;
  readonly bound: number;
  /** The input is within ±bound in every run (table entries): no check per call, no fallback. */
  readonly proven: boolean;
  readonly narrowIn: number;
  /** Rows of `nPad` outputs (n rounded up to MATMUL_OUTPUTS; the padding outputs are zeros). */
  readonly narrowOut: number;
  readonly nPad: number;
  /**
   * Per matmul of the batch, a k × nPad matrix (zero columns past n): f32 weights, or (i16) i32
   * words holding the weights of rows 2t (low half) and 2t + 1 (high half; zero past k).
   */
  readonly weights: Float32Array | Int32Array;
  /**
   * i16 form whose weights fit s8 (k a multiple of 4): the weights as i32 words of four s8 weights
   * (rows 4t … 4t + 3, lowest first), for the u8 form (vpdpbusd) on inputs that fit u8.
   */
  readonly byteWeights?: Int32Array;
  /**
   * i16 form on a function input that nothing else reads: the input copy writes `narrowIn` straight
   * from fhec's arrays and the largest |input| (integer bits) into the word at byte offset `widest`;
   * the input's f64 slot is filled only when the call falls back to the clear backend's order.
   * `quads`: with byteWeights, the copy also writes the inputs as u8 quads into slot `narrow` and,
   * at byte offset `widest`, the largest input when the least is ≥ 0, else −1 (transpose_kernels.ts):
   * a call whose inputs all fit u8 runs the u8 form, one that does not the i16 form (or the clear
   * order) as before.
   */
  readonly fromInput?: { readonly arg: number; readonly widest: number; readonly quads?: { readonly narrow: number; readonly widest: number } };
}

/** What the host's code may use (load.ts: LlvmToolchain). */
export interface Target {
  readonly avx512: boolean;
  readonly vnni: boolean;
}

/** The largest integers every order of f32 sums computes exactly. */
const F32_EXACT = 2 ** 24;
const I16_MAX = 2 ** 15 - 1;
const I32_MAX = 2 ** 31 - 1;

/**
 * The fast form of a matmul of `a` (a slot) by constant weights `w`, if it has one: the integer
 * form where the host has it and its bound is no smaller (or `known` fits it), else f32. `known`
 * bounds |a| in every run where it is known (table outputs are table entries): the form is left
 * out when it can never apply.
 */
function fastMatmul(a: Operand, known: number | undefined, w: Float64Array | undefined, p: { m: number; n: number; k: number; bBase: Int32Array }, newSlot: (size: number) => number, target: Target): FastMatmul | undefined {
  if (!("slot" in a) || !w || !w.every((v) => Number.isInteger(v))) return undefined;
  // max over outputs of Σ_t |w|: |partial sum| ≤ max|input| · norm.
  let norm = 0;
  let maxW = 0;
  for (const base of p.bBase) {
    for (let j = 0; j < p.n; j++) {
      let sum = 0;
      for (let t = 0; t < p.k; t++) sum += Math.abs(w[base + t * p.n + j]!);
      norm = Math.max(norm, sum);
    }
  }
  for (const v of w) maxW = Math.max(maxW, Math.abs(v));
  const f32Bound = norm === 0 ? Infinity : Math.floor(F32_EXACT / norm);
  const i16Bound = Math.min(I16_MAX, norm === 0 ? Infinity : Math.floor(I32_MAX / norm));
  const i16 = target.vnni && p.m === 1 && p.bBase.length === 1 && a.size === p.k && maxW <= I16_MAX && (i16Bound >= f32Bound || (known !== undefined && known <= i16Bound));
  const bound = i16 ? i16Bound : f32Bound;
  if (bound < 1 || (known !== undefined && known > bound)) return undefined;
  const nPad = Math.ceil(p.n / MATMUL_OUTPUTS) * MATMUL_OUTPUTS;
  const proven = known !== undefined && known <= bound;
  if (i16) {
    const pairs = Math.ceil(p.k / 2);
    const weights = new Int32Array(pairs * nPad);
    const base = p.bBase[0]!;
    for (let t = 0; t < pairs; t++) {
      for (let j = 0; j < p.n; j++) {
        const hi = 2 * t + 1 < p.k ? w[base + (2 * t + 1) * p.n + j]! : 0;
        weights[t * nPad + j] = (w[base + 2 * t * p.n + j]! & 0xffff) | (hi << 16);
      }
    }
    // vpdpbusd sums four u8 × s8 products into i32 lanes: exact for inputs in [0, 255] while 255·norm fits i32.
    const bytes = p.k % 4 === 0 && w.every((v) => v >= -128 && v <= 127) && 255 * norm <= I32_MAX;
    const byteWeights = bytes ? new Int32Array((p.k / 4) * nPad) : undefined;
    for (let t = 0; byteWeights && t < p.k / 4; t++) {
      for (let j = 0; j < p.n; j++) {
        let word = 0;
        for (let b = 0; b < 4; b++) word |= (w[base + (4 * t + b) * p.n + j]! & 0xff) << (8 * b);
        byteWeights[t * nPad + j] = word;
      }
    }
    // i32 words take half an f64 slot of the same size: one per pair of input rows.
    return { form: "i16", bound, proven, narrowIn: newSlot(Math.ceil(pairs / 2)), narrowOut: newSlot(Math.ceil(nPad / 2)), nPad, weights, ...(byteWeights ? { byteWeights } : {}) };
  }
  const weights = new Float32Array(p.bBase.length * p.k * nPad);
  p.bBase.forEach((base, bi) => {
    for (let t = 0; t < p.k; t++) for (let j = 0; j < p.n; j++) weights[(bi * p.k + t) * nPad + j] = w[base + t * p.n + j]!;
  });
  // f32 copies take half an f64 slot of the same size.
  return { form: "f32", bound, proven, narrowIn: newSlot(Math.ceil(a.size / 2)), narrowOut: newSlot(Math.ceil((p.bBase.length * p.m * nPad) / 2)), nPad, weights };
}

/**
 * An op that may draw. `key`: the byte offset of the i32 its draws are keyed by (rng.ts opKey of
 * its stream and of its position in the function's body), written by fhec per run.
 */
export type RandomStep = Extract<Step, { kind: "lookup" | "round" | "rescale" }>;

/**
 * An exact rounding whose last extraction step reads several bits at once, with read noise: fhec
 * runs it between two stages with the clear backend's own code (roundStepsDrawn), on the slots in
 * the arena, with the bit-read stream's draws of the same reads, so they are the clear backend's.
 */
export interface HostRound {
  readonly op: Operation;
  readonly x: Extract<Operand, { slot: number }>;
  readonly out: number;
  readonly n: number;
  readonly steps: ExactRoundSteps;
}

/**
 * A stage runs `steps`; a step with read noise is split: its noisy reads end one stage, the rest of
 * it begins the next. A host round ends a stage too: fhec runs it after the stage's native code.
 */
export interface Stage {
  readonly steps: readonly Step[];
  /** The step whose noisy reads this stage makes last (into the draw slot). */
  readonly draws?: RandomStep;
  /** The rounding fhec runs after this stage. */
  readonly host?: HostRound;
}

/**
 * Byte offsets of the control words at the start of the arena (f64 each): the stage to run, the
 * samples of this call, the noisy reads left for fhec to settle, p_error, the tolerance of native
 * noise draws, the count of p_error redirections, the count of inputs out of range, then one
 * parameter per op.
 */
export const CONTROL = { stage: 0, firstSample: 8, samples: 16, capacity: 24, unsettled: 32, pError: 40, drawTolerance: 48, tluErrors: 56, badInputs: 64, params: 72 } as const;

/**
 * Samples per block (unless a host round needs the whole batch): all the slots then fit the
 * second-level cache (the mlp's slots take 2.5 KiB per sample: 320 KiB here), and every loop over
 * samples runs 16 vectors of 8 lanes, so a row's fixed costs (reductions across lanes, the loops'
 * set-up) weigh half what they did in blocks of 64, which made the mlp's kernel 1.10× slower and
 * the CNNs' 1.07–1.08× (blocks of 256: 1.04–1.06× slower than 128; of 512, earlier, 1.4×). Every loop runs the whole block (a
 * constant trip count: no scalar remainders), the lanes past the batch's end repeating its last
 * sample (emit_ops.ts). The generated code knows the slots' capacity, so every slot is at a
 * constant offset.
 */
export const CHUNK = 128;
if (CHUNK % SAMPLE_BLOCK !== 0 || (CHUNK & (CHUNK - 1)) !== 0) throw new Error("CHUNK must be a power of two and a whole number of the matmul kernel's sample blocks");

/** Samples per slot element for a batch: the chunk, else the batch rounded up to whole sample blocks of the matmul kernel. */
export const capacityOf = (plan: KernelPlan, batch: number): number => plan.chunk ?? Math.ceil(batch / SAMPLE_BLOCK) * SAMPLE_BLOCK;

export interface KernelPlan {
  readonly func: FuncOp;
  readonly mode: DrawMode;
  readonly stages: readonly Stage[];
  /** Per-sample size (f64 elements) of every slot, including draw buffers. */
  readonly slotSizes: readonly number[];
  /** Bytes before the slots: control words, constants, index plans, statistics. */
  readonly staticBytes: number;
  /**
   * Data to write at those offsets once (constants, plans, initial statistics). Constant items are
   * also module constants in the generated code, which reads them from there (stores into the arena
   * cannot change them, so the optimizer hoists and vectorizes their reads).
   */
  readonly statics: readonly StaticItem[];
  /** Samples per block: CHUNK, or undefined (the whole batch in one block) when a host round needs the whole batch in its slots. */
  readonly chunk: number | undefined;
  readonly args: readonly number[];
  /** Per argument, the integer range its inputs must lie in (checkInput's), or undefined (not an integer type). */
  readonly argRanges: readonly ({ readonly min: number; readonly max: number } | undefined)[];
  readonly results: readonly Operand[];
  readonly checks: readonly Extract<Step, { kind: "check" }>[];
  readonly rescales: readonly Extract<Step, { kind: "rescale" }>[];
  readonly randomSteps: readonly RandomStep[];
  /**
   * The slot that receives the values of noisy reads, sized for the largest op with read noise
   * (element-major like every slot, so that the loops that write and read it vectorize).
   */
  readonly drawSlot: number;
  /** Records (flat index in the draw slot, the two uniforms, z + 1/2, σ) of the noisy reads fhec settles, as many per sample as `drawSlot`. */
  readonly unsettledSlot: number;
  /** Elements per sample of table reads (for stats.tluReads). */
  readonly tableReadsPerSample: number;
}

export interface StaticItem {
  readonly off: number;
  readonly data: Float64Array | Int32Array;
  readonly constant: boolean;
}

class Statics {
  bytes: number;
  readonly items: StaticItem[] = [];
  constructor(start: number) {
    this.bytes = start;
  }
  put(data: Float64Array | Int32Array, constant: boolean): number {
    const off = Math.ceil(this.bytes / 8) * 8;
    this.items.push({ off, data, constant });
    this.bytes = off + data.byteLength;
    return off;
  }
  f64(xs: ArrayLike<number>): number {
    return this.put(Float64Array.from(xs), true);
  }
  i32(xs: ArrayLike<number>): number {
    return this.put(Int32Array.from(xs), true);
  }
  /** Words the kernel writes (statistics, generator states) or fhec sets per run (σ). */
  mutable(data: Float64Array | Int32Array): number {
    return this.put(data, false);
  }
}

/** The slots a step reads. */
function slotsRead(step: Step): number[] {
  const of = (...os: (Operand | undefined)[]) => os.flatMap((o) => (o && "slot" in o ? [o.slot] : []));
  switch (step.kind) {
    case "binary": case "matmul": return of(step.a, step.b);
    case "conv": return of(step.x, step.w, step.bias);
    case "concat": return of(...step.parts.map((p) => p.x));
    case "check": return [step.slot];
    default: return of(step.x);
  }
}

/**
 * Marks the i16 fast matmuls of the first stage whose input is a function input read by nothing
 * else (FastMatmul.fromInput): the input copy then packs it into i16 pairs itself, which saves
 * writing the input's f64 rows and reading them back (n a multiple of the copy's 8 elements).
 */
function packInputsForMatmuls(steps: (Step | { split: RandomStep } | { host: HostRound })[], args: readonly number[], results: readonly Operand[], st: Statics, newSlot: (size: number) => number): void {
  const firstStage = steps.findIndex((s) => "split" in s || "host" in s);
  const reads = new Map<number, number>();
  const count = (slot: number) => reads.set(slot, (reads.get(slot) ?? 0) + 1);
  for (const s of steps) {
    if ("split" in s) slotsRead(s.split).forEach(count);
    else if ("host" in s) count(s.host.x.slot);
    else slotsRead(s).forEach(count);
  }
  for (const r of results) if ("slot" in r) count(r.slot);
  steps.slice(0, firstStage < 0 ? steps.length : firstStage).forEach((s) => {
    if ("split" in s || "host" in s || s.kind !== "matmul" || !s.fast || s.fast.form !== "i16" || s.fast.proven || !("slot" in s.a)) return;
    const arg = args.indexOf(s.a.slot);
    // The matmul reads its input once (a) and the weights are constants.
    if (arg < 0 || reads.get(s.a.slot) !== 1 || s.k % 8 !== 0) return;
    // u8 quads: k/4 i32 words, half an f64 slot of k/4.
    const quads = s.fast.byteWeights ? { narrow: newSlot(Math.ceil(s.k / 8)), widest: st.mutable(new Float64Array(1)) } : undefined;
    s.fast = { ...s.fast, fromInput: { arg, widest: st.mutable(new Float64Array(1)), ...(quads ? { quads } : {}) } };
  });
}

/** f64 words per unsettled noisy read (see KernelPlan.unsettledSlot). */
export const UNSETTLED_RECORD = 5;

function argRange(a: Value): { min: number; max: number } | undefined {
  const e = elementOf(a.type);
  return e.kind === "eint" || e.kind === "int" ? intRange(e.width, e.signed) : undefined;
}

const perSample = (v: Value): number[] => shapeOf(v.type) as number[];
const widthOf = (v: Value): number => (elementOf(v.type) as EncryptedIntType).width;

/** Lowers `func` for one draw mode, for code that runs on `target`. Ops the plan cannot run natively are refused (E0502). */
export function planKernel(func: FuncOp, mode: DrawMode, target: Target): KernelPlan {
  let params = 0;
  const paramOf = (): number => CONTROL.params + 8 * params++;
  // Control words and per-op parameters first; their count is known only at the end, so reserve
  // one word per op (an upper bound) before the constants.
  const st = new Statics(CONTROL.params + 8 * func.body.ops.length);
  const slotSizes: number[] = [];
  const newSlot = (size: number): number => slotSizes.push(size) - 1;
  const env = new Map<Value, Operand>();
  const steps: (Step | { split: RandomStep } | { host: HostRound })[] = [];
  const checks: Extract<Step, { kind: "check" }>[] = [];
  const rescales: Extract<Step, { kind: "rescale" }>[] = [];
  const randomSteps: RandomStep[] = [];
  let tableReadsPerSample = 0;
  let maxDrawn = 0;
  const args = func.args.map((a) => {
    const slot = newSlot(nd.sizeOf(perSample(a)));
    env.set(a, { slot, size: slotSizes[slot]! });
    return slot;
  });
  const constData = new Map<Value, Float64Array>();
  // A bound on |value| that holds in every run, where one is known: table outputs are ± table entries.
  const maxAbsOf = new Map<Value, number>();
  // Values a rescale made: integers in [0, 2m) (m = 2^width) or NaN (emit_ops.ts, rescale).
  const wrapped = new Set<Value>();
  let results: Operand[] = [];

  const keyOf = (): number => st.mutable(new Int32Array(2));
  const random = (s: RandomStep): void => {
    randomSteps.push(s);
    if (s.draws === "noise") {
      maxDrawn = Math.max(maxDrawn, s.n);
      steps.push({ split: s });
    } else steps.push(s);
  };
  const drawsOf = (op: Operation, approximate: boolean): Draws => {
    if (mode.readNoise && op.attributes.get("fhec.read_std")?.kind === "dense") return "noise";
    return approximate && mode.randomTies ? "ties" : "none";
  };

  for (const op of func.body.ops) {
    if (op.name === "func.return") {
      results = op.operands.map((v) => env.get(v)!);
      break;
    }
    const ins = op.operands.map((v) => env.get(v)!);
    if (op.name === "arith.constant" || ins.every((o) => "constOff" in o)) {
      // Shared by every sample: computed once here, by the clear backend itself.
      const data =
        op.name === "arith.constant"
          ? Float64Array.from((op.attr("value") as DenseAttr).data)
          : foldConstantOp(op, op.operands.map((v) => constData.get(v)!)) ?? fail("E0502", `the LLVM backend has no semantics for '${op.name}'`, op.loc, op.name);
      constData.set(op.result, data);
      env.set(op.result, { constOff: st.f64(data), size: data.length });
      continue;
    }
    const outShape = perSample(op.result);
    const n = nd.sizeOf(outShape);
    const shapeIn = (i: number) => perSample(op.operands[i]!);
    let out: Operand;
    if (op.name === "fhe.reshape") {
      out = { ...ins[0]!, size: n };
      const known = maxAbsOf.get(op.operands[0]!);
      if (known !== undefined) maxAbsOf.set(op.result, known);
      if (wrapped.has(op.operands[0]!)) wrapped.add(op.result);
    } else {
      const slot = newSlot(n);
      out = { slot, size: n };
      const x = ins[0]!;
      switch (op.name) {
        case "arith.add": case "fhe.add_eint": case "fhe.add_eint_int":
        case "arith.sub": case "fhe.sub_eint": case "fhe.sub_eint_int": case "fhe.sub_int_eint":
        case "arith.mul": case "fhe.mul_eint_int": {
          const bin = op.name.includes("add") ? "add" : op.name.includes("sub") ? "sub" : "mul";
          const ia = broadcastPlan(shapeIn(0), outShape);
          const ib = broadcastPlan(shapeIn(1), outShape);
          steps.push({ kind: "binary", bin, a: x, b: ins[1]!, out: slot, n, ...(ia ? { ia: st.i32(ia) } : {}), ...(ib ? { ib: st.i32(ib) } : {}) });
          break;
        }
        case "arith.neg": case "fhe.neg_eint":
          steps.push({ kind: "neg", x, out: slot, n, m: 0 });
          break;
        case "fhe.to_signed": case "fhe.to_unsigned":
          steps.push({ kind: op.name === "fhe.to_signed" ? "toSigned" : "toUnsigned", x, out: slot, n, m: 2 ** widthOf(op.operands[0]!) });
          break;
        case "fhe.dot_eint_int": case "fhe.matmul_eint_int": case "fhe.matmul_int_eint": {
          const p = matmulPlan(shapeIn(0), shapeIn(1));
          const b = ins[1]!;
          const fast = fastMatmul(x, maxAbsOf.get(op.operands[0]!), "constOff" in b ? constData.get(op.operands[1]!) : undefined, p, newSlot, target);
          steps.push({ kind: "matmul", a: x, b, out: slot, m: p.m, n: p.n, k: p.k, nb: p.aBase.length, aBase: st.i32(p.aBase), bBase: st.i32(p.bBase), ...(fast ? { fast } : {}) });
          break;
        }
        case "fhe.conv2d": {
          const p = conv2dPlan(shapeIn(0), shapeIn(1), conv2dAttrs(op));
          steps.push({ kind: "conv", x, w: ins[1]!, ...(ins[2] ? { bias: ins[2] } : {}), out: slot, n, rowPtr: st.i32(p.rowPtr), inIdx: st.i32(p.inIdx), wIdx: st.i32(p.wIdx), biasIdx: st.i32(p.biasIdx) });
          break;
        }
        case "fhe.sum": {
          const p = reducePlan(shapeIn(0), asInts(op.attr("axes"))!);
          if (p.outSize !== n) throw new Error("sum: result size mismatch");
          steps.push({ kind: "sum", x, out: slot, inSize: x.size, outSize: n, map: st.i32(p.map) });
          break;
        }
        case "fhe.transpose": case "fhe.slice": case "fhe.pad": case "fhe.gather": {
          const s = shapeIn(0);
          const plan =
            op.name === "fhe.transpose" ? transposePlan(s, asInts(op.attr("perm"))!)
            : op.name === "fhe.slice" ? slicePlan(s, asInts(op.attr("starts"))!, asInts(op.attr("ends"))!, asInts(op.attr("steps"))!)
            : op.name === "fhe.pad" ? padPlan(s, asInts(op.attr("pads"))!)
            : (() => {
                const idx = op.attr("indices") as DenseAttr;
                return gatherPlan(s, { shape: idx.type.shape as number[], data: idx.data }, (op.attr("axis") as { value: number }).value);
              })();
          const fill = op.name === "fhe.pad" ? (op.attr("value") as { value: number }).value : 0;
          steps.push({ kind: "move", x, out: slot, n, plan: st.i32(plan), fill });
          break;
        }
        case "fhe.concat": {
          const { part, index } = concatPlan(op.operands.map((v) => perSample(v)), (op.attr("axis") as { value: number }).value);
          const parts = ins.map((xp, p) => {
            const outIdx: number[] = [];
            const srcIdx: number[] = [];
            for (let i = 0; i < n; i++) if (part[i] === p) (outIdx.push(i), srcIdx.push(index[i]!));
            return { x: xp, count: outIdx.length, outIdx: st.i32(outIdx), srcIdx: st.i32(srcIdx) };
          });
          steps.push({ kind: "concat", parts, out: slot, n });
          break;
        }
        case "fhe.apply_lookup_table": case "fhe.apply_mapped_lookup_table": {
          const { width: p, signed } = elementOf(op.operands[0]!.type) as EncryptedIntType;
          const mapped = op.name === "fhe.apply_mapped_lookup_table";
          const tableData = (op.attr(mapped ? "tables" : "table") as DenseAttr).data;
          const tables = st.f64(tableData);
          maxAbsOf.set(op.result, tableData.reduce((a, v) => Math.max(a, Math.abs(v)), 0));
          const tableOf = mapped ? st.f64((op.attr("map") as DenseAttr).data) : undefined;
          const noise = drawsOf(op, false) === "noise";
          const draws: Draws = noise ? "noise" : mode.tableErrors ? "errors" : "none";
          tableReadsPerSample += x.size;
          // Reads without draws from tables of 16–64 entries, each table whole within the data: permutes.
          const m = 2 ** p;
          const starts = mapped ? Array.from((op.attr("map") as DenseAttr).data) : [0];
          const permute = target.avx512 && draws === "none" && (PERMUTE_ENTRIES as readonly number[]).includes(m) && starts.every((t) => Number.isInteger(t) && t >= 0 && (t + 1) * m <= tableData.length)
            ? (m as PermuteEntries) : undefined;
          random({
            kind: "lookup", op, x, out: slot, n, m, signed, tables, tablesLen: tableData.length, ...(tableOf !== undefined ? { tableOf } : {}), ...(permute ? { permute } : {}), draws,
            // An unsigned read of a rescale's result (the same width, so the same m): its index and sign are its bits.
            ...(!signed && draws === "none" && wrapped.has(op.operands[0]!) ? { wrapped: true } : {}),
            param: paramOf(), sigma: noise ? st.mutable(new Float64Array(n)) : 0, key: keyOf(),
          });
          break;
        }
        case "fhe.round": {
          const d = 2 ** (widthOf(op.operands[0]!) - widthOf(op.result));
          const approximate = (op.attr("method") as { value: string }).value === "approximate";
          const draws = drawsOf(op, approximate);
          const multiBit = !approximate && roundDigits(op).some((digits) => digits > 1);
          const hostSteps = multiBit && mode.readNoise ? exactRoundSteps(op) : undefined;
          if (hostSteps) {
            if (!("slot" in x)) throw new Error(`LLVM backend: the encrypted input of ${op.name} is not batched`);
            steps.push({ host: { op, x, out: slot, n, steps: hostSteps } });
            break;
          }
          const reads = !approximate && !multiBit && mode.readNoise ? exactRoundReads(op) : undefined;
          const bits = reads && { k: reads.k, rows: st.i32(reads.rows), odd: st.f64(reads.odd), firstWrong: st.f64(reads.firstWrong) };
          random({ kind: "round", op, x, out: slot, n, d, half: d / 2, draws: approximate ? draws : bits ? "bits" : "none", param: paramOf(), sigma: draws === "noise" && approximate ? st.mutable(new Float64Array(n)) : 0, key: keyOf(), ...(bits ? { bits } : {}) });
          break;
        }
        case "fhe.rescale": {
          const offsets = (op.attr("offset") as DenseAttr).data;
          const shifts = (op.attr("shift") as DenseAttr).data;
          const perElement = offsets.length !== 1 || shifts.length !== 1;
          const at = (a: ArrayLike<number>, e: number) => (a.length === 1 ? a[0]! : a[e]!);
          const draws = drawsOf(op, true);
          const elementShifts = Array.from({ length: n }, (_, e) => at(shifts, e));
          const elementOffsets = Array.from({ length: n }, (_, e) => at(offsets, e));
          const integral = draws === "none" && elementShifts.every((sh) => Number.isInteger(sh) && sh >= 0 && sh <= 51)
            && elementOffsets.every((o) => Number.isInteger(o) && Math.abs(o) <= RESCALE_INT_LIMIT);
          const s: Extract<Step, { kind: "rescale" }> = {
            kind: "rescale", op, x, out: slot, n, m: 2 ** widthOf(op.result),
            offsets: st.f64(Array.from({ length: n }, (_, e) => at(offsets, e))),
            ds: st.f64(Array.from({ length: n }, (_, e) => 2 ** at(shifts, e))),
            // Dividing by a power of two is multiplying by its inverse, bit for bit (both exact
            // roundings of the same quotient), and a product is much cheaper than a division.
            ...(Array.from({ length: n }, (_, e) => at(shifts, e)).every((sh) => Number.isInteger(sh) && Math.abs(sh) < 1000)
              ? { invDs: st.f64(Array.from({ length: n }, (_, e) => 2 ** -at(shifts, e))) } : {}),
            perElement, draws, param: paramOf(), sigma: draws === "noise" ? st.mutable(new Float64Array(n)) : 0, key: keyOf(), outside: st.mutable(new Float64Array(1)),
            ...(integral ? { shifts: { adds: st.f64(elementShifts.map((sh, e) => Math.floor(2 ** sh / 2) - elementOffsets[e]!)), shifts: st.f64(elementShifts) } } : {}),
          };
          rescales.push(s);
          wrapped.add(op.result);
          random(s);
          break;
        }
        default:
          fail("E0502", `the LLVM backend has no semantics for '${op.name}'`, op.loc, op.name);
      }
    }
    env.set(op.result, out);
    // A window index outside its window is counted in outOfWindow, not as an overflow (as in the clear backend).
    if (elementOf(op.result.type).kind === "eint" && op.name !== "fhe.rescale") {
      if (!("slot" in out)) throw new Error(`LLVM backend: encrypted result of ${op.name} is not batched`);
      const { min, max } = rangeOf(op.result.type);
      const c: Extract<Step, { kind: "check" }> = { kind: "check", op, slot: out.slot, n, min, max, stat: st.mutable(Float64Array.of(0, 0, -1, 0)) };
      checks.push(c);
      steps.push(c);
    }
  }

  packInputsForMatmuls(steps, args, results, st, newSlot);
  const drawSlot = newSlot(Math.max(maxDrawn, 1));
  const unsettledSlot = newSlot(UNSETTLED_RECORD * Math.max(maxDrawn, 1));
  const stages: Stage[] = [];
  let current: Step[] = [];
  for (const s of steps) {
    if ("split" in s) {
      stages.push({ steps: current, draws: s.split });
      current = [s.split];
    } else if ("host" in s) {
      stages.push({ steps: current, host: s.host });
      current = [];
    } else current.push(s);
  }
  stages.push({ steps: current });
  const hostRounds = stages.some((stage) => stage.host !== undefined);
  return {
    func, mode, stages, slotSizes, staticBytes: Math.ceil(st.bytes / 8) * 8, statics: st.items, argRanges: func.args.map(argRange), chunk: hostRounds ? undefined : CHUNK, args, results, checks, rescales, randomSteps, drawSlot, unsettledSlot, tableReadsPerSample,
  };
}
