// crypto-params: norm analysis of every function of an `fhe`-dialect module, then one parameter
// set for the whole module (the cheapest 128-bit secure set meeting every constraint), recorded
// as the module attribute `fhec.crypto = {precision = …, lweDimension = …, …}`.
import { type Attribute, arrayAttr, type DictAttr, dictAttr, floatAttr, intAttr } from "../../ir/attributes.js";
import type { FuncOp, ModuleOp, Operation } from "../../ir/core.js";
import { CompileError, fail } from "../../ir/diagnostics.js";
import { ROUND_LAST_STEP_ATTR, roundDigits, roundEndsWithTable } from "../../ir/dialects/fhe.js";
import type { Pass, PassReport } from "../pass.js";
import type { CostWeights } from "../../crypto-model/index.js";
import { analyzeNorms, type NoiseConstraint } from "./norms.js";
import { keyClasses, PBS_OPS } from "./classes.js";
import { chooseParameters, type CryptoParameters, resolvePError } from "./optimizer.js";
import { type ClassedConstraint, choosePartitions, type ConversionParameters, MAX_PARTITIONS, MIN_GAIN, type PartitionedParameters } from "./partitions.js";
import { annotateReadNoise } from "./read_noise.js";
import { OUTPUT_KEY_ATTR } from "./output_key.js";
import { CONVERSIONS_ATTR, CRYPTO_ATTR, INPUT_PARTITIONS_ATTR, LAST_STEP_PARTITION_ATTR, PARTITION_ATTR, PARTITIONS_ATTR } from "./attributes.js";

export { analyzeNorms } from "./norms.js";
export type { ConstraintKind, NoiseConstraint, NormAnalysis, ValueNorm } from "./norms.js";
export { chooseParameters, resolvePError, DEFAULT_P_ERROR, type CryptoParameters, type ChooseParametersOptions } from "./optimizer.js";
export { annotateReadNoise, READ_OFFSET_ATTR, READ_STD_ATTR } from "./read_noise.js";
export { checkSecurity, minNoiseStd, SECURITY_CURVE, type SecurityCheck } from "../../crypto-model/index.js";
export { choosePartitions, MAX_PARTITIONS, predictedErrors, readTerms, readVariance, type ClassedConstraint, type ConversionParameters, type PartitionedParameters, type Placement } from "./partitions.js";
export { keyClasses, type KeyClasses } from "./classes.js";
export { OUTPUT_KEY_ATTR } from "./output_key.js";
export { CONVERSIONS_ATTR, CRYPTO_ATTR, INPUT_PARTITIONS_ATTR, PARTITION_ATTR, PARTITIONS_ATTR } from "./attributes.js";


const INT_FIELDS = ["precision", "lweDimension", "glweDimension", "polynomialSize", "pbsBaseLog", "pbsLevel", "ksBaseLog", "ksLevel"] as const;
const FLOAT_FIELDS = ["lweNoiseStd", "glweNoiseStd", "maxNorm2", "pError", "cost", "pErrorPerPbs"] as const;

/** `{precision = 4, lweDimension = 802, …}`: integers as ints, stds and probabilities as floats. */
export function cryptoParametersToAttr(p: CryptoParameters): DictAttr {
  const entries: [string, Attribute][] = [];
  for (const k of INT_FIELDS) entries.push([k, intAttr(p[k])]);
  for (const k of FLOAT_FIELDS) entries.push([k, floatAttr(p[k])]);
  // Written only for a multi-bit set: a classic set's attribute stays as it always was.
  if ((p.pbsGroupingFactor ?? 1) > 1) entries.push(["pbsGroupingFactor", intAttr(p.pbsGroupingFactor!)]);
  return dictAttr(entries);
}

/** Reads `fhec.crypto` back (undefined when absent or malformed). */
export function cryptoParametersFromAttr(a: Attribute | undefined): CryptoParameters | undefined {
  if (!a || a.kind !== "dict") return undefined;
  const out: Record<string, number> = {};
  for (const k of [...INT_FIELDS, ...FLOAT_FIELDS]) {
    const v = a.entries.get(k);
    if (!v || (v.kind !== "int" && v.kind !== "float")) return undefined;
    out[k] = v.value;
  }
  const g = a.entries.get("pbsGroupingFactor");
  if (g !== undefined) {
    if (g.kind !== "int") return undefined;
    if (g.value !== 1) out["pbsGroupingFactor"] = g.value;
  }
  return out as unknown as CryptoParameters;
}

