// Per-table precision chosen from calibration data (the default): every table reads its input
// through a window fitted to the calibrated range (passes/windows.ts), and its width q is lowered
// while the circuit's agreement with the float model on the calibration set stays within a
// tolerance. Uniform descent first (every table one bit less at a time), then table by table,
// the tables with the most lookups first.
import { type DenseAttr, denseAttr } from "../ir/attributes.js";
import { cloneModule, type FuncOp, type ModuleOp, type Operation } from "../ir/core.js";
import { formatLocation } from "../ir/diagnostics.js";
import type { NDArray } from "../ir/tensor.js";
import { elementOf, type EncryptedIntType, f64, shapeOf, tensor } from "../ir/types.js";
import { kappa } from "../crypto-model/index.js";
import { READ_STD_ATTR } from "../passes/params/read_noise.js";
import { collectElementRanges } from "../backends/clear/index.js";
import { applyBitwidths } from "../passes/bitwidth.js";
import { applyWindows, type ElementRanges, siteBits, windowSites, type WindowReport } from "../passes/windows.js";
import { argmaxDisagreement, valueSpan } from "./output_agreement.js";
import { FheCircuit } from "./circuit.js";
import type { PrecisionReport, TablePrecision } from "./precision_report.js";

export interface PrecisionOptions {
  /** Widest table (bits); also the starting point of the descent. */
  readonly maxBits: number;
  /** Accepted loss: classification, fraction of calibration samples whose argmax changes; regression, mean |error| / output range. */
  readonly tolerance?: { readonly classification: number; readonly regression: number };
  /** Each window covers the calibrated range widened by this fraction of it on each side. */
  readonly margin: number;
  /** The per-read error bound the parameters will be chosen for (sets the noise the search assumes). */
  readonly pError: number;
  /** Which model output the loss reads (default 0; compile picks the first float output, e.g. a classifier's probabilities rather than its label). */
  readonly output?: number;
  readonly onProgress?: (message: string) => void;
}

export const DEFAULT_TOLERANCE = { classification: 0.005, regression: 0.01 } as const;

/**
 * The descent never takes a table below this width. Below it, a table's rounding error is of the
 * order of typical class margins, and agreement on calibration data understates what it costs on
 * unseen samples: calibration sets are usually training rows, which the model separates with wide
 * margins. Measured on seven digits MLPs (test splits of 100–400 rows): every 3-bit choice kept
 * calibration agreement within the tolerance yet lost 0.9–2.4 points of test accuracy; at 4 bits
 * the loss stayed within 0.9 point, for 5–15% more latency. Two-valued tables (steps: a tree's
 * comparisons and leaves) are exempt: their error is a shifted threshold, not a coarser curve, and
 * the comparison lowering reads them with 1–2 bits anyway.
 */
export const MIN_DESCENT_BITS = 4;

/** The narrowest width the descent may give a site's table (see MIN_DESCENT_BITS). */
function descentFloor(site: { table: Operation }, maxBits: number): number {
  const op = site.table;
  const entries = (op.attr(op.name === "fhe.apply_mapped_lookup_table" ? "tables" : "table") as DenseAttr).data;
  return new Set(entries).size <= 2 ? 1 : Math.min(MIN_DESCENT_BITS, maxBits);
}

/** Noisy simulations averaged per candidate width. */
const NOISY_RUNS = 3;

/** `fhec.read_std` on every approximate read: `stepStd` steps of its q-bit result. */
function markWorstCaseNoise(func: FuncOp, stepStd: number): void {
  for (const op of func.body.ops) {
    const approximate = op.name === "fhe.rescale" || (op.name === "fhe.round" && (op.attr("method") as { value: string }).value === "approximate");
    if (!approximate) continue;
    const q = (elementOf(op.result.type) as EncryptedIntType).width;
    const n = (shapeOf(op.result.type) as number[]).reduce((a, d) => a * d, 1);
    op.attributes.set(READ_STD_ATTR, denseAttr(tensor([n], f64), new Float64Array(n).fill(stepStd * 2 ** -(q + 1))));
  }
}

export type { PrecisionReport, TablePrecision };

/**
 * Loss of outputs `a` against the float outputs `f`: argmax disagreement for vectors
 * (classifiers), mean |error| / output range for scalars. (A smooth estimate of disagreement from
 * the float margins and the RMS error was tried: on the bundled fixtures it kept one or two bits
 * more than the test sets needed.)
 */
