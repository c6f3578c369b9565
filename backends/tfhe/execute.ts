// Executes a tfhe function on a batch of encrypted samples with the runtime: linear ops through the
// native kernels (whole batch per call), data movement as ciphertext copies, and every
// keyswitch+bootstrap op as one batched, asynchronous KS+PBS over all its elements and samples
// (split in chunks only to report progress). Server side: takes evaluation keys, never a secret key.
import { asInts, type DenseAttr } from "../../ir/attributes.js";
import type { Operation, Value } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import * as nd from "../../ir/tensor.js";
import { elementOf, type LweType, shapeOf } from "../../ir/types.js";
import { add, conv2d, type EvaluationKeys, EvaluationKeySet, type LookupTables, LweCiphertextTensor, matmul, mulClear, negate, sub } from "../../runtime/index.js";
import { encodeAt, encodeOne } from "./encoding.js";
import { broadcastPlan, concatPlan, gatherPlan, matmulPlan, padPlan, slicePlan, sumPlan, transposePlan } from "./plans.js";
import { denseData, type TfheProgram } from "./program.js";

/** An intermediate ciphertext tensor handed to `trace` (debugging/tests; server-side data only). */
export interface TracedValue {
  readonly shape: readonly number[];
  /** Precision p of the encoding (v·2^(63−p)). */
  readonly width: number;
  /** [batch, ...shape] big-key ciphertexts. */
  readonly ciphertexts: LweCiphertextTensor;
}

export interface ExecuteOptions {
  /** Called with (done, total) programmable bootstraps, at the start and after every chunk. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Stops between ops and PBS chunks (the promise rejects). */
  readonly signal?: AbortSignal;
  /** Receives every big-key ciphertext value the function computes. */
  readonly trace?: (op: Operation, value: TracedValue) => void;
  /** Ciphertexts per KS+PBS call (default 1024); smaller gives finer progress. */
  readonly chunkSize?: number;
  /** Largest input (in 64-bit words) of one synchronous native linear call (default 2^22). */
  readonly maxSyncWords?: number;
}

interface CtVal {
  readonly kind: "ct";
  readonly shape: readonly number[];
  readonly size: number;
  readonly width: number;
  /** Flat [batch·size] tensor; for a keyswitch fused into its bootstraps, the big-key input. */
  readonly t: LweCiphertextTensor;
  readonly fusedKeyswitch: boolean;
}