export interface SelectOptions {
  readonly pError?: number;
  readonly globalPError?: number;
  /** Weights of the cost terms the search minimises (default: operation counts). */
  readonly weights?: CostWeights;
  /** Budget for the evaluation keys (bytes): the single set is the cheapest whose keys fit, if any. */
  readonly maxKeyBytes?: number;
}

/** Norm analysis of every function, then one set for the module (see {@link selectPartitionedParameters}). */
export function selectCryptoParameters(module: ModuleOp, opts: SelectOptions = {}): { params: CryptoParameters; constraints: NoiseConstraint[] } {
  const constraints: NoiseConstraint[] = [];
  for (const func of module.funcs) {
    for (const op of func.body.ops) {
      if (op.dialect === "onnx" || op.dialect === "tfhe") {
        fail("E0302", `crypto-params runs on the fhe dialect, found '${op.name}'`, op.loc, op.name);
      }
    }
    constraints.push(...analyzeNorms(func).constraints);
  }
  const params = chooseParameters({
    constraints,
    ...(opts.pError !== undefined ? { pError: opts.pError } : {}),
    ...(opts.globalPError !== undefined ? { globalPError: opts.globalPError } : {}),
    ...(opts.weights ? { weights: opts.weights } : {}),
    ...(opts.maxKeyBytes !== undefined ? { maxKeyBytes: opts.maxKeyBytes } : {}),
  });
  return { params, constraints };
}

export interface PartitionedSelection {
  readonly single: CryptoParameters;
  readonly constraints: NoiseConstraint[];
  readonly partitioned: PartitionedParameters;
  /** Partition of each encrypted argument and of each PBS-running op of the function. */
  readonly argPartitions: number[];
}

/**
 * The single set, then partitions when they pay (one-function modules; with several functions
 * the single set is kept). `forceClassPartition` (tests) imposes a class → partition grouping.
 */
export function selectPartitionedParameters(
  module: ModuleOp,
  opts: SelectOptions & { readonly forceClassPartition?: readonly number[]; readonly maxPartitions?: number } = {},
): PartitionedSelection {
  const { params: single, constraints } = selectCryptoParameters(module, opts);
  const func: FuncOp | undefined = module.funcs.length === 1 ? module.funcs[0] : undefined;
  const classes = func ? keyClasses(func) : undefined;
  const classed: ClassedConstraint[] = constraints.map((c) => {
    const src = c.value && classes ? classes.classOf.get(c.value) : undefined;
    const reader = c.kind === "output" ? undefined : c.kind === "round-bit" ? src : c.reader && classes ? classes.classOf.get(c.reader.result) : undefined;
    return { constraint: c, sourceClass: src ?? 0, readerClass: c.kind === "output" ? undefined : (reader ?? 0) };
  });
  const partitioned = choosePartitions(classed, classes?.count ?? 1, {
    pError: resolvePError(constraints, opts.pError, opts.globalPError),
    single,
    ...(opts.forceClassPartition ? { forceClassPartition: opts.forceClassPartition } : {}),
    ...(opts.maxPartitions !== undefined ? { maxPartitions: opts.maxPartitions } : {}),
    ...(opts.maxKeyBytes !== undefined ? { maxKeyBytes: opts.maxKeyBytes } : {}),
    ...(opts.weights ? { weights: opts.weights } : {}),
  });
  const argPartitions = func && classes ? func.args.map((a) => partitioned.classPartition[classes.classOf.get(a) ?? -1] ?? 0) : [];
  return { single, constraints, partitioned, argPartitions };
}

function conversionToAttr(c: ConversionParameters): DictAttr {
  return dictAttr([
    ["from", intAttr(c.from)],
    ["to", intAttr(c.to)],
    ["ksBaseLog", intAttr(c.ksBaseLog)],
    ["ksLevel", intAttr(c.ksLevel)],
    ["count", intAttr(c.count)],
  ]);
}

