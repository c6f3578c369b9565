// The compile driver: ONNX → onnx dialect → calibration → quantize → fusion → bit widths →
// canonicalize, returning an FheCircuit. Every stage can dump its IR.
import { cloneModule, type ModuleOp } from "../ir/core.js";
import { elementOf } from "../ir/types.js";
import { fail } from "../ir/diagnostics.js";
import { defaultRegistry } from "../ir/dialects/index.js";
import { printModule } from "../ir/printer.js";
import type { NDArray } from "../ir/tensor.js";
import { verifyModule } from "../ir/verifier.js";
import { CompileError } from "../ir/diagnostics.js";
import { collectRanges } from "../backends/clear/index.js";
import { runReference } from "../backends/reference/index.js";
import { applyBitwidths, setCalibrationRanges, TABLE_OPS } from "../passes/bitwidth.js";
import { type PipelineStep, runPipeline } from "../passes/pipeline.js";
import { defaultPassRegistry } from "../passes/registry.js";
import { partitionsFromModule } from "../passes/params/index.js";
import { DEFAULT_P_ERROR } from "../passes/params/optimizer.js";
import type { NBits } from "../passes/quantize/index.js";
import { annotateCalibration } from "./calibrate.js";
import { disagreement } from "./output_agreement.js";
import { FheCircuit } from "./circuit.js";
import { applyTableBits, choosePrecision, lossWithParameters, type PrecisionReport, precisionWarning } from "./precision.js";
import { widthsAtPartitionPrecision } from "./partition_widths.js";
import { onnxEvaluator } from "./evaluate.js";
import { importOnnx } from "./onnx/index.js";
import { expandMlOps } from "../passes/quantize/lower_ml.js";
import { feedsOnlyComparisons } from "../passes/comparisons.js";
import { featuresResolved, narrowRangesToThresholds, thresholdDistances } from "./threshold_ranges.js";
import { costWeights, loadTimeModel } from "./cost/index.js";

export type RoundingSpec = number | { readonly bits: number; readonly method?: "exact" | "approximate" } | "auto";

export interface CompileOptions {
  /** Calibration inputs (first dimension = samples), one array per model input. Needed unless the model is fully QDQ. */
  readonly calibration?: NDArray | readonly NDArray[];
  /** Bits per role, or one number for all roles. */
  readonly nBits?: number | Partial<NBits>;
  /**
   * Unset (the default, with a calibration set): each table reads a window fitted to the range its
   * input reaches on the calibration data, at the fewest bits (≤ 8) that keep the calibration
   * loss against the float model within `precisionTolerance`. A number (or {bits, method}): keep
   * the top bits of the static range, at most this many, before each table. "auto": the smallest
   * uniform static width that keeps accuracy.
   */
  readonly roundingThresholdBits?: RoundingSpec;
  /** Data-fitted precision: accepted loss (classification: accuracy the float model expects to lose, by its own class probabilities; regression: mean |error| / output range). */
  readonly precisionTolerance?: { readonly classification: number; readonly regression: number };
  /** Data-fitted precision: each window covers the calibrated range widened by this fraction on each side (default 0.125). */
  readonly windowMargin?: number;
  /** Probability of a table-lookup error per PBS: bounds parameter selection and drives simulation (default 2^-40). */
  readonly pError?: number;
  /** Probability that any PBS or decryption of one run fails; overrides pError for parameter selection. */
  readonly globalPError?: number;
  /** Round function outputs wider than this many bits before the client decrypts them (default 12, 0: off). */
  readonly outputRoundingBits?: number;
  /** At most this many parameter partitions (default 3; 1: one set for the whole circuit). */
  readonly maxPartitions?: number;
  /**
   * Budget for the evaluation keys as the server holds them (bytes, default 1 GiB). Each partition
   * brings its own keys: when the cheapest partitioning exceeds the budget, the parameter search
   * looks for the cheapest one that fits (trading speed for key bytes); if none fits, the smallest
   * keys of the partitionings and of the single set are kept.
   */
  readonly maxKeyBytes?: number;
  /** Choose the TFHE parameter set (default true; false: quantized circuit only, for simulation). */
  readonly cryptoParameters?: boolean;
  readonly symmetricWeights?: boolean;
  readonly perChannelWeights?: boolean;
  /**
   * Round weights so that their errors compensate one another on the calibration inputs (default
   * true; false: each weight to its nearest grid point). Same width and cost either way.
   */
  readonly compensateWeights?: boolean;
  /**
   * How MaxPool trees take each maximum: "doubled", 2·max(a, b) = a + b + |b − a| (the table's read
   * error halved on the maximum, the codes doubled per level), or "relu", a + relu(b − a). Default:
   * "doubled" when tables read windows (precision from data, approximate rounding), else "relu".
   */
  readonly poolMaxima?: "doubled" | "relu";
  /** Lower comparisons against constants to a rounding and a 1–2-bit table (default true). */
  readonly lowerComparisons?: boolean;
  /** Fuse univariate chains into single tables (default true). */
  readonly fuseTables?: boolean;
  /** "calibration": tighter widths from observed integer ranges (may overflow on unseen inputs). */
  readonly bounds?: "static" | "calibration";
  /** For roundingThresholdBits "auto": accepted loss of agreement with the unrounded circuit on the calibration set. */
  readonly autoRoundingTolerance?: number;
  /** Run the verifier after every pass. */
  readonly verifyEach?: boolean;
  /** Dump the IR after every stage ("after-all") or after the named stage. */
  readonly dumpIr?: string;
  readonly onDump?: (stage: string, ir: string) => void;
  readonly onProgress?: (message: string) => void;
}

