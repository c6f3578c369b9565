// A compiled circuit: the integer `fhe` function (server side), the input quantizers, output
// de-quantizers and post-processing (client side). Runs in the clear (`disable`: exact integers;
// `simulate`: with PBS error injection at the configured p_error), reports what it contains, and
// saves/loads a versioned artifact.
import { createHash } from "node:crypto";
import { type Attribute, asFloats } from "../ir/attributes.js";
import type { FuncOp, ModuleOp } from "../ir/core.js";
import { CompileError, fail } from "../ir/diagnostics.js";
import { defaultRegistry } from "../ir/dialects/index.js";
import { parseModule } from "../ir/parser/index.js";
import { printModule } from "../ir/printer.js";
import type { NDArray } from "../ir/tensor.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../ir/types.js";
import { verifyModule } from "../ir/verifier.js";
import { type BatchTensor, simulateWithStats } from "../backends/clear/index.js";
import { runReference } from "../backends/reference/index.js";
import { analyzeBitwidths } from "../passes/bitwidth.js";
import { INPUTS_ATTR, OUTPUTS_ATTR, POSTPROCESS_ATTR } from "../passes/quantize/index.js";
import { roundHalfEven } from "../passes/quantize/qparams.js";
import { CRYPTO_ATTR, type CryptoParameters, cryptoParametersFromAttr } from "../passes/params/index.js";

export type FheMode = "disable" | "simulate" | "execute";

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

export interface CircuitInfo {
  readonly inputs: readonly (InputQuantizer & { readonly encryptedType: string })[];
  readonly outputs: readonly { readonly shape: readonly number[]; readonly encryptedType: string; readonly scale: { min: number; max: number } }[];
  /** Op name → count in the circuit. */
  readonly ops: Readonly<Record<string, number>>;
  /** Table-lookup ops, and table lookups per sample (one PBS each in FHE). */
  readonly tluCount: number;
  readonly lookupsPerSample: number;
  readonly maxTluInputPrecision: number;
  readonly tlus: readonly { readonly op: string; readonly location: string; readonly inputPrecision: number; readonly elements: number }[];
  readonly maxAccumulatorWidth: number;
  readonly maxWidth: number;
  readonly roundOps: number;
  readonly pError: number;
  /** The TFHE parameter set chosen for the circuit (absent when compiled without parameter selection). */
  readonly parameters?: CryptoParameters;
  readonly keySizes?: KeySizes;
}

/** Evaluation-key sizes in bytes: plain (as the server holds them) and seeded (as the client sends them). */
export interface KeySizes {
  readonly bootstrapKey: number;
  readonly keyswitchKey: number;
  readonly seededBootstrapKey: number;
  readonly seededKeyswitchKey: number;
  readonly total: number;
  readonly totalSeeded: number;
}

export function keySizes(p: CryptoParameters): KeySizes {
  const { lweDimension: n, glweDimension: k, polynomialSize: N, pbsLevel: l, ksLevel: lks } = p;
  // BSK: n GGSW ciphertexts of (k+1)·ℓ GLWE rows of (k+1)·N words; seeded keeps the bodies only.
  const bootstrapKey = n * (k + 1) * (k + 1) * l * N * 8;
  const seededBootstrapKey = n * (k + 1) * l * N * 8 + 32;
  // KSK: kN·ℓ_KS LWE ciphertexts of n + 1 words; seeded keeps the bodies only.
  const keyswitchKey = k * N * lks * (n + 1) * 8;
  const seededKeyswitchKey = k * N * lks * 8 + 32;
  return { bootstrapKey, keyswitchKey, seededBootstrapKey, seededKeyswitchKey, total: bootstrapKey + keyswitchKey, totalSeeded: seededBootstrapKey + seededKeyswitchKey };
}

export interface RunOptions {
  readonly fhe?: FheMode;
  /** Seed for error injection in `simulate` mode (default 0). */
  readonly seed?: number;
}

const MAGIC = Buffer.from("FHECIRC\0", "latin1");
export const CIRCUIT_FORMAT_VERSION = 1;

function readInputs(func: FuncOp): InputQuantizer[] {
  const a = func.attributes.get(INPUTS_ATTR);
  if (a?.kind !== "array") return fail("E0700", `the circuit has no '${INPUTS_ATTR}' attribute (was it quantized?)`);
  return a.items.map((item) => {
    const d = (item as { entries: ReadonlyMap<string, Attribute> }).entries;
    const num = (k: string) => (d.get(k) as { value: number }).value;
    return {
      name: (d.get("name") as { value: string }).value,
      shape: asFloats(d.get("shape")) ?? [],
      scale: asFloats(d.get("scale")) ?? [1],
      zeroPoint: asFloats(d.get("zero_point")) ?? [0],
      qmin: num("qmin"),
      qmax: num("qmax"),
    };
  });
}