/** Reads `fhec.partitions` (undefined for a one-set module). */
export function partitionsFromModule(module: ModuleOp): { partitions: CryptoParameters[]; conversions: ConversionParameters[]; outputKey?: number } | undefined {
  const a = module.attributes.get(PARTITIONS_ATTR);
  if (!a || a.kind !== "array") return undefined;
  const partitions = a.items.map((x) => cryptoParametersFromAttr(x));
  if (partitions.some((p) => !p)) return undefined;
  const ps = partitions as CryptoParameters[];
  const c = module.attributes.get(CONVERSIONS_ATTR);
  const conversions: ConversionParameters[] = c?.kind === "array"
    ? c.items.map((x) => {
        const d = x.kind === "dict" ? x.entries : new Map<string, Attribute>();
        const num = (k: string) => {
          const v = d.get(k);
          return v && (v.kind === "int" || v.kind === "float") ? v.value : NaN;
        };
        const from = num("from");
        const to = num("to");
        return {
          from, to, ksBaseLog: num("ksBaseLog"), ksLevel: num("ksLevel"), count: num("count"),
          inputDimension: ps[from] ? ps[from]!.glweDimension * ps[from]!.polynomialSize : NaN,
          lweNoiseStd: ps[to]?.lweNoiseStd ?? NaN,
        };
      })
    : [];
  const k = module.attributes.get(OUTPUT_KEY_ATTR);
  return { partitions: ps, conversions, ...(k?.kind === "int" ? { outputKey: k.value } : {}) };
}

/** Writes the chosen partitions on the module (or removes them for one set). */
export function writePartitions(module: ModuleOp, sel: PartitionedSelection): void {
  const { partitioned } = sel;
  const multi = partitioned.partitions.length > 1 && module.funcs.length > 0;
  module.attributes.set(CRYPTO_ATTR, cryptoParametersToAttr(partitioned.partitions[0]!));
  for (const f of module.funcs) {
    f.attributes.delete(INPUT_PARTITIONS_ATTR);
    for (const op of f.body.ops) {
      op.attributes.delete(PARTITION_ATTR);
      op.attributes.delete(LAST_STEP_PARTITION_ATTR);
    }
  }
  module.attributes.delete(OUTPUT_KEY_ATTR);
  if (!multi) {
    module.attributes.delete(PARTITIONS_ATTR);
    module.attributes.delete(CONVERSIONS_ATTR);
    return;
  }
  module.attributes.set(PARTITIONS_ATTR, arrayAttr(partitioned.partitions.map(cryptoParametersToAttr)));
  module.attributes.set(CONVERSIONS_ATTR, arrayAttr(partitioned.conversions.map(conversionToAttr)));
  if (partitioned.outputKey !== undefined) module.attributes.set(OUTPUT_KEY_ATTR, intAttr(partitioned.outputKey));
  // Several functions share one table set (partition 0); one function gets its class grouping.
  if (module.funcs.length === 1) annotatePartitions(module.funcs[0]!, partitioned.classPartition);
  else for (const f of module.funcs) annotatePartitions(f, []);
}

/**
 * Writes a key-class → partition assignment on an fhe function: `fhec.partition` on every op
 * running PBS (a table under its result's partition, a round under its input's key) and the
 * arguments' partitions on the function. lower-to-tfhe turns them into keyswitch/bootstrap keys.
 */
export function annotatePartitions(func: FuncOp, classPartition: readonly number[]): void {
  const classes = keyClasses(func);
  const partOf = (v: import("../../ir/core.js").Value) => classPartition[classes.classOf.get(v) ?? -1] ?? 0;
  func.attributes.set(INPUT_PARTITIONS_ATTR, arrayAttr(func.args.map((a) => intAttr(partOf(a)))));
  for (const op of func.body.ops) {
    if (PBS_OPS.has(op.name)) op.attributes.set(PARTITION_ATTR, intAttr(partOf(op.result)));
    else if (op.name === "fhe.round") {
      op.attributes.set(PARTITION_ATTR, intAttr(partOf(op.operands[0]!)));
      if (roundEndsWithTable(op)) op.attributes.set(LAST_STEP_PARTITION_ATTR, intAttr(partOf(op.result)));
    }
  }
}