/** Defaults measured on the bundled fixtures (see README: accuracy table). */
export const DEFAULT_N_BITS: NBits = { inputs: 8, weights: 8, activations: 7, outputs: 8 };
/**
 * Weight width when the user sets none and the circuit has table lookups. A table's input noise
 * grows as Σ w² over the integer weights feeding it (ν², docs/tfhe.md), so every weight bit costs a
 * factor 4 in the noise the parameters must absorb; from 8 to 6 bits, CNNs drop to parameters
 * 2–4× faster with half the keys. Measured on the bundled fixtures (calibration and test splits),
 * 6-bit per-channel weights changed no prediction of the MLPs and CNNs beyond sampling noise
 * (≤ 1 point), 5 bits began to cost. Without tables weights only widen what the client decrypts,
 * which is nearly free, so they keep DEFAULT_N_BITS.weights.
 */
export const TABLE_CIRCUIT_WEIGHT_BITS = 6;
export const DEFAULT_ROUNDING_BITS = 8;
/** The per-lookup failure probability the parameter search meets by default (defined by the search). */
export { DEFAULT_P_ERROR };
export const DEFAULT_OUTPUT_ROUNDING_BITS = 12;
/** Data-fitted precision: tables are first tabulated at this resolution, then narrowed to their windows. */
export const TABULATION_BITS = 14;
export const DEFAULT_WINDOW_MARGIN = 0.125;
export const DEFAULT_MAX_KEY_BYTES = 2 ** 30;
/**
 * Fewest input bits tried for inputs that only feed comparisons (trees). Each input bit is one
 * more bit for the comparisons to read (one 1-bit PBS per comparison with exact rounding).
 */
export const MIN_COMPARISON_INPUT_BITS = 3;
/**
 * How much slower (estimated) the circuit may get when its tables take their partitions'
 * precision: parametrized again, a partition whose reads all stay within its precision may land on
 * a set a few parts in a thousand dearer (cnn_maxpool: 8544 ms against 8536), a price a table
 * bit is worth.
 */
export const WIDENING_LATENCY_SLACK = 0.01;
/** How many bits below its widest table compile narrows a circuit whose keys overflow their budget (each step is one more precision search). */
export const KEY_BUDGET_CAP_STEPS = 2;
/**
 * How much more a circuit capped for the key budget may lose on the calibration set than the
 * uncapped one's budget, in tolerances: two, one point of accuracy at the default tolerance.
 */
export const KEY_BUDGET_CAP_TOLERANCES = 2;

function resolveNBits(n: CompileOptions["nBits"]): NBits {
  if (n === undefined) return DEFAULT_N_BITS;
  if (typeof n === "number") {
    if (!Number.isInteger(n) || n < 1 || n > 16) fail("E0600", `nBits must be an integer in 1..16, got ${n}`);
    return { inputs: n, weights: n, activations: n, outputs: n };
  }
  const all = { ...DEFAULT_N_BITS, ...n };
  for (const [k, v] of Object.entries(all)) {
    if (!Number.isInteger(v) || v < 1 || v > 16) fail("E0600", `nBits.${k} must be an integer in 1..16, got ${String(v)}`);
  }
  return all;
}

