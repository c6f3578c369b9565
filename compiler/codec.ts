// The client's side of the numeric contract: float inputs → integer codes (input quantizers),
// decrypted integer outputs → floats (output de-quantizers, then the post-processing function).
// Shared by FheCircuit (in-process) and the deployed FheModelClient.
import type { FuncOp } from "../ir/core.js";
import { CompileError, fail } from "../ir/diagnostics.js";
import { defaultRegistry } from "../ir/dialects/index.js";
import { parseModule } from "../ir/parser/index.js";
import type { NDArray } from "../ir/tensor.js";
import { elementOf } from "../ir/types.js";
import { OUTPUT_NAMES_ATTR } from "../ir/dialects/onnx_decls.js";
import { type NpyDtype, npyDtypeOf } from "./data/npy.js";
import { runReference } from "../backends/reference/index.js";
import { roundHalfEven } from "../passes/quantize/qparams.js";

export interface InputQuantizer {
  readonly name: string;
  /** ONNX input shape; -1 marks the dynamic batch dimension. */
  readonly shape: readonly number[];
  /** One value per tensor, or one per element of a sample (per-feature quantization). */
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly qmin: number;
  readonly qmax: number;
}

export interface OutputDequantizer {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
}

/** Integer tensors of `batch` samples of per-sample `shape` (what the circuit consumes/produces). */
export interface CodeBatch {
  readonly batch: number;
  readonly shape: readonly number[];
  readonly data: Float64Array | Int32Array;
}

/** Checks float inputs (first dimension = samples) and quantizes them to codes of `circuitShapes`. */
export function quantizeInputs(quantizers: readonly InputQuantizer[], circuitShapes: readonly (readonly number[])[], xs: readonly NDArray[]): CodeBatch[] {
  if (xs.length !== quantizers.length) fail("E0701", `the circuit takes ${quantizers.length} input(s), got ${xs.length}`);
  const batch = xs[0]!.shape[0] ?? 0;
  if (batch < 1) fail("E0701", "the inputs hold no sample");
  return xs.map((x, i) => {
    const q = quantizers[i]!;
    const want = q.shape;
    if (x.shape.length !== want.length || want.some((d, k) => d >= 0 && k > 0 && d !== x.shape[k])) {
      fail("E0701", `input '${q.name}' has shape [${x.shape.join(", ")}], expected [${want.map((d) => (d < 0 ? "N" : d)).join(", ")}]`);
    }
    if (x.shape[0] !== batch) fail("E0701", `inputs disagree on the number of samples (${batch} and ${x.shape[0]})`);
    const data = new Float64Array(x.data.length);
    const per = x.data.length / batch;
    for (let k = 0; k < data.length; k++) {
      const v = x.data[k]!;
      if (!Number.isFinite(v)) fail("E0701", `input '${q.name}' holds ${v} at flat index ${k}: inputs must be finite numbers`);
      const e = q.scale.length === 1 ? 0 : k % per;
      data[k] = Math.min(q.qmax, Math.max(q.qmin, roundHalfEven(v / q.scale[e]!) + q.zeroPoint[e]!));
    }
    return { batch, shape: circuitShapes[i]!, data };
  });
}

/** De-quantizes integer outputs: real = scale · (q − zero point), per tensor or per element. */
export function dequantizeOutputs(dequantizers: readonly OutputDequantizer[], outs: readonly CodeBatch[]): NDArray[] {
  return outs.map((o, i) => {
    const d = dequantizers[i]!;
    const per = o.data.length / o.batch;
    const data = new Float64Array(o.data.length);
    for (let k = 0; k < data.length; k++) {
      const e = k % per;
      const s = d.scale.length === 1 ? d.scale[0]! : d.scale[e]!;
      const z = d.zeroPoint.length === 1 ? d.zeroPoint[0]! : d.zeroPoint[e]!;
      data[k] = s * (o.data[k]! - z);
    }
    const shape = o.shape[0] === 1 ? [o.batch, ...o.shape.slice(1)] : [o.batch, ...o.shape];
    return { shape, data };
  });
}

/** The post-processing function of a circuit, from its IR text. */
export function parsePostprocess(text: string): FuncOp {
  const parsed = parseModule(text, "<postprocess>", defaultRegistry);
  if (!parsed.module?.funcs[0]) throw new CompileError(parsed.diagnostics);
  return parsed.module.funcs[0];
}

/** Names and .npy element types of the model's outputs (the ONNX names; out0, out1, … without them). */
export interface OutputLayout {
  readonly names: readonly string[];
  readonly dtypes: readonly NpyDtype[];
}

export function outputLayout(post: FuncOp): OutputLayout {
  const attr = post.attributes.get(OUTPUT_NAMES_ATTR);
  const named = attr?.kind === "array" ? attr.items.map((a) => (a.kind === "string" ? a.value : "")) : [];
  return {
    names: post.resultTypes.map((_, i) => named[i] || `out${i}`),
    dtypes: post.resultTypes.map((t) => npyDtypeOf(elementOf(t))),
  };
}

export function postprocess(func: FuncOp, reals: readonly NDArray[]): NDArray[] {
  return runReference(func, reals);
}