interface ClearVal {
  readonly kind: "clear";
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

type Val = CtVal | ClearVal;

interface Ctx {
  readonly batch: number;
  /** One entry per partition (one for a one-set program), plus the conversion keys. */
  readonly keys: EvaluationKeySet;
  readonly opts: ExecuteOptions;
  readonly total: number;
  done: number;
  /** performance.now() of the last return to the event loop. */
  lastYield: number;
}

/** Default largest input (words) of one synchronous native linear call. */
const SYNC_WORDS = 1 << 22;

/** Returns to the event loop when the current synchronous stretch exceeds ~15 ms. */
async function breathe(ctx: Ctx): Promise<void> {
  if (performance.now() - ctx.lastYield < 15) return;
  await yieldLoop();
  ctx.lastYield = performance.now();
  if (ctx.opts.signal?.aborted) throw new Error("tfhe execution aborted");
}

const perSample = (v: Value): number[] => shapeOf(v.type) as number[];
const widthOf = (v: Value): number => (elementOf(v.type) as LweType).width;
const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function ctVal(shape: readonly number[], width: number, t: LweCiphertextTensor, fusedKeyswitch = false): CtVal {
  return { kind: "ct", shape: [...shape], size: nd.sizeOf(shape), width, t, fusedKeyswitch };
}

function tensorLike(like: LweCiphertextTensor, count: number, data: BigUint64Array, shape: readonly number[] = [count]): LweCiphertextTensor {
  return new LweCiphertextTensor(shape, like.dimension, like.paramHash, data);
}

/** out[s, i] = src[s, plan[i]] (plan −1: trivial ciphertext with body `fill`). */
async function gather(ctx: Ctx, src: CtVal, plan: Int32Array | undefined, outSize: number, fill = 0n): Promise<LweCiphertextTensor> {
  if (!plan) return src.t;
  const w = src.t.width;
  const S = src.t.data;
  const out = new BigUint64Array(ctx.batch * outSize * w);
  for (let s = 0; s < ctx.batch; s++) {
    await breathe(ctx);
    for (let i = 0; i < outSize; i++) {
      const j = plan[i]!;
      const o = (s * outSize + i) * w;
      if (j < 0) out[o + w - 1] = fill;
      else {
        const from = (s * src.size + j) * w;
        out.set(S.subarray(from, from + w), o);
      }
    }
  }
  return tensorLike(src.t, ctx.batch * outSize, out);
}

/** Adds per-element plaintexts (per-sample pattern of length n) to the bodies, in place. */
function addBodies(data: BigUint64Array, w: number, batch: number, plains: BigUint64Array): void {
  const n = plains.length;
  for (let s = 0; s < batch; s++) {
    for (let i = 0; i < n; i++) {
      const at = (s * n + i) * w + w - 1;
      data[at] = BigInt.asUintN(64, data[at]! + plains[i]!);
    }
  }
}

function broadcastClear(c: ClearVal, outShape: readonly number[]): Float64Array {
  const plan = broadcastPlan(c.shape, outShape);
  if (!plan) return c.data;
  const out = new Float64Array(plan.length);
  for (let i = 0; i < plan.length; i++) out[i] = c.data[plan[i]!]!;
  return out;
}

function asCt(v: Val | undefined, op: Operation): CtVal {
  if (!v || v.kind !== "ct") return fail("E0700", `'${op.name}' expects a ciphertext operand`, op.loc, op.name);
  if (v.fusedKeyswitch) return fail("E0700", `'${op.name}' reads a keyswitch result (only bootstraps can)`, op.loc, op.name);
  return v;
}

function asClear(v: Val | undefined, op: Operation): ClearVal {
  if (!v || v.kind !== "clear") return fail("E0700", `'${op.name}' expects a clear operand`, op.loc, op.name);
  return v;
}

// ---- linear algebra ---------------------------------------------------------------------------

/** Copies `count` consecutive ciphertexts from each row start into a [rows, count] tensor. */
function gatherRows(src: LweCiphertextTensor, starts: Int32Array, count: number, stride: number): LweCiphertextTensor {
  const w = src.width;
  const out = new BigUint64Array(starts.length * count * w);
  const S = src.data;
  for (let r = 0; r < starts.length; r++) {
    const base = starts[r]!;
    if (stride === 1) out.set(S.subarray(base * w, (base + count) * w), r * count * w);
    else for (let t = 0; t < count; t++) out.set(S.subarray((base + t * stride) * w, (base + t * stride + 1) * w), (r * count + t) * w);
  }
  return tensorLike(src, starts.length * count, out, [starts.length, count]);
}

function scatter(out: BigUint64Array, w: number, res: LweCiphertextTensor, dest: (row: number, col: number) => number, rows: number, cols: number): void {
  const R = res.data;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const from = (r * cols + c) * w;
      out.set(R.subarray(from, from + w), dest(r, c) * w);
    }
  }
}

function groupBy(bases: Int32Array): Map<number, number[]> {
  const g = new Map<number, number[]>();
  bases.forEach((b, i) => {
    const list = g.get(b);
    if (list) list.push(i);
    else g.set(b, [i]);
  });
  return g;
}

