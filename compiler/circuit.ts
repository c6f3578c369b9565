// A compiled circuit: the integer `fhe` function (server side), the input quantizers, output
// de-quantizers and post-processing (client side). Runs in the clear (`disable`: exact integers;
// `simulate`: with PBS error injection at the configured p_error), reports what it contains, and
// saves/loads a versioned artifact.
import { createHash } from "node:crypto";
import { type Attribute, asFloats } from "../ir/attributes.js";
import type { FuncOp, ModuleOp, Operation } from "../ir/core.js";
import { CompileError, fail } from "../ir/diagnostics.js";
import { defaultRegistry } from "../ir/dialects/index.js";
import { parseModule } from "../ir/parser/index.js";
import { printModule } from "../ir/printer.js";
import type { NDArray } from "../ir/tensor.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../ir/types.js";
import { verifyModule } from "../ir/verifier.js";
import type { PrecisionReport } from "./precision_report.js";
import { type BatchTensor, type SimulationResult, simulateWithStats } from "../backends/clear/index.js";
import { type BackendChoice, resolveBackend, simulateLlvm } from "../backends/llvm/index.js";
import { analyzeBitwidths } from "../passes/bitwidth.js";
import { INPUTS_ATTR, OUTPUTS_ATTR, POSTPROCESS_ATTR } from "../passes/quantize/index.js";
import { type ConversionKeySize, conversionKeySize, seededKeySetBytes, TfheClient, type TfheProgram, TfheServer } from "../backends/tfhe/index.js";
import { openFileChunks, writeStreamAtomic } from "./stream_io.js";
import { packContainer, unpackContainer } from "./container.js";
import { lowerCircuit } from "./deploy/program.js";
import { dequantizeOutputs, type InputQuantizer, type OutputDequantizer, type OutputLayout, outputLayout, parsePostprocess, postprocess, quantizeInputs } from "./codec.js";
import { type ConstraintEntry, constraintReport, type ConversionParameters, CRYPTO_ATTR, type CryptoParameters, cryptoParametersFromAttr, partitionsFromModule } from "../passes/params/index.js";
import {
  combineKeySizes, type CostOptions, type CostSummary, costSummary, type KeySizes, keyMemoryWarning, keySizes, type LatencyEstimate, lookupsPerOp, type MachineMemory, type SampleSizes,
  sampleSizes,
} from "./cost/index.js";

export type FheMode = "disable" | "simulate" | "execute";

export type { InputQuantizer, OutputDequantizer } from "./codec.js";

export interface CircuitInfo {
  readonly inputs: readonly (InputQuantizer & { readonly encryptedType: string })[];
  readonly outputs: readonly { readonly shape: readonly number[]; readonly encryptedType: string; readonly scale: { min: number; max: number } }[];
  /** Op name → count in the circuit. */
  readonly ops: Readonly<Record<string, number>>;
  /** Table-lookup ops, and table lookups per sample (one PBS each in FHE). */
  readonly tluCount: number;
  readonly lookupsPerSample: number;
  readonly maxTluInputPrecision: number;
  readonly tlus: readonly {
    readonly op: string;
    readonly location: string;
    readonly inputPrecision: number;
    readonly elements: number;
    /** How the table reads its input: a window fitted to calibration data, or the static range. */
    readonly precisionFrom: "data" | "static";
  }[];
  readonly maxAccumulatorWidth: number;
  readonly maxWidth: number;
  readonly roundOps: number;
  readonly pError: number;
  /** The TFHE parameter set chosen for the circuit (absent when compiled without parameter selection); partition 0's when there are several. */
  readonly parameters?: CryptoParameters;
  /** Evaluation keys of the whole circuit: every partition's plus the conversion keys. */
  readonly keySizes?: KeySizes;
  /** Ciphertext bytes of one sample: sent (inputs) and returned (outputs). */
  readonly sampleBytes?: SampleSizes;
  /** Estimated time of one sample, from the time model (compiler/cost/time_model.ts). */
  readonly latency?: LatencyEstimate;
  /** Every partition: its set (the `parameters` field names), key sizes, table reads and PBS per sample. */
  readonly partitions?: readonly PartitionInfo[];
  /** Conversion keyswitching keys between partitions (big key of `from` → small key of `to`). */
  /** Each conversion key with its size, expanded (`inMemory`) and in the seeded key set. */
  readonly conversions?: readonly (ConversionParameters & { readonly keySizes: ConversionKeySize })[];
  /** One entry per noise constraint (table read, exact-rounding bit, decryption), re-checkable with the noise model. */
  readonly tables?: readonly ConstraintEntry[];
}