function resolveRounding(r: RoundingSpec | undefined): { bits: number; method: "exact" | "approximate" } {
  if (r === undefined) return { bits: DEFAULT_ROUNDING_BITS, method: "approximate" };
  if (r === "auto") return fail("E0600", "internal: auto rounding resolved by the caller");
  const spec = typeof r === "number" ? { bits: r } : r;
  if (!Number.isInteger(spec.bits) || spec.bits < 0 || spec.bits > 16) fail("E0600", `roundingThresholdBits must be an integer in 0..16 (0: off), got ${spec.bits}`);
  const method = spec.method ?? "approximate";
  if (method !== "exact" && method !== "approximate") fail("E0600", `rounding method must be "exact" or "approximate", got "${String(method)}"`);
  return { bits: spec.bits, method };
}

function asList(x: NDArray | readonly NDArray[]): NDArray[] {
  return Array.isArray(x) ? [...(x as NDArray[])] : [x as NDArray];
}

/** Compiles an ONNX model (bytes or path) into a circuit. */
/** Stages `dumpIr` accepts: import, calibrate, every registered pass, or after-all. */
export function dumpStages(): string[] {
  return ["import", "calibrate", ...defaultPassRegistry.all().map((p) => p.name), "after-all"];
}

export function compile(model: Uint8Array | string, options: CompileOptions = {}): FheCircuit {
  if (options.precisionTolerance && options.roundingThresholdBits !== undefined) {
    fail("E0600", "precisionTolerance applies to the default per-table precision search; it cannot be combined with roundingThresholdBits");
  }
  if (options.roundingThresholdBits === "auto") return compileAutoRounding(model, options);
  const pError = options.pError ?? DEFAULT_P_ERROR;
  if (!(pError > 0 && pError < 1)) fail("E0600", `pError must be in (0, 1), got ${pError}`);
  if (options.globalPError !== undefined && !(options.globalPError > 0 && options.globalPError < 1)) fail("E0600", `globalPError must be in (0, 1), got ${options.globalPError}`);
  const nBits = resolveNBits(options.nBits);
  const rounding = resolveRounding(options.roundingThresholdBits);
  // Precision from data is the default whenever there is data to fit it to.
  const fromData = options.roundingThresholdBits === undefined && options.calibration !== undefined;
  const tolerance = options.precisionTolerance;
  if (tolerance) {
    for (const kind of ["classification", "regression"] as const) {
      const v = tolerance[kind];
      if (!(v >= 0 && v <= 1)) fail("E0600", `precisionTolerance.${kind} must be in [0, 1], got ${String(v)}`);
    }
  }
  const margin = options.windowMargin ?? DEFAULT_WINDOW_MARGIN;
  if (!(margin >= 0 && margin <= 4)) fail("E0600", `windowMargin must be in [0, 4], got ${margin}`);
  const progress = options.onProgress ?? (() => {});
  if (options.dumpIr !== undefined && !dumpStages().includes(options.dumpIr)) {
    fail("E0301", `unknown IR dump stage '${options.dumpIr}' (stages: ${dumpStages().join(", ")})`);
  }
  const wantDump = (stage: string) => options.dumpIr === "after-all" || options.dumpIr === stage;
  const dump = (stage: string, m: ModuleOp) => {
    if (wantDump(stage) && options.onDump) options.onDump(stage, printModule(m));
  };

  progress("importing the ONNX model");
  let module = importOnnx(model, typeof model === "string" ? { file: model } : {});
  dump("import", module);
  // ai.onnx.ml ops become onnx ops before calibration, so every value they produce gets a range.
  if (module.funcs.some((f) => expandMlOps(f) > 0)) dump("ml-expand", module);

  if (options.calibration !== undefined) {
    progress("calibrating on the float model");
    annotateCalibration(module.funcs[0]!, asList(options.calibration), onnxEvaluator);
    dump("calibrate", module);
  }

  const step = (name: string, opts: Record<string, string | number | boolean> = {}): PipelineStep => {
    const pass = defaultPassRegistry.get(name);
    if (!pass) return fail("E0300", `internal: pass '${name}' is not registered`);
    const resolved: Record<string, string | number | boolean> = {};
    for (const [k, spec] of Object.entries(pass.options)) resolved[k] = spec.default;
    return { pass, options: { ...resolved, ...opts } };
  };
  const steps: PipelineStep[] = [
    step("canonicalize"),
    step("quantize", {
      "n-bits": nBits.activations,
      "inputs-bits": nBits.inputs,
      "weights-bits": nBits.weights,
      "activations-bits": nBits.activations,
      "outputs-bits": nBits.outputs,
      "symmetric-weights": options.symmetricWeights ?? true,
      "per-channel": options.perChannelWeights ?? true,
      "compensate-weights": options.compensateWeights ?? true,
      // Windowed reads (precision from data, approximate rounding) are inexact: halve their error
      // in max-pool trees. Exact reads gain nothing from it and would only get wider tables.
      "pool-max": options.poolMaxima ?? (fromData && rounding.method === "approximate" ? "doubled" : "relu"),
      "rounding-bits": fromData ? TABULATION_BITS : rounding.bits,
      "rounding-method": rounding.method,
    }),
  ];
  if (options.fuseTables ?? true) steps.push(step("tlu-fusion"));
  // Comparisons against constants become add + round + a 1–2-bit table before the precision
  // search or the rounding pass sees them (both leave tables that narrow alone).
  // Exact by default: approximate rounding would flip decisions for inputs within the noise of a
  // threshold (a few codes at N = 1024), which costs trees accuracy; exact rounding costs one 1-bit
  // PBS per removed bit and decides every comparison as the clear circuit does.
  const comparisonMethod = typeof options.roundingThresholdBits === "object" && options.roundingThresholdBits.method ? options.roundingThresholdBits.method : "exact";
  if (options.lowerComparisons ?? true) steps.push(step("comparisons", { method: comparisonMethod }));
  const outputBits = options.outputRoundingBits ?? DEFAULT_OUTPUT_ROUNDING_BITS;
  if (!Number.isInteger(outputBits) || outputBits < 0 || outputBits > 30) fail("E0600", `outputRoundingBits must be an integer in 0..30 (0: off), got ${outputBits}`);

  progress("quantizing and lowering to the fhe dialect");
  // Printing a module (its weights in hex) costs more than some passes: only the stages asked for.
  const printAfter = !options.onDump || options.dumpIr === undefined ? undefined : options.dumpIr === "after-all" ? "all" : new Set([options.dumpIr]);
  const run = (list: PipelineStep[], on: ModuleOp = module) =>
    runPipeline(on, list, {
      registry: defaultRegistry,
      verifyEach: options.verifyEach ?? false,
      ...(printAfter ? { printAfter } : {}),
      onDump: (pass, ir) => {
        if (wantDump(pass) && options.onDump) options.onDump(pass, ir);
      },
      onnxEvaluator,
    });
  // Weights the user left to us: TABLE_CIRCUIT_WEIGHT_BITS when the circuit has tables, else the
  // default width (quantized again from the calibrated model, which quantization leaves intact).
  const weightsFree = options.nBits === undefined || (typeof options.nBits === "object" && options.nBits.weights === undefined);
  const calibrated = weightsFree ? cloneModule(module) : undefined;
  const quantizeAt = steps.findIndex((st) => st.pass.name === "quantize");
  if (weightsFree) steps[quantizeAt] = withOption(steps[quantizeAt]!, "weights-bits", TABLE_CIRCUIT_WEIGHT_BITS);
  const inputsFree = options.nBits === undefined || (typeof options.nBits === "object" && options.nBits.inputs === undefined);
  if (inputsFree && fromData) {
    const bits = comparisonInputBits(module, steps, quantizeAt, run, model, asList(options.calibration!));
    if (bits !== undefined) {
      progress(`inputs only feed comparisons: quantized to ${bits} bits`);
      steps[quantizeAt] = withOption(steps[quantizeAt]!, "inputs-bits", bits);
    }
  }
  run(steps);
  if (calibrated && !hasTables(module)) {
    module = calibrated;
    steps[quantizeAt] = withOption(steps[quantizeAt]!, "weights-bits", nBits.weights);
    run(steps);
  }
  let precision: PrecisionReport | undefined;
  let floatOnCalibration: { output: number; float: NDArray } | undefined;
  // The circuit before the precision search, for a second search under a width cap (key budget).
  const beforePrecision = fromData ? cloneModule(module) : undefined;
  const searchPrecision = (m: ModuleOp, maxBits: number): PrecisionReport => {
    const { output, float } = floatOnCalibration!;
    return choosePrecision(m, asList(options.calibration!), float, {
      output,
      maxBits,
      margin,
      pError: options.globalPError === undefined ? pError : Math.min(pError, options.globalPError),
      ...(options.precisionTolerance ? { tolerance: options.precisionTolerance } : {}),
      onProgress: progress,
    });
  };
  if (fromData) {
    progress("choosing each table's precision from the calibration data");
    floatOnCalibration = floatScores(model, asList(options.calibration!));
    precision = searchPrecision(module, rounding.bits);
    dump("precision", module);
  }

  // Fusion can change what a table reads: round again wherever a table input is still too wide.
  // With tables, outputs wider than outputRoundingBits are rounded too: their norm comes from
  // table outputs, and decrypting a wide, high-norm accumulator would need far slower
  // parameters. Without tables (linear models) outputs stay exact: fresh encryptions are precise.
  const roundOutputs = outputBits > 0 && hasTables(module);
  const late: PipelineStep[] = [];
  if (rounding.bits > 0 || roundOutputs) {
    late.push(step("rounding", { bits: rounding.bits > 0 ? rounding.bits : 62, method: rounding.method, outputs: roundOutputs, "output-bits": outputBits }));
  }
  late.push(step("bitwidth"), step("canonicalize"));
  run(late);
  const maxKeyBytes = options.maxKeyBytes ?? DEFAULT_MAX_KEY_BYTES;
  if (!(maxKeyBytes > 0)) fail("E0600", `maxKeyBytes must be positive, got ${maxKeyBytes}`);
  let keyBudgetMiss: number | undefined;
  if (options.cryptoParameters ?? true) {
    // The optimizer weighs its cost terms by the time model the latency estimate uses.
    const weights = costWeights(loadTimeModel());
    const cryptoParams = (maxPartitions: number | undefined) =>
      step("crypto-params", {
        "p-error": options.globalPError === undefined ? pError : 0,
        "global-p-error": options.globalPError ?? 0,
        ...(maxPartitions !== undefined ? { "max-partitions": maxPartitions } : {}),
        "max-key-bytes": maxKeyBytes,
        "cost-mac": weights.mac,
        "cost-keyswitch": weights.keyswitch,
        ...(weights.multiBitMac !== undefined ? { "cost-multibit-mac": weights.multiBitMac } : {}),
      });
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    const keyBytes = (m: ModuleOp) => new FheCircuit(m, pError).info().keySizes?.total ?? 0;
    const latency = (m: ModuleOp) => new FheCircuit(m, pError).info().latency?.allCoresMs ?? Infinity;
    // Parameters for `m`. The pass fits partitionings of two or more sets to the budget
    // (fitKeyBudget); the single set is its fallback, not a candidate of that search. Keys still
    // over the budget (nothing fits): the single set too, and the smaller keys win.
    // `cheapestBytes`: the keys of the cheapest partitioning, which the budget may have ruled out.
    const parametrize = (m: ModuleOp): { module: ModuleOp; bytes: number; cheapestBytes: number } => {
      const single = cloneModule(m); // parametrized as one set if the partitions' keys overflow
      const report = run([cryptoParams(options.maxPartitions)], m).reports[0]!.report;
      const bound = Number(report.details?.cheapestKeyBytes ?? 0);
      // Table partitions (an output key is not one: it has no evaluation keys of its own).
      const partitioned = partitionsFromModule(m);
      const tablePartitions = partitioned ? partitioned.partitions.length - (partitioned.outputKey !== undefined ? 1 : 0) : 1;
      const bytes = keyBytes(m);
      const cheapestBytes = Math.max(bound, bytes);
      if (bytes <= maxKeyBytes || tablePartitions <= 1) return { module: m, bytes, cheapestBytes };
      progress(`evaluation keys of ${mib(bytes)} over ${mib(maxKeyBytes)}: trying one parameter set`);
      run([cryptoParams(1)], single);
      const singleBytes = keyBytes(single);
      return singleBytes < bytes ? { module: single, bytes: singleBytes, cheapestBytes } : { module: m, bytes, cheapestBytes };
    };
    let chosen = parametrize(module);
    // The budget ruled out the cheapest keys, with tables chosen from data: the widest tables are
    // what the keys pay for (a 7-bit read needs N = 8192, whose keys alone nearly fill 1 GiB). The
    // search runs again with every table a bit narrower, its tolerance counted from the widest
    // windows allowed; of the candidates that fit, the faster wins. Fitting the wide tables' keys
    // costs speed: one set for the whole circuit runs every lookup at their size (cnn_avg_max 32 s
    // a sample, against 7 s with tables capped at 6 bits), and so do partitions traded for
    // smaller keys (cnn_maxpool_b 41 s, against 13 s).
    // Each bit narrower at most halves a partition's polynomial size, and with it its keys: keys
    // over 2^KEY_BUDGET_CAP_STEPS times the budget are out of reach, and not searched for.
    // The fallback kept (one set, or the smallest partitioning) may be within reach when the
    // cheapest partitioning is not (cnn_avg_max at a 0.3-point tolerance: 8-bit tables, one set of
    // 2.6 GiB): then the search runs for it, or the keys stay over the budget.
    const overflow = chosen.cheapestBytes / maxKeyBytes;
    const reachable = overflow <= 2 ** KEY_BUDGET_CAP_STEPS || (chosen.bytes > maxKeyBytes && chosen.bytes <= 2 ** KEY_BUDGET_CAP_STEPS * maxKeyBytes);
    if (overflow > 1 && reachable && beforePrecision && precision && precision.tables.length > 0) {
      const uncapped = precision;
      const widest = Math.max(...uncapped.tables.map((t) => t.bits));
      // Below a table's floor its calibration loss does not vouch for it (a coarse staircase's
      // misreads cost new rows more than calibration rows): while the keys fit, no cap goes there.
      const widestFloor = Math.max(...uncapped.tables.map((t) => t.floor));
      for (let cap = widest - 1; cap >= Math.max(1, widest - KEY_BUDGET_CAP_STEPS); cap--) {
        if (cap < widestFloor && chosen.bytes <= maxKeyBytes) break;
        progress(`evaluation keys over ${mib(maxKeyBytes)} with ${widest}-bit tables: choosing table precision again, at most ${cap} bits`);
        const m = cloneModule(beforePrecision);
        const capped = searchPrecision(m, cap);
        // Losing at most KEY_BUDGET_CAP_TOLERANCES tolerances more than the uncapped circuit was
        // allowed to (a tree whose exact tables the cap would coarsen keeps them); a narrower cap
        // only loses more, so while the uncapped keys fit, the search stops here.
        const tolerance = uncapped.budget - Math.max(uncapped.baselineLoss, uncapped.referenceLoss);
        const affordable = capped.loss <= uncapped.budget + KEY_BUDGET_CAP_TOLERANCES * tolerance;
        if (!affordable && chosen.bytes <= maxKeyBytes) break;
        run(late, m);
        const candidate = parametrize(m);
        if (candidate.bytes > maxKeyBytes) continue;
        if (chosen.bytes > maxKeyBytes || (affordable && latency(candidate.module) < latency(chosen.module))) {
          chosen = candidate;
          precision = { ...capped, keyBudgetCap: { bits: cap, uncappedLoss: uncapped.loss, uncappedBudget: uncapped.budget } };
        }
        break;
      }
    }
    // A table narrower than its partition's widest read runs the same PBS as that read: give it
    // the partition's precision (finer window cells, the same keys and lookups) when the circuit,
    // parametrized again, is at most WIDENING_LATENCY_SLACK slower and its keys fit no worse (cnn_maxpool: three 5-bit tables
    // in 6-bit partitions).
    const wider = beforePrecision && precision ? widthsAtPartitionPrecision(chosen.module, precision.tables.map((t) => t.bits), rounding.bits) : undefined;
    if (wider && precision) {
      const m = cloneModule(beforePrecision!);
      const tables = applyTableBits(m, asList(options.calibration!), wider, margin, precision.tables.map((t) => t.floor));
      run(late, m);
      const candidate = parametrize(m);
      const before = latency(chosen.module);
      const after = latency(candidate.module);
      const fits = candidate.bytes <= Math.max(maxKeyBytes, chosen.bytes);
      const keep = fits && after <= before * (1 + WIDENING_LATENCY_SLACK);
      progress(`tables at their partitions' precision (${wider.join(",")} bits): ${after.toFixed(0)} ms a sample against ${before.toFixed(0)}, keys ${mib(candidate.bytes)}${keep ? "" : ": kept the narrower tables"}`);
      if (keep) {
        chosen = candidate;
        precision = { ...precision, tables, widenedToPartitions: tables.filter((t, i) => t.bits > precision!.tables[i]!.bits).length };
      }
    }
    module = chosen.module;
    if (chosen.bytes > maxKeyBytes) keyBudgetMiss = chosen.bytes;
  }
  if (options.bounds === "calibration") {
    if (options.calibration === undefined) fail("E0600", 'bounds "calibration" needs a calibration set');
    progress("narrowing bit widths to the calibration ranges");
    narrowToCalibration(module, asList(options.calibration));
    dump("bitwidth-calibration", module);
  }
  const verified = verifyModule(module, defaultRegistry);
  if (verified.hasErrors()) throw new CompileError(verified.diagnostics);
  const circuit = new FheCircuit(module, pError);
  if (precision) {
    if (floatOnCalibration && circuit.parameters) {
      progress("measuring the calibration loss with the chosen parameters' noise");
      const { output, float } = floatOnCalibration;
      precision = { ...precision, withParameters: lossWithParameters(circuit, asList(options.calibration!), float, output) };
      const warning = precisionWarning(precision);
      if (warning) circuit.compileWarnings.push(warning);
    }
    circuit.precision = precision;
  }
  if (keyBudgetMiss !== undefined) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    circuit.compileWarnings.push(
      `warning: no parameter set fits the evaluation-key budget of ${mib(maxKeyBytes)}; the smallest found takes ${mib(keyBudgetMiss)} ` +
        `(tables read up to ${circuit.info().maxTluInputPrecision} bits): narrow the tables (a smaller --rounding-bits, or fewer --n-bits) or raise --max-key-mib`,
    );
  }
  return circuit;
}