/** Encrypted [..., M, K] × clear [..., K, N]. */
async function matmulEncClear(ctx: Ctx, op: Operation, a: CtVal, b: ClearVal): Promise<CtVal> {
  const { m, n, k, aBase, bBase } = matmulPlan(a.shape, b.shape);
  const nb = aBase.length;
  const outSize = nb * m * n;
  const groups = groupBy(bBase);
  const identity = groups.size === 1 && a.size === nb * m * k && aBase.every((v, i) => v === i * m * k);
  const width = widthOf(op.result);
  if (identity) {
    const W = b.data.subarray(bBase[0]!, bBase[0]! + k * n);
    const rows = ctx.batch * nb * m;
    const w = a.t.width;
    const step = Math.max(1, Math.floor((ctx.opts.maxSyncWords ?? SYNC_WORDS) / (k * w)));
    if (step >= rows) return ctVal(perSample(op.result), width, matmul(a.t.reshape([rows, k]), W, [k, n]).reshape([ctx.batch * outSize]));
    const out = new BigUint64Array(rows * n * w);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const r1 = Math.min(rows, r0 + step);
      const part = tensorLike(a.t, (r1 - r0) * k, a.t.data.subarray(r0 * k * w, r1 * k * w), [r1 - r0, k]);
      out.set(matmul(part, W, [k, n]).data, r0 * n * w);
      await breathe(ctx);
    }
    return ctVal(perSample(op.result), width, tensorLike(a.t, rows * n, out));
  }
  const w = a.t.width;
  const out = new BigUint64Array(ctx.batch * outSize * w);
  for (const [wb, bis] of groups) {
    const W = b.data.subarray(wb, wb + k * n);
    const { starts, dest } = rowPlan(ctx.batch, bis, m, (s, bi, row) => [s * a.size + aBase[bi]! + row * k, s * outSize + bi * m * n + row * n]);
    const res = matmul(gatherRows(a.t, starts, k, 1), W, [k, n]);
    scatter(out, w, res, (row, col) => dest[row]! + col, starts.length, n);
    await breathe(ctx);
  }
  return ctVal(perSample(op.result), width, tensorLike(a.t, ctx.batch * outSize, out));
}

/**
 * For every sample, batch index and row (in that order): where the row's ciphertexts start in the
 * input, and where its results go in the output.
 */
function rowPlan(batch: number, bis: readonly number[], rows: number, at: (sample: number, bi: number, row: number) => readonly [start: number, dest: number]): { starts: Int32Array; dest: number[] } {
  const starts = new Int32Array(batch * bis.length * rows);
  const dest: number[] = [];
  let r = 0;
  for (let s = 0; s < batch; s++) {
    for (const bi of bis) {
      for (let row = 0; row < rows; row++) {
        const [start, to] = at(s, bi, row);
        starts[r++] = start;
        dest.push(to);
      }
    }
  }
  return { starts, dest };
}

/** Clear [..., M, K] × encrypted [..., K, N]: rows of the transposed ciphertexts times Wᵀ. */
async function matmulClearEnc(ctx: Ctx, op: Operation, a: ClearVal, b: CtVal): Promise<CtVal> {
  const { m, n, k, aBase, bBase } = matmulPlan(a.shape, b.shape);
  const nb = aBase.length;
  const outSize = nb * m * n;
  const w = b.t.width;
  const out = new BigUint64Array(ctx.batch * outSize * w);
  for (const [ab, bis] of groupBy(aBase)) {
    const Wt = new Float64Array(k * m);
    for (let t = 0; t < k; t++) for (let mm = 0; mm < m; mm++) Wt[t * m + mm] = a.data[ab + mm * k + t]!;
    const { starts, dest } = rowPlan(ctx.batch, bis, n, (s, bi, c) => [s * b.size + bBase[bi]! + c, s * outSize + bi * m * n + c]);
    const res = matmul(gatherRows(b.t, starts, k, n), Wt, [k, m]);
    scatter(out, w, res, (row, col) => dest[row]! + col * n, starts.length, m);
    await breathe(ctx);
  }
  return ctVal(perSample(op.result), widthOf(op.result), tensorLike(b.t, ctx.batch * outSize, out));
}