function readOutputs(func: FuncOp): OutputDequantizer[] {
  const a = func.attributes.get(OUTPUTS_ATTR);
  if (a?.kind !== "array") return fail("E0700", `the circuit has no '${OUTPUTS_ATTR}' attribute (was it quantized?)`);
  return a.items.map((item) => {
    const d = (item as { entries: ReadonlyMap<string, Attribute> }).entries;
    return { scale: asFloats(d.get("scale")) ?? [1], zeroPoint: asFloats(d.get("zero_point")) ?? [0] };
  });
}

export class FheCircuit {
  readonly func: FuncOp;
  readonly inputs: readonly InputQuantizer[];
  readonly outputs: readonly OutputDequantizer[];
  /** The TFHE parameter set (module attribute `fhec.crypto`), when one was chosen. */
  readonly parameters: CryptoParameters | undefined;
  private readonly post: FuncOp;

  constructor(
    readonly module: ModuleOp,
    /** p_error used by `simulate` mode (probability per table read). */
    readonly pError: number,
  ) {
    const func = module.funcs[0];
    if (!func) fail("E0700", "the circuit module has no function");
    this.func = func;
    this.inputs = readInputs(func);
    this.outputs = readOutputs(func);
    const postText = module.attributes.get(POSTPROCESS_ATTR);
    if (postText?.kind !== "string") fail("E0700", `the circuit has no '${POSTPROCESS_ATTR}' attribute`);
    const parsed = parseModule(postText.value, "<postprocess>", defaultRegistry);
    if (!parsed.module?.funcs[0]) throw new CompileError(parsed.diagnostics);
    this.post = parsed.module.funcs[0];
    this.parameters = cryptoParametersFromAttr(module.attributes.get(CRYPTO_ATTR));
  }

  // ---- client side --------------------------------------------------------------------------

  /** Checks and quantizes float inputs (first dimension = samples) into integer codes. */
  quantizeInputs(xs: readonly NDArray[]): BatchTensor[] {
    if (xs.length !== this.inputs.length) fail("E0701", `the circuit takes ${this.inputs.length} input(s), got ${xs.length}`);
    const batch = xs[0]!.shape[0] ?? 0;
    return xs.map((x, i) => {
      const q = this.inputs[i]!;
      const want = q.shape;
      if (x.shape.length !== want.length || want.some((d, k) => d >= 0 && k > 0 && d !== x.shape[k])) {
        fail("E0701", `input '${q.name}' has shape [${x.shape.join(", ")}], expected [${want.map((d) => (d < 0 ? "N" : d)).join(", ")}]`);
      }
      if (x.shape[0] !== batch) fail("E0701", `inputs disagree on the number of samples (${batch} and ${x.shape[0]})`);
      const data = new Float64Array(x.data.length);
      const per = batch > 0 ? x.data.length / batch : 1;
      for (let k = 0; k < data.length; k++) {
        const v = x.data[k]!;
        if (!Number.isFinite(v)) fail("E0701", `input '${q.name}' holds ${v} at flat index ${k}: inputs must be finite numbers`);
        const e = q.scale.length === 1 ? 0 : k % per;
        data[k] = Math.min(q.qmax, Math.max(q.qmin, roundHalfEven(v / q.scale[e]!) + q.zeroPoint[e]!));
      }
      const perSample = shapeOf(this.func.args[i]!.type) as number[];
      return { batch, shape: perSample, data };
    });
  }