/**
 * Exact roundings' extraction steps with the parameters: `lastStepBits` d ≥ 1 fixes the width of
 * every exact rounding's last step (at most its removed bits; 1: bit by bit); 0 chooses it: for each width d = 1..4 of the last
 * step (every exact `fhe.round` removing k bits reads its top min(d, k) removed bits with the kept
 * ones as one table, the others one 1-bit PBS each), the cheapest partitioned parameters. A wider
 * last step means fewer PBS but a wider read (larger N) under a partition and conversion keys of
 * its own, which the cost model does not count (keys, keygen): as for partitions, a wide last step
 * is kept only when it costs at most MIN_GAIN of bit by bit (on gemm_tree, 5% cheaper by the
 * model measured no faster on 2 threads and slower on 1).
 */
export function selectWithExtractionSteps(module: ModuleOp, lastStepBits: number, opts: Parameters<typeof selectPartitionedParameters>[1] = {}): PartitionedSelection {
  const rounds = module.funcs.flatMap((f) => f.body.ops.filter((op) => op.name === "fhe.round" && (op.attr("method") as { value: string }).value === "exact" && removedBits(op) > 1));
  if (rounds.length === 0) return selectPartitionedParameters(module, opts);
  const removed = rounds.map(removedBits);
  const setLast = (d: number) =>
    rounds.forEach((op, r) => {
      const last = Math.min(d, removed[r]!);
      if (last === 1) op.attributes.delete(ROUND_LAST_STEP_ATTR);
      else op.attributes.set(ROUND_LAST_STEP_ATTR, intAttr(last));
    });
  if (lastStepBits > 0) {
    setLast(lastStepBits);
    return selectPartitionedParameters(module, opts);
  }
  let best: { sel: PartitionedSelection; d: number } | undefined;
  for (let d = 1; d <= MAX_LAST_STEP_BITS && d <= Math.max(...removed); d++) {
    setLast(d);
    let sel: PartitionedSelection;
    try {
      sel = selectPartitionedParameters(module, opts);
    } catch (e) {
      // A wider read can leave no secure set (E0602) where narrower ones have one: only d = 1 must succeed.
      if (d === 1 || !(e instanceof CompileError && e.diagnostics.every((x) => x.code === "E0602"))) throw e;
      continue;
    }
    const bar = best && best.d === 1 ? best.sel.partitioned.totalCost * MIN_GAIN : best?.sel.partitioned.totalCost;
    if (!best || sel.partitioned.totalCost < bar!) best = { sel, d };
  }
  setLast(best!.d);
  return best!.sel;
}

const removedBits = (op: Operation): number => roundDigits(op).reduce((a, d) => a + d, 0);

/** Widest last extraction step tried: its table reads these bits plus the kept ones. */
export const MAX_LAST_STEP_BITS = 4;

function probability(name: string, v: number): number | undefined {
  if (v === 0) return undefined;
  if (!(v > 0 && v < 1)) fail("E0301", `option 'crypto-params.${name}' must be a probability in (0, 1), got ${v}`);
  return v;
}

/** The cost terms' weights from the pass options, relative to one FFT operation. */
function costWeightsOption(mac: number, keyswitch: number, multiBitMac: number): CostWeights {
  for (const [name, v] of [["cost-mac", mac], ["cost-keyswitch", keyswitch]] as const) {
    if (!(v > 0 && Number.isFinite(v))) fail("E0301", `option 'crypto-params.${name}' must be a positive number, got ${v}`);
  }
  if (!(multiBitMac >= 0 && Number.isFinite(multiBitMac))) fail("E0301", `option 'crypto-params.cost-multibit-mac' must be ≥ 0, got ${multiBitMac}`);
  return { fft: 1, mac, keyswitch, ...(multiBitMac > 0 ? { multiBitMac } : {}) };
}