export function lossAgainstFloat(a: NDArray, f: NDArray): { loss: number; classification: boolean } {
  const n = a.shape[0] ?? 1;
  const per = a.data.length / n;
  if (per > 1) return { loss: argmaxDisagreement(a.data, f.data, n), classification: true };
  let sum = 0;
  for (let s = 0; s < n; s++) sum += Math.abs(a.data[s]! - f.data[s]!);
  return { loss: sum / n / valueSpan(f.data), classification: false };
}

/**
 * Chooses and applies the windows in place. `module` is the quantized, fused circuit whose tables
 * read finely rounded (or unrounded) accumulators; `float` is the float model's output number
 * `opts.output` (default 0) on `calibration`.
 */
export function choosePrecision(module: ModuleOp, calibration: readonly NDArray[], float: NDArray, opts: PrecisionOptions): PrecisionReport {
  const func = module.funcs[0]!;
  const output = opts.output ?? 0;
  applyBitwidths(func);
  const sites = windowSites(func);
  const codes = new FheCircuit(module, 0).quantizeInputs(calibration);
  const ranges = collectElementRanges(func, codes);
  const rangesPerSite: (ElementRanges | undefined)[] = sites.map((s) => ranges.get(s.source));
  // Candidates are judged as FHE will run them: every approximate read drawn with noise of half
  // a step / κ at the circuit's p_error (the parameter search allows up to twice that, one step
  // / κ, but the reads that do not set a partition's parameters get less), over a few seeds, so
  // that the widths chosen keep accuracy in FHE and not only in the exact circuit.
  const stepStd = 0.5 / kappa(opts.pError);
  const evaluate = (bits: readonly number[]): number => {
    const clone = cloneModule(module);
    const cf = clone.funcs[0]!;
    applyWindows(cf, bits, rangesPerSite, opts.margin);
    markWorstCaseNoise(cf, stepStd);
    const c = new FheCircuit(clone, 0);
    let loss = 0;
    for (let seed = 1; seed <= NOISY_RUNS; seed++) loss += lossAgainstFloat(c.predictClear(calibration, { fhe: "simulate", seed })[output]!, float).loss;
    return loss / NOISY_RUNS;
  };
  const base = lossAgainstFloat(new FheCircuit(module, 0).predictClear(calibration, { fhe: "disable" })[output]!, float);
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  const budget = base.loss + (base.classification ? tolerance.classification : tolerance.regression) + 1e-12;

  let best = sites.map(() => opts.maxBits);
  let bestLoss = evaluate(best);
  const floors = sites.map((s) => descentFloor(s, opts.maxBits));
  for (let b = opts.maxBits - 1; b >= 1 && floors.some((f) => b >= f); b--) {
    opts.onProgress?.(`precision from data: every table at ${b} bits`);
    const cand = sites.map((_, i) => Math.max(b, floors[i]!));
    const loss = evaluate(cand);
    if (loss > budget) break;
    best = cand;
    bestLoss = loss;
  }
  // Table by table, the most lookups first.
  const elements = sites.map((s) => shapeOf(s.table.result.type).reduce<number>((a, d) => a * (d ?? 1), 1));
  const order = sites.map((_, i) => i).sort((x, y) => elements[y]! - elements[x]!);
  for (const i of order) {
    while (best[i]! > floors[i]!) {
      const cand = [...best];
      cand[i] = best[i]! - 1;
      opts.onProgress?.(`precision from data: table ${i + 1}/${sites.length} at ${cand[i]} bits`);
      const loss = evaluate(cand);
      if (loss > budget) break;
      best = cand;
      bestLoss = loss;
    }
  }
  const reports: WindowReport[] = applyWindows(func, best, rangesPerSite, opts.margin);
  const byTable = new Map(reports.map((r) => [r.table, r]));
  const tables = windowSites(func).map((s, i): TablePrecision => {
    const r = byTable.get(s.table);
    return {
      op: s.table.name,
      location: formatLocation(s.table.loc),
      bits: siteBits(s),
      previousBits: r?.previousBits ?? siteBits(s),
      elements: elements[i]!,
    };
  });
  return { tables, loss: bestLoss, baselineLoss: base.loss, metric: base.classification ? "argmax disagreement" : "mean |error| / range" };
}

/** One line for the compile summary: the widths chosen per table and what they cost on the calibration set. */
export function precisionSummary(r: PrecisionReport): string {
  if (r.tables.length === 0) return "table precision from data: no tables";
  const bits = r.tables.map((t) => `${t.bits}`).join(", ");
  return `table precision from calibration data: ${bits} bit(s) per table (${r.metric} vs float on the calibration set: ${r.loss.toFixed(4)}, ${r.baselineLoss.toFixed(4)} without windows)`;
}