/**
 * Input bits for a circuit whose inputs only feed comparisons against constants (decision trees):
 * a comparison reads the input's whole width, so every input bit costs each comparison a bit to
 * remove, and only the side of each threshold an input falls on matters. The fewest bits, from 8
 * down to MIN_COMPARISON_INPUT_BITS, whose exact circuit disagrees with the float model on the
 * calibration set no more often than at the default width (a coarser grid moves the thresholds to
 * its code boundaries: rows between a threshold and its new place change sides), and whose codes
 * stand for each calibration value more closely than the nearest threshold is to it
 * (threshold_ranges.ts: thresholdDistances) wherever the default width does so. Undefined
 * when some input feeds anything else or no narrower width keeps both.
 */
function comparisonInputBits(
  calibrated: ModuleOp,
  steps: readonly PipelineStep[],
  quantizeAt: number,
  run: (list: PipelineStep[], on: ModuleOp) => void,
  model: Uint8Array | string,
  calib: NDArray[],
): number | undefined {
  // Cheap gate before quantizing again: a model without comparisons has none of these inputs.
  if (!calibrated.funcs[0]!.body.ops.some((op) => COMPARISON_OPS.has(op.name))) return undefined;
  const at = (bits: number): ModuleOp => {
    const m = cloneModule(calibrated);
    // Without the comparisons step: lowering them is exact, and the check reads the tables they are.
    run(steps.flatMap((st, i) => (st.pass.name === "comparisons" ? [] : [i === quantizeAt ? withOption(st, "inputs-bits", bits) : st])), m);
    return m;
  };
  const base = at(DEFAULT_N_BITS.inputs);
  if (!feedsOnlyComparisons(base.funcs[0]!)) return undefined;
  const { output, float } = floatScores(model, calib);
  const miss = (m: ModuleOp) => disagreement(new FheCircuit(m, 0).predictClear(calib, { fhe: "disable" })[output]!, float);
  const budget = miss(base);
  // Codes only need to resolve each feature's threshold span (threshold_ranges.ts); kept only
  // when that agrees with the float model as well as the full ranges do at the default width.
  const full = calibrated.funcs[0]!.attributes.get("fhec.input_element_ranges");
  if (narrowRangesToThresholds(calibrated.funcs[0]!, calib) && miss(at(DEFAULT_N_BITS.inputs)) > budget) {
    calibrated.funcs[0]!.attributes.set("fhec.input_element_ranges", full!);
  }
  // Calibration agreement alone let a coarser grid through that moved thresholds past unseen rows
  // (an iris tree at 3 bits: 3 of 50 test rows, petal width 1.6 between thresholds 1.55 and 1.65,
  // changed sides). So the codes must also resolve each feature's thresholds: every calibration
  // value's code stands for a value nearer to it than the nearest threshold is, for every feature
  // where the default width does so. On data measured on a grid (iris's 0.1 cm) codes that land on
  // the grid are exact, and then every value of the grid, seen or not, keeps its side.
  const distances = thresholdDistances(calibrated.funcs[0]!, calib);
  const resolvedFeatures = (m: ModuleOp): boolean[][] => {
    const circuit = new FheCircuit(m, 0);
    return featuresResolved(circuit.inputs, circuit.quantizeInputs(calib), calib, distances);
  };
  const atDefault = resolvedFeatures(base);
  let best: number | undefined;
  for (let bits = DEFAULT_N_BITS.inputs - 1; bits >= MIN_COMPARISON_INPUT_BITS; bits--) {
    const m = at(bits);
    if (miss(m) > budget) break;
    const resolved = resolvedFeatures(m);
    if (atDefault.some((features, i) => features.some((ok, f) => ok && !resolved[i]![f]))) break;
    best = bits;
  }
  return best;
}