async function conv(ctx: Ctx, op: Operation, x: CtVal, wv: ClearVal, bias: ClearVal | undefined): Promise<CtVal> {
  const [n0, C, H, W] = x.shape as [number, number, number, number];
  const ws = wv.shape as [number, number, number, number];
  const strides = asInts(op.attr("strides"))! as [number, number];
  const pads = asInts(op.attr("pads"))! as [number, number, number, number];
  const dilations = asInts(op.attr("dilations"))! as [number, number];
  const group = (op.attr("group") as { value: number }).value;
  const outShape = perSample(op.result);
  const width = widthOf(op.result);
  const size = nd.sizeOf(outShape);
  const w = x.t.width;
  const images = ctx.batch * n0;
  const perImage = C * H * W;
  const step = Math.max(1, Math.floor((ctx.opts.maxSyncWords ?? SYNC_WORDS) / (perImage * w)));
  const outPerImage = size / n0;
  let res: LweCiphertextTensor;
  if (step >= images) res = conv2d(x.t.reshape([images, C, H, W]), wv.data, ws, { strides, pads, dilations, group });
  else {
    const out = new BigUint64Array(images * outPerImage * w);
    for (let i0 = 0; i0 < images; i0 += step) {
      const i1 = Math.min(images, i0 + step);
      const part = tensorLike(x.t, (i1 - i0) * perImage, x.t.data.subarray(i0 * perImage * w, i1 * perImage * w), [i1 - i0, C, H, W]);
      out.set(conv2d(part, wv.data, ws, { strides, pads, dilations, group }).data, i0 * outPerImage * w);
      await breathe(ctx);
    }
    res = tensorLike(x.t, images * outPerImage, out);
  }
  if (bias) {
    const plane = outShape[2]! * outShape[3]!;
    const F = outShape[1]!;
    const plains = new BigUint64Array(size);
    for (let i = 0; i < size; i++) plains[i] = encodeOne(bias.data[Math.floor(i / plane) % F]!, width);
    addBodies(res.data, res.width, ctx.batch, plains);
  }
  return ctVal(outShape, width, res.reshape([ctx.batch * size]));
}

function sumOp(ctx: Ctx, op: Operation, x: CtVal): CtVal {
  const { rows, outSize, count } = sumPlan(x.shape, asInts(op.attr("axes"))!);
  const idx = new Int32Array(ctx.batch * x.size);
  for (let s = 0; s < ctx.batch; s++) for (let j = 0; j < x.size; j++) idx[s * x.size + j] = s * x.size + rows[j]!;
  const w = x.t.width;
  const gathered = new BigUint64Array(idx.length * w);
  for (let j = 0; j < idx.length; j++) gathered.set(x.t.data.subarray(idx[j]! * w, (idx[j]! + 1) * w), j * w);
  const t = tensorLike(x.t, idx.length, gathered, [ctx.batch * outSize, count]);
  const res = matmul(t, new Float64Array(count).fill(1), [count, 1]);
  return ctVal(perSample(op.result), widthOf(op.result), res.reshape([ctx.batch * outSize]));
}

// ---- table lookups ------------------------------------------------------------------------------

/** The evaluation keys of the partition an op names (partition 0 when it names none). */
function partitionKeys(ctx: Ctx, op: Operation, attr: string): EvaluationKeys {
  const a = op.attr(attr);
  return ctx.keys.partition(a?.kind === "int" ? a.value : 0);
}

async function lookup(ctx: Ctx, op: Operation, x: CtVal): Promise<CtVal> {
  const pIn = (elementOf(op.operands[0]!.type) as LweType).width;
  const width = widthOf(op.result);
  const length = 2 ** pIn;
  const mapped = op.name === "tfhe.mapped_bootstrap";
  const encoded = encodeAt(denseData(op, mapped ? "tables" : "table").data, width);
  const map = mapped ? (op.attr("map") as DenseAttr).data : undefined;
  const count = ctx.batch * x.size;
  // Every element of every sample goes through the runtime's parallel KS+PBS, in chunks of 1024
  // ciphertexts (the runtime copies each call's input synchronously; chunks keep the event loop
  // responsive, allow progress and abort, and still keep every core busy).
  const chunk = Math.max(1, ctx.opts.chunkSize ?? 1024);
  const keys = partitionKeys(ctx, op, "partition");
  const wOut = keys.params.bigDimension + 1;
  const out = new BigUint64Array(count * wOut);
  for (let start = 0; start < count; start += chunk) {
    if (ctx.opts.signal?.aborted) throw new Error("tfhe execution aborted");
    const end = Math.min(count, start + chunk);
    const part = start === 0 && end === count ? x.t : x.t.slice(start, end);
    let tables: LookupTables = { encoded, length };
    if (map) {
      const index = new Uint32Array(end - start);
      for (let j = start; j < end; j++) index[j - start] = map[j % x.size]!;
      tables = { encoded, length, index };
    }
    const res = x.fusedKeyswitch ? await keys.applyLookupTable(part, tables) : await keys.bootstrap(part, tables);
    out.set(res.data, start * wOut);
    ctx.done += end - start;
    ctx.opts.onProgress?.(ctx.done, ctx.total);
    ctx.lastYield = performance.now();
  }
  const like = new LweCiphertextTensor([count], keys.params.bigDimension, keys.params.hash(), out);
  return ctVal(perSample(op.result), width, like);
}