export const cryptoParamsPass: Pass = {
  name: "crypto-params",
  summary: "MANP norm analysis and the cheapest 128-bit secure TFHE parameters (module attribute fhec.crypto)",
  options: {
    "p-error": { type: "float", default: 0, doc: "per-PBS error bound (0: 2^-40, or derived from global-p-error)" },
    "global-p-error": { type: "float", default: 0, doc: "bound on any PBS/decryption failing in one run (0: off)" },
    "max-partitions": { type: "int", default: MAX_PARTITIONS, doc: "parameter partitions at most (1: one set for the whole circuit)" },
    "max-key-bytes": { type: "float", default: 0, doc: "evaluation-key budget in bytes: the cheapest partitioning whose keys fit (0: no budget)" },
    "last-step-bits": { type: "int", default: 1, doc: "exact rounding: bits of the last extraction step, read with the kept bits by one table (1: bit by bit; 0: the cheapest of 1..4 by the cost model)" },
    "cost-mac": { type: "float", default: 1, doc: "weight of a PBS key product (multiply-add) against one FFT operation (1: operation counts; compile sets the time model's ratio)" },
    "cost-keyswitch": { type: "float", default: 1, doc: "weight of a keyswitch operation against one FFT operation (1: operation counts; compile sets the time model's ratio)" },
    "cost-multibit-mac": { type: "float", default: 0, doc: "weight of a multi-bit PBS key product against one FFT operation; multi-bit sets (grouping factor 2, 3) are searched only when it is set (0: classic only; compile sets the time model's ratio when the model has one)" },
  },
  run(module: ModuleOp, options): PassReport {
    const pError = probability("p-error", options["p-error"] as number);
    const globalPError = probability("global-p-error", options["global-p-error"] as number);
    const maxPartitions = options["max-partitions"] as number;
    if (!(Number.isInteger(maxPartitions) && maxPartitions >= 1)) fail("E0301", `option 'crypto-params.max-partitions' must be an integer ≥ 1, got ${maxPartitions}`);
    const maxKeyBytes = options["max-key-bytes"] as number;
    if (!(maxKeyBytes >= 0)) fail("E0301", `option 'crypto-params.max-key-bytes' must be ≥ 0, got ${maxKeyBytes}`);
    const lastStepBits = options["last-step-bits"] as number;
    if (!(Number.isInteger(lastStepBits) && lastStepBits >= 0 && lastStepBits <= MAX_LAST_STEP_BITS)) fail("E0301", `option 'crypto-params.last-step-bits' must be an integer in [0, ${MAX_LAST_STEP_BITS}], got ${lastStepBits}`);
    const weights = costWeightsOption((options["cost-mac"] as number | undefined) ?? 1, (options["cost-keyswitch"] as number | undefined) ?? 1,
      (options["cost-multibit-mac"] as number | undefined) ?? 0);
    const sel = selectWithExtractionSteps(module, lastStepBits, {
      weights,
      ...(pError !== undefined ? { pError } : {}),
      ...(globalPError !== undefined ? { globalPError } : {}),
      maxPartitions,
      ...(maxKeyBytes > 0 ? { maxKeyBytes } : {}),
    });
    const { constraints } = sel;
    const params = sel.partitioned.partitions[0]!;
    const old = module.attributes.get(CRYPTO_ATTR);
    const oldParts = partitionsFromModule(module);
    const changed = !old || JSON.stringify(cryptoParametersFromAttr(old)) !== JSON.stringify(params) ||
      JSON.stringify(oldParts?.partitions ?? [params]) !== JSON.stringify(sel.partitioned.partitions);
    writePartitions(module, sel);
    // Every read records the noise its partitions give there, for simulate to draw from.
    for (const func of module.funcs) annotateReadNoise(func, sel.partitioned.partitions, sel.partitioned.conversions, sel.partitioned.outputKey);
    return {
      changed,
      details: {
        constraints: constraints.length,
        precision: params.precision,
        maxNorm2: params.maxNorm2,
        lweDimension: params.lweDimension,
        glweDimension: params.glweDimension,
        polynomialSize: params.polynomialSize,
        pError: params.pError,
        pErrorPerPbs: params.pErrorPerPbs,
        cost: params.cost,
        partitions: sel.partitioned.partitions.length,
        conversions: sel.partitioned.conversions.length,
        totalCost: sel.partitioned.totalCost,
        singleSetCost: sel.partitioned.singleCost,
        // Key bytes of the cheapest partitioning when the key budget bound the choice (0: it did not).
        cheapestKeyBytes: sel.partitioned.cheapestKeyBytes ?? 0,
      },
    };
  },
};