export interface PartitionInfo extends CryptoParameters {
  readonly keySizes: KeySizes;
  /** The output key: a small key that only receives the results (no evaluation keys, no tables). */
  readonly outputKey?: true;
  /** Table-lookup ops (and rounds) whose PBS run on this partition's keys. */
  readonly tableOps: number;
  readonly pbsPerSample: number;
}

export { keySizes, type KeySizes } from "./cost/index.js";

export interface RunOptions {
  readonly fhe?: FheMode;
  /** Seed for error injection in `simulate` mode (default 0). */
  readonly seed?: number;
  /**
   * `simulate` only. "parameters" (default): every read draws from the noise the circuit's TFHE
   * parameters give there (approximate rounding up or down, table misreads), as FHE does.
   * "bound": table errors at the `pError` bound and coin flips at exact rounding ties only (the
   * reference product's conservative simulation). Circuits without parameters always use "bound".
   */
  readonly noise?: "parameters" | "bound";
  /**
   * `disable`/`simulate` only: the clear backend (TypeScript), the LLVM backend (the same circuit
   * as native code, bit-identical; needs the optional llvm-bindings package), or `auto` (default):
   * LLVM when it is available and the batch is large enough to repay compiling the circuit.
   */
  readonly backend?: BackendChoice;
  /**
   * `disable`/`simulate` only: write the integer results into these arrays (one per output, batch ×
   * its per-sample size, sharing no memory with the inputs) instead of new ones. The returned
   * tensors' data are then these arrays, which the next run given them overwrites: for a loop over
   * batches that consumes each batch's results first (it saves making fresh result memory per call).
   */
  readonly outputs?: readonly Float64Array[];
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

function asList(xs: NDArray | readonly NDArray[]): NDArray[] {
  return Array.isArray(xs) ? [...(xs as NDArray[])] : [xs as NDArray];
}

export class FheCircuit {
  readonly func: FuncOp;
  readonly inputs: readonly InputQuantizer[];
  readonly outputs: readonly OutputDequantizer[];
  /** The TFHE parameter set (module attribute `fhec.crypto`), when one was chosen (partition 0's). */
  readonly parameters: CryptoParameters | undefined;
  /** How compile chose each table's precision from data (absent after load or with a fixed width). */
  precision?: PrecisionReport;
  /** What compile could not honour (e.g. the key budget), one line each; empty after load. */
  compileWarnings: string[] = [];
  /** Partitioned circuits: every partition's set and the conversion keys (undefined for one set). */
  readonly partitions: { readonly partitions: readonly CryptoParameters[]; readonly conversions: readonly ConversionParameters[]; readonly outputKey?: number } | undefined;
  /** The client's post-processing (`onnx`-dialect IR text). */
  readonly postprocessText: string;
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
    this.postprocessText = postText.value;
    this.post = parsePostprocess(postText.value);
    this.parameters = cryptoParametersFromAttr(module.attributes.get(CRYPTO_ATTR));
    const parts = partitionsFromModule(module);
    this.partitions = parts && parts.partitions.length > 1 ? parts : undefined;
  }

  // ---- client side --------------------------------------------------------------------------

  /** Checks and quantizes float inputs (first dimension = samples) into integer codes. */
  quantizeInputs(xs: readonly NDArray[]): BatchTensor[] {
    return quantizeInputs(this.inputs, this.func.args.map((a) => shapeOf(a.type) as number[]), xs);
  }

  /** The outputs' ONNX names and element types (for .npz files). */
  get outputLayout(): OutputLayout {
    return outputLayout(this.post);
  }