// ---- driver -------------------------------------------------------------------------------------

function moveClear(c: ClearVal, plan: Int32Array, fill: number, shape: readonly number[]): ClearVal {
  const data = new Float64Array(plan.length);
  for (let i = 0; i < plan.length; i++) data[i] = plan[i]! < 0 ? fill : c.data[plan[i]!]!;
  return { kind: "clear", shape: [...shape], data };
}

function movePlan(op: Operation, inShape: readonly number[]): { plan: Int32Array; fill: number } {
  switch (op.name) {
    case "fhe.transpose":
      return { plan: transposePlan(inShape, asInts(op.attr("perm"))!), fill: 0 };
    case "fhe.slice":
      return { plan: slicePlan(inShape, asInts(op.attr("starts"))!, asInts(op.attr("ends"))!, asInts(op.attr("steps"))!), fill: 0 };
    case "fhe.pad":
      return { plan: padPlan(inShape, asInts(op.attr("pads"))!), fill: (op.attr("value") as { value: number }).value };
    case "fhe.gather": {
      const idx = op.attr("indices") as DenseAttr;
      return { plan: gatherPlan(inShape, { shape: idx.type.shape as number[], data: idx.data }, (op.attr("axis") as { value: number }).value), fill: 0 };
    }
    default:
      return fail("E0502", `no data movement plan for '${op.name}'`, op.loc, op.name);
  }
}