  /** De-quantizes decrypted integer outputs, then runs the post-processing. */
  decodeOutputs(outs: readonly BatchTensor[]): NDArray[] {
    const reals = outs.map((o, i) => {
      const d = this.outputs[i]!;
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
    return runReference(this.post, reals);
  }

  // ---- running --------------------------------------------------------------------------------

  /** Runs the integer circuit in the clear on quantized inputs. */
  runClear(qs: readonly BatchTensor[], opts: RunOptions = {}): BatchTensor[] {
    const fhe = opts.fhe ?? "simulate";
    if (fhe === "execute") {
      fail("E0601", "fhe: \"execute\" (encrypted execution) is not supported yet: use \"simulate\" or \"disable\"");
    }
    // disable: the quantized model exactly (no table errors, approximate-rounding ties round up);
    // simulate: what FHE may compute (table errors at p_error, ties either way).
    const simulate = fhe === "simulate";
    return simulateWithStats(this.func, qs, { pError: simulate ? this.pError : 0, approximateTies: simulate ? "random" : "up", seed: opts.seed ?? 0 }).outputs;
  }

  /** Float inputs → float outputs (same shapes as the ONNX model's outputs). */
  predict(xs: NDArray | readonly NDArray[], opts: RunOptions = {}): NDArray[] {
    const inputs = Array.isArray(xs) ? (xs as NDArray[]) : [xs as NDArray];
    return this.decodeOutputs(this.runClear(this.quantizeInputs(inputs), opts));
  }

  /** `predict` in simulate mode. */
  simulate(xs: NDArray | readonly NDArray[], seed = 0): NDArray[] {
    return this.predict(xs, { fhe: "simulate", seed });
  }

  // ---- reporting ----------------------------------------------------------------------------

  info(): CircuitInfo {
    const report = analyzeBitwidths(this.func);
    const ops: Record<string, number> = {};
    for (const op of this.func.body.ops) ops[op.name] = (ops[op.name] ?? 0) + 1;
    const elements = (t: import("../ir/types.js").Type) => (shapeOf(t) as number[]).reduce((a, b) => a * b, 1);
    const tlus = report.tlus.map((t) => ({
      op: t.op.name,
      location: t.op.loc.kind === "onnx" ? `${t.op.loc.node} (${t.op.loc.opType})` : t.op.loc.kind === "file" ? `${t.op.loc.file}:${t.op.loc.line}` : "?",
      inputPrecision: t.inputPrecision,
      elements: elements(t.op.result.type),
    }));
    const roundOps = this.func.body.ops.filter((o) => o.name === "fhe.round");
    const typeName = (t: import("../ir/types.js").Type) => {
      const e = elementOf(t) as EncryptedIntType;
      return `${e.signed ? "esint" : "eint"}<${e.width}>`;
    };
    return {
      inputs: this.inputs.map((q, i) => ({ ...q, encryptedType: typeName(this.func.args[i]!.type) })),
      outputs: this.outputs.map((d, i) => {
        const ret = this.func.body.terminator!.operands[i]!;
        return {
          shape: shapeOf(ret.type) as number[],
          encryptedType: typeName(ret.type),
          scale: { min: Math.min(...d.scale), max: Math.max(...d.scale) },
        };
      }),
      ops,
      tluCount: report.tluCount,
      // Exact rounding costs one small PBS per removed bit; approximate rounding is free.
      lookupsPerSample:
        tlus.reduce((s, t) => s + t.elements, 0) +
        roundOps
          .filter((o) => (o.attr("method") as { value: string }).value === "exact")
          .reduce((s, o) => s + elements(o.result.type) * ((elementOf(o.operands[0]!.type) as EncryptedIntType).width - (elementOf(o.result.type) as EncryptedIntType).width), 0),
      maxTluInputPrecision: report.maxTluInputPrecision,
      tlus,
      maxAccumulatorWidth: report.maxAccumulatorWidth,
      maxWidth: report.maxWidth,
      roundOps: roundOps.length,
      pError: this.pError,
      ...(this.parameters ? { parameters: this.parameters, keySizes: keySizes(this.parameters) } : {}),
    };
  }

  // ---- artifact -----------------------------------------------------------------------------

  /** The artifact bytes: magic, format version, header length, JSON header, IR text. */
  serialize(): Uint8Array {
    const ir = Buffer.from(printModule(this.module), "utf8");
    const header = Buffer.from(
      JSON.stringify({
        format: "fhec-circuit",
        version: CIRCUIT_FORMAT_VERSION,
        pError: this.pError,
        irBytes: ir.length,
        irSha256: createHash("sha256").update(ir).digest("hex"),
      }),
      "utf8",
    );
    const fixed = Buffer.alloc(16);
    MAGIC.copy(fixed, 0);
    fixed.writeUInt32LE(CIRCUIT_FORMAT_VERSION, 8);
    fixed.writeUInt32LE(header.length, 12);
    return Buffer.concat([fixed, header, ir]);
  }

  static deserialize(bytes: Uint8Array, file = "<memory>"): FheCircuit {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bad = (why: string): never => fail("E0700", `'${file}' is not a valid fhec circuit: ${why}`);
    if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC)) bad("wrong magic (not a circuit file)");
    const version = buf.readUInt32LE(8);
    if (version !== CIRCUIT_FORMAT_VERSION) bad(`format version ${version}, this fhec reads version ${CIRCUIT_FORMAT_VERSION}`);
    const headerLen = buf.readUInt32LE(12);
    if (16 + headerLen > buf.length) bad("truncated header");
    let header: { irBytes?: unknown; irSha256?: unknown; pError?: unknown };
    try {
      header = JSON.parse(buf.subarray(16, 16 + headerLen).toString("utf8")) as typeof header;
    } catch {
      return bad("corrupt header");
    }
    const ir = buf.subarray(16 + headerLen);
    if (typeof header.irBytes !== "number" || ir.length !== header.irBytes) bad(`truncated: ${ir.length} of ${String(header.irBytes)} program bytes`);
    if (createHash("sha256").update(ir).digest("hex") !== header.irSha256) bad("checksum mismatch (the file is corrupted)");
    const text = ir.toString("utf8");
    const parsed = parseModule(text, file, defaultRegistry);
    if (!parsed.module) throw new CompileError(parsed.diagnostics, new Map([[file, text]]));
    const v = verifyModule(parsed.module, defaultRegistry);
    if (v.hasErrors()) throw new CompileError(v.diagnostics, new Map([[file, text]]));
    const pError = typeof header.pError === "number" ? header.pError : 0;
    return new FheCircuit(parsed.module, pError);
  }
}