  /** De-quantizes decrypted integer outputs, then runs the post-processing. */
  decodeOutputs(outs: readonly BatchTensor[]): NDArray[] {
    return postprocess(this.post, dequantizeOutputs(this.outputs, outs));
  }

  // ---- running --------------------------------------------------------------------------------

  /** Runs the integer circuit in the clear on quantized inputs. */
  runClear(qs: readonly BatchTensor[], opts: RunOptions = {}): BatchTensor[] {
    return this.runClearWithStats(qs, opts).outputs;
  }

  /**
   * `runClear` with the simulation's statistics: table reads, injected errors, and the values that
   * fell outside their data-fitted table windows (per op; FHE reads those modulo the window too).
   */
  runClearWithStats(qs: readonly BatchTensor[], opts: RunOptions = {}): SimulationResult {
    const fhe = opts.fhe ?? "simulate";
    if (fhe === "execute") fail("E0601", 'runClear does not encrypt: use predict(x, { fhe: "execute" })');
    // disable: the quantized model exactly (no table errors, approximate-rounding ties round up);
    // simulate: what FHE may compute (table errors at p_error, ties either way).
    const simulate = fhe === "simulate";
    // With windows, a value outside its window is read modulo the window (as in FHE), and a noisy
    // read may land one step past its type's range (as in FHE): what follows may leave its static
    // type, so overflows are then recorded rather than thrown.
    const windowed = simulate || this.func.body.ops.some((op) => op.name === "fhe.rescale");
    const run = {
      pError: simulate ? this.pError : 0,
      approximateTies: simulate ? ("random" as const) : ("up" as const),
      seed: opts.seed ?? 0,
      noise: opts.noise ?? "parameters",
      checkOverflow: !windowed,
      ...(opts.outputs ? { outputs: opts.outputs } : {}),
    };
    const backend = resolveBackend(opts.backend ?? "auto", this.func, qs[0]?.batch ?? 1, run);
    return backend === "llvm" ? simulateLlvm(this.func, qs, run) : simulateWithStats(this.func, qs, run);
  }

  /** Float inputs → float outputs in the clear (`disable` or `simulate`), synchronously. */
  predictClear(xs: NDArray | readonly NDArray[], opts: RunOptions = {}): NDArray[] {
    return this.decodeOutputs(this.runClear(this.quantizeInputs(asList(xs)), opts));
  }

  /**
   * Float inputs → float outputs (same shapes as the ONNX model's outputs). `execute` runs the
   * whole client/server loop in this process: keys (generated once per circuit object), encryption,
   * the encrypted computation, decryption.
   */
  async predict(xs: NDArray | readonly NDArray[], opts: RunOptions & { readonly onProgress?: (done: number, total: number) => void } = {}): Promise<NDArray[]> {
    if ((opts.fhe ?? "simulate") !== "execute") return this.predictClear(xs, opts);
    const codes = this.quantizeInputs(asList(xs));
    const { client, server } = await this.localSession();
    const out = await server.run(client.encrypt(codes), opts.onProgress ? { onProgress: opts.onProgress } : {});
    return this.decodeOutputs(client.decrypt(out));
  }

  /** `predict` in simulate mode. */
  simulate(xs: NDArray | readonly NDArray[], seed = 0): NDArray[] {
    return this.predictClear(xs, { fhe: "simulate", seed });
  }

  private session: Promise<{ client: TfheClient; server: TfheServer }> | undefined;

  /** Keys and server for in-process encrypted execution, created on first use. */
  private localSession(): Promise<{ client: TfheClient; server: TfheServer }> {
    this.session ??= (async () => {
      if (!this.parameters) fail("E0600", "the circuit has no TFHE parameter set (compiled with cryptoParameters: false): it can only be simulated");
      const program = lowerCircuit(this);
      const { client, evaluationKeys } = await TfheClient.generate(program.clientSpec());
      return { client, server: await TfheServer.create(program, evaluationKeys) };
    })();
    return this.session;
  }