async function step(ctx: Ctx, op: Operation, ins: (Val | undefined)[], fusedKs: ReadonlySet<Operation>): Promise<Val> {
  const outShape = perSample(op.result);
  switch (op.name) {
    case "arith.constant": {
      const d = op.attr("value") as DenseAttr;
      return { kind: "clear", shape: outShape, data: d.data };
    }
    case "arith.add":
    case "arith.sub":
    case "arith.mul": {
      // Clear arithmetic on constants that canonicalize did not fold.
      const a = asClear(ins[0], op);
      const b = asClear(ins[1], op);
      const f = op.name === "arith.add" ? (x: number, y: number) => x + y : op.name === "arith.sub" ? (x: number, y: number) => x - y : (x: number, y: number) => x * y;
      return { kind: "clear", shape: outShape, data: nd.binaryOp(a, b, f).data };
    }
    case "arith.neg": {
      const a = asClear(ins[0], op);
      return { kind: "clear", shape: outShape, data: nd.unaryOp(a, (x) => -x).data };
    }
    case "tfhe.add_lwe":
    case "tfhe.sub_lwe": {
      const a = asCt(ins[0], op);
      const b = asCt(ins[1], op);
      const n = nd.sizeOf(outShape);
      const ta = (await gather(ctx, a, broadcastPlan(a.shape, outShape), n)).reshape([ctx.batch * n]);
      const tb = (await gather(ctx, b, broadcastPlan(b.shape, outShape), n)).reshape([ctx.batch * n]);
      return ctVal(outShape, widthOf(op.result), op.name === "tfhe.add_lwe" ? add(ta, tb) : sub(ta, tb));
    }
    case "tfhe.add_lwe_int":
    case "tfhe.sub_lwe_int":
    case "tfhe.sub_int_lwe": {
      const rhsClear = op.name !== "tfhe.sub_int_lwe";
      const x = asCt(ins[rhsClear ? 0 : 1], op);
      const c = asClear(ins[rhsClear ? 1 : 0], op);
      const n = nd.sizeOf(outShape);
      const width = widthOf(op.result);
      const bx = await gather(ctx, x, broadcastPlan(x.shape, outShape), n);
      const t = op.name === "tfhe.sub_int_lwe" ? negate(bx) : new LweCiphertextTensor(bx.shape, bx.dimension, bx.paramHash, bx === x.t ? bx.data.slice() : bx.data);
      const cs = broadcastClear(c, outShape);
      const plains = new BigUint64Array(n);
      for (let i = 0; i < n; i++) plains[i] = encodeOne(op.name === "tfhe.sub_lwe_int" ? -cs[i]! : cs[i]!, width);
      addBodies(t.data, t.width, ctx.batch, plains);
      return ctVal(outShape, width, t.reshape([ctx.batch * n]));
    }
    case "tfhe.mul_lwe_int": {
      const x = asCt(ins[0], op);
      const c = asClear(ins[1], op);
      const n = nd.sizeOf(outShape);
      const bx = (await gather(ctx, x, broadcastPlan(x.shape, outShape), n)).reshape([ctx.batch * n]);
      let weights: ArrayLike<number>;
      if (c.data.length === 1) weights = c.data;
      else {
        const cs = broadcastClear(c, outShape);
        const all = new Float64Array(ctx.batch * n);
        for (let s = 0; s < ctx.batch; s++) all.set(cs, s * n);
        weights = all;
      }
      return ctVal(outShape, widthOf(op.result), mulClear(bx, weights));
    }
    case "tfhe.neg_lwe": {
      const x = asCt(ins[0], op);
      return ctVal(outShape, widthOf(op.result), negate(x.t));
    }
    case "tfhe.dot_lwe_int":
    case "tfhe.matmul_lwe_int":
      return matmulEncClear(ctx, op, asCt(ins[0], op), asClear(ins[1], op));
    case "tfhe.matmul_int_lwe":
      return matmulClearEnc(ctx, op, asClear(ins[0], op), asCt(ins[1], op));
    case "tfhe.conv2d_lwe":
      return conv(ctx, op, asCt(ins[0], op), asClear(ins[1], op), ins[2] ? asClear(ins[2], op) : undefined);
    case "tfhe.sum_lwe":
      return sumOp(ctx, op, asCt(ins[0], op));
    case "tfhe.reinterpret_precision": {
      const x = asCt(ins[0], op);
      return ctVal(outShape, widthOf(op.result), x.t);
    }
    case "tfhe.keyswitch": {
      const x = asCt(ins[0], op);
      if (fusedKs.has(op)) return ctVal(outShape, widthOf(op.result), x.t, true);
      const from = op.attr("from");
      const to = op.attr("to");
      if (from?.kind === "int" && to?.kind === "int" && from.value !== to.value) {
        return ctVal(outShape, widthOf(op.result), await ctx.keys.conversion(from.value, to.value).keyswitch(x.t));
      }
      return ctVal(outShape, widthOf(op.result), await partitionKeys(ctx, op, "to").keyswitch(x.t));
    }
    case "tfhe.bootstrap":
    case "tfhe.mapped_bootstrap": {
      const x = ins[0];
      if (!x || x.kind !== "ct") return fail("E0700", `'${op.name}' expects a ciphertext operand`, op.loc, op.name);
      return lookup(ctx, op, x);
    }
    case "fhe.reshape": {
      const x = ins[0]!;
      if (x.kind === "clear") return { kind: "clear", shape: outShape, data: x.data };
      return ctVal(outShape, x.width, asCt(x, op).t);
    }
    case "fhe.concat": {
      const { part, index } = concatPlan(
        ins.map((v) => v!.shape),
        (op.attr("axis") as { value: number }).value,
      );
      if (ins.every((v) => v!.kind === "clear")) {
        const data = new Float64Array(part.length);
        for (let i = 0; i < part.length; i++) data[i] = (ins[part[i]!] as ClearVal).data[index[i]!]!;
        return { kind: "clear", shape: outShape, data };
      }
      const parts = ins.map((v) => asCt(v, op));
      const w = parts[0]!.t.width;
      const n = part.length;
      const out = new BigUint64Array(ctx.batch * n * w);
      for (let s = 0; s < ctx.batch; s++) {
        for (let i = 0; i < n; i++) {
          const src = parts[part[i]!]!;
          const from = (s * src.size + index[i]!) * w;
          out.set(src.t.data.subarray(from, from + w), (s * n + i) * w);
        }
      }
      return ctVal(outShape, widthOf(op.result), tensorLike(parts[0]!.t, ctx.batch * n, out));
    }
    default: {
      const x = ins[0]!;
      const { plan, fill } = movePlan(op, x.shape);
      if (x.kind === "clear") return moveClear(x, plan, fill, outShape);
      const c = asCt(x, op);
      return ctVal(outShape, c.width, await gather(ctx, c, plan, plan.length, encodeOne(fill, c.width)));
    }
  }
}