const COMPARISON_OPS = new Set(["onnx.Less", "onnx.LessOrEqual", "onnx.Greater", "onnx.GreaterOrEqual"]);

function hasTables(module: ModuleOp): boolean {
  return module.funcs[0]!.body.ops.some((op) => TABLE_OPS.has(op.name));
}

function withOption(s: PipelineStep, key: string, value: number): PipelineStep {
  return { ...s, options: { ...s.options, [key]: value } };
}

/**
 * Tighter widths from the integer ranges the calibration set actually reaches. Sound only for
 * inputs like the calibration data: the simulator reports an overflow otherwise.
 */
function narrowToCalibration(module: ModuleOp, calibration: NDArray[]): void {
  const func = module.funcs[0]!;
  const probe = new FheCircuit(module, 0);
  const ranges = collectRanges(func, probe.quantizeInputs(calibration));
  setCalibrationRanges(func, ranges);
  applyBitwidths(func, { bounds: "calibration" });
}

/**
 * The float model's output that accuracy is judged on, on `calib`: the first float output, so a
 * classifier is judged on its probabilities (every change shows), not on its label.
 */
function floatScores(model: Uint8Array | string, calib: readonly NDArray[]): { output: number; float: NDArray } {
  const func = importOnnx(model, typeof model === "string" ? { file: model } : {}).funcs[0]!;
  const output = Math.max(0, func.resultTypes.findIndex((t) => elementOf(t).kind === "float"));
  return { output, float: runReference(func, calib)[output]! };
}

/**
 * roundingThresholdBits "auto": the smallest width (8 down to 2) whose predictions on the
 * calibration set disagree with the float model at most `tolerance` more often than at 8 bits.
 */
function compileAutoRounding(model: Uint8Array | string, options: CompileOptions): FheCircuit {
  if (options.calibration === undefined) fail("E0600", 'roundingThresholdBits "auto" needs a calibration set to measure accuracy on');
  const tolerance = options.autoRoundingTolerance ?? 0.01;
  const calib = asList(options.calibration);
  const { output, float } = floatScores(model, calib);
  const at = (bits: number) => compile(model, { ...options, roundingThresholdBits: { bits, method: "approximate" } });
  let best = at(DEFAULT_ROUNDING_BITS);
  const budget = disagreement(best.predictClear(calib, { fhe: "disable" })[output]!, float) + tolerance;
  for (let bits = DEFAULT_ROUNDING_BITS - 1; bits >= 2; bits--) {
    options.onProgress?.(`auto rounding: trying ${bits} bits`);
    const c = at(bits);
    if (disagreement(c.predictClear(calib, { fhe: "disable" })[output]!, float) > budget) break;
    best = c;
  }
  return best;
}