  // ---- reporting ----------------------------------------------------------------------------

  /** What the circuit contains and, with a parameter set, what it costs (`opts`: threads, time model). */
  info(opts: CostOptions = {}): CircuitInfo {
    const program = this.parameters ? lowerCircuit(this) : undefined;
    const report = analyzeBitwidths(this.func);
    const ops: Record<string, number> = {};
    for (const op of this.func.body.ops) ops[op.name] = (ops[op.name] ?? 0) + 1;
    const elements = (t: import("../ir/types.js").Type) => (shapeOf(t) as number[]).reduce((a, b) => a * b, 1);
    const location = (op: Operation): string => (op.loc.kind === "onnx" ? `${op.loc.node} (${op.loc.opType})` : op.loc.kind === "file" ? `${op.loc.file}:${op.loc.line}` : "?");
    const tlus = report.tlus.map((t) => ({
      op: t.op.name,
      location: location(t.op),
      inputPrecision: t.inputPrecision,
      elements: elements(t.op.result.type),
      precisionFrom: t.op.operands[0]!.definingOp?.name === "fhe.rescale" ? ("data" as const) : ("static" as const),
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
      // With a parameter set, the lowered program counts exactly (exact-rounding bits, identity
      // lookups after approximate rounds read by linear ops); otherwise estimate from the fhe IR:
      // exact rounding costs one small PBS per removed bit, approximate rounding is free.
      lookupsPerSample: program ? program.pbsPerSample :
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
      ...(this.parameters && program ? { ...this.parameterInfo(this.parameters, location), ...this.cost(program, opts) } : {}),
    };
  }

  /**
   * Key sizes, bytes per sample and estimated latency: per partition (its own lookups, on its own
   * keys), then combined; conversion keys count with the keyswitching keys.
   */
  private cost(program: TfheProgram, opts: CostOptions): CostSummary & { readonly sampleBytes: SampleSizes } {
    const values = (spec: { readonly shape: readonly number[] }) => spec.shape.reduce((a, b) => a * b, 1);
    // Inputs travel seeded; each output returns at the dimension of its key (compacted or not).
    const dims = program.outputDimensions();
    const sampleBytes = sampleSizes(program.inputs.reduce((t, i) => t + values(i), 0), program.outputs.map((o, i) => ({ values: values(o), dimension: dims[i]! })));
    const sets = this.partitions?.partitions ?? [this.parameters!];
    if (sets.length === 1) return { ...costSummary(sets[0]!, lookupsPerOp(program.func), opts), sampleBytes };
    const partOf = (op: Operation): number => {
      const a = op.attributes.get("partition");
      return a?.kind === "int" ? a.value : 0;
    };
    const outputKey = this.partitions?.outputKey;
    const parts = sets.map((p, i) => {
      const c = costSummary(p, lookupsPerOp(program.func, (op) => partOf(op) === i), opts);
      return i === outputKey ? { ...c, keySizes: keySizes(p, true) } : c;
    });
    const conversions = this.partitions?.conversions ?? [];
    const convs = conversions.map((c) => conversionKeySize(sets[c.from]!, sets[c.to]!, c.ksBaseLog, c.ksLevel));
    const latency = parts.reduce((acc, p) => ({ ...acc, singleThreadMs: acc.singleThreadMs + p.latency.singleThreadMs, allCoresMs: acc.allCoresMs + p.latency.allCoresMs }), {
      ...parts[0]!.latency,
      singleThreadMs: 0,
      allCoresMs: 0,
    });
    // The seeded set's bytes beyond the partitions' own keys: conversion keys and set framing.
    const seededExtra = seededKeySetBytes(sets, conversions, outputKey) - parts.reduce((t, p) => t + p.keySizes.totalSeeded, 0);
    return {
      keySizes: combineKeySizes(parts.map((p) => p.keySizes), { inMemory: convs.reduce((t, c) => t + c.inMemory, 0), seeded: seededExtra }),
      sampleBytes,
      latency,
    };
  }

  /**
   * Warnings about running this circuit on a machine (default: this one): one line when its keys
   * would not fit in memory, naming the options that shrink them. Empty without a parameter set.
   */
  resourceWarnings(machine?: MachineMemory): string[] {
    if (!this.parameters) return [];
    const sets = this.partitions?.partitions ?? [this.parameters];
    const p = sets.reduce((a, b) => (b.polynomialSize > a.polynomialSize ? b : a));
    // The advice names the widest table read (N follows it), not the set's most demanding read,
    // which can be a decryption.
    const tableBits = analyzeBitwidths(this.func).maxTluInputPrecision;
    const w = keyMemoryWarning(combineKeySizes(sets.map((x, i) => keySizes(x, i === this.partitions?.outputKey))), p.polynomialSize, tableBits, machine);
    return w ? [w] : [];
  }

  /** Partitions, conversion keys, key sizes and the per-constraint table of a parametrized circuit. */
  private parameterInfo(parameters: CryptoParameters, location: (op: Operation) => string): Pick<CircuitInfo, "parameters" | "partitions" | "conversions" | "tables"> {
    const sets = this.partitions?.partitions ?? [parameters];
    const convs = this.partitions?.conversions ?? [];
    const outputKey = this.partitions?.outputKey;
    const tables = constraintReport(this.func, sets, convs, location, outputKey);
    const partitions: PartitionInfo[] = sets.map((p, i) => {
      const reads = tables.filter((t) => t.partition === i && t.kind !== "output");
      return {
        ...p, keySizes: keySizes(p, i === outputKey), tableOps: new Set(reads.map((t) => `${t.op}@${t.location}`)).size, pbsPerSample: reads.reduce((s, t) => s + t.count, 0),
        ...(i === outputKey ? { outputKey: true } : {}),
      };
    });
    const conversions = convs.map((c) => ({ ...c, keySizes: conversionKeySize(sets[c.from]!, sets[c.to]!, c.ksBaseLog, c.ksLevel) }));
    return { parameters, partitions, conversions, tables };
  }

  // ---- artifact -----------------------------------------------------------------------------

  /** The artifact bytes: magic, format version, header length, JSON header, IR text. */
  serialize(): Uint8Array {
    const ir = Buffer.from(printModule(this.module), "utf8");
    const header = { format: "fhec-circuit", pError: this.pError, irBytes: ir.length, irSha256: createHash("sha256").update(ir).digest("hex") };
    return packContainer(MAGIC, CIRCUIT_FORMAT_VERSION, header, ir);
  }

  /** Writes the artifact (atomically: a failed write leaves no half-written file). */
  save(path: string): void {
    writeStreamAtomic(path, this.serialize());
  }

  static load(path: string): FheCircuit {
    return FheCircuit.deserialize(openFileChunks(path, "circuit").chunks(), path);
  }

  /** Parses the artifact from bytes or from chunks (a file read piece by piece). */
  static deserialize(bytes: Uint8Array | Iterable<Uint8Array>, file = "<memory>"): FheCircuit {
    const { header, payload } = unpackContainer(bytes, MAGIC, CIRCUIT_FORMAT_VERSION, "fhec circuit", file);
    const ir = Buffer.from(payload);
    const bad = (why: string): never => fail("E0700", `'${file}' is not a valid fhec circuit: ${why}`);
    if (typeof header["irBytes"] !== "number" || ir.length !== header["irBytes"]) bad(`truncated: ${ir.length} of ${String(header["irBytes"])} program bytes`);
    if (createHash("sha256").update(ir).digest("hex") !== header["irSha256"]) bad("checksum mismatch (the file is corrupted)");
    const text = ir.toString("utf8");
    const parsed = parseModule(text, file, defaultRegistry);
    if (!parsed.module) throw new CompileError(parsed.diagnostics, new Map([[file, text]]));
    const v = verifyModule(parsed.module, defaultRegistry);
    if (v.hasErrors()) throw new CompileError(v.diagnostics, new Map([[file, text]]));
    const pError = typeof header["pError"] === "number" ? header["pError"] : 0;
    return new FheCircuit(parsed.module, pError);
  }
}