/**
 * Runs `program` on `inputs` (one big-key tensor per argument, [batch, ...shape] or flat) and
 * returns one [batch, ...shape] tensor per result.
 */
export async function executeTfhe(
  program: TfheProgram,
  evaluationKeys: EvaluationKeys | EvaluationKeySet,
  inputs: readonly LweCiphertextTensor[],
  batch: number,
  opts: ExecuteOptions = {},
): Promise<LweCiphertextTensor[]> {
  const func = program.func;
  const keys = evaluationKeys instanceof EvaluationKeySet ? evaluationKeys : new EvaluationKeySet([evaluationKeys], []);
  const ctx: Ctx = { batch, keys, opts, total: program.pbsPerSample * batch, done: 0, lastYield: performance.now() };
  const env = new Map<Value, Val>();
  func.args.forEach((arg, i) => {
    const spec = program.inputs[i]!;
    env.set(arg, ctVal(spec.shape, spec.width, inputs[i]!.reshape([batch * nd.sizeOf(spec.shape)])));
  });
  // A keyswitch read only by bootstraps runs fused with them (one native KS+PBS call).
  const fused = new Set<Operation>();
  for (const op of func.body.ops) {
    // (Not a conversion keyswitch: its key is not the bootstrap's partition's own.)
    const from = op.attr("from");
    const to = op.attr("to");
    const conversion = from?.kind === "int" && to?.kind === "int" && from.value !== to.value;
    if (op.name === "tfhe.keyswitch" && !conversion && op.result.uses.length > 0 && op.result.uses.every((u) => u.op.name === "tfhe.bootstrap" || u.op.name === "tfhe.mapped_bootstrap")) {
      fused.add(op);
    }
  }
  // Ciphertext values are dropped after their last reader (exact rounding makes many of them).
  const ops = func.body.ops;
  const lastUse = new Map<Value, number>();
  ops.forEach((op, i) => op.operands.forEach((v) => lastUse.set(v, i)));
  opts.onProgress?.(0, ctx.total);
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index]!;
    if (opts.signal?.aborted) throw new Error("tfhe execution aborted");
    const ins = op.operands.map((v) => env.get(v));
    for (const v of op.operands) if (lastUse.get(v) === index && op.name !== "func.return") env.delete(v);
    if (op.name === "func.return") {
      return ins.map((v, i) => {
        const c = asCt(v, op);
        return c.t.reshape([batch, ...program.outputs[i]!.shape]);
      });
    }
    const out = await step(ctx, op, ins, fused);
    env.set(op.result, out);
    if (out.kind === "ct" && !out.fusedKeyswitch && opts.trace && (elementOf(op.result.type) as LweType).key === "big") {
      opts.trace(op, { shape: out.shape, width: out.width, ciphertexts: out.t.reshape([batch, ...out.shape]) });
    }
    if (op.name !== "arith.constant") await breathe(ctx);
  }
  return fail("E0700", `@${func.name} has no return`);
}
