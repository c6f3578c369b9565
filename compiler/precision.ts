// Per-table precision chosen from calibration data (the default): every table reads its input
// through a window fitted to the calibrated range (passes/windows.ts), and its width q is lowered
// while the circuit's agreement with the float model on the calibration set stays within a
// tolerance. Uniform descent first (every table one bit less at a time), then table by table,
// the tables with the most lookups first.
import { type DenseAttr, denseAttr } from "../ir/attributes.js";
import { cloneModule, type FuncOp, type ModuleOp } from "../ir/core.js";
import { formatLocation } from "../ir/diagnostics.js";
import type { NDArray } from "../ir/tensor.js";
import { elementOf, type EncryptedIntType, f64, shapeOf, tensor } from "../ir/types.js";
import { kappa } from "../crypto-model/index.js";
import { READ_STD_ATTR } from "../passes/params/read_noise.js";
import { approximateReadStepStd } from "../passes/params/norms.js";
import { collectElementRanges } from "../backends/clear/index.js";
import { applyBitwidths } from "../passes/bitwidth.js";
import { applyWindows, type ElementRanges, siteBits, stepsInRange, type WindowReport, type WindowSite, windowSites } from "../passes/windows.js";
import { classProbabilities, expectedAccuracyLosses, valueSpan } from "./output_agreement.js";
import { FheCircuit } from "./circuit.js";
import type { PrecisionReport, TablePrecision } from "./precision_report.js";

export interface PrecisionOptions {
  /** Widest table (bits); also the starting point of the descent. */
  readonly maxBits: number;
  /** Accepted loss: classification, expected accuracy (fraction of calibration samples, by the float model's probabilities); regression, mean |error| / output range. */
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
 * calibration agreement within the tolerance yet lost 0.9–2.4 points of test accuracy. A floor of
 * 4 bits still let 4-bit first layers through that lost 1.0–1.2 points on 100-row test splits
 * (mlp_digits_wide, cnn_maxpool_b, cnn_avg_max); at 5 bits they lose 0.0–0.4 (mean of five
 * seeds), and on the 600-row held-out models the mean loss went from 0.21 to 0.11 point, for
 * 5–35% more latency on some models and less on others (cnn_avgpool_b 2.3 s instead of 5.7 s: a
 * search that starts its per-table descent from 5 bits lands elsewhere). Since the modulus switch
 * is centred, a 6-bit window reads at N = 2048 like a 5-bit one, and the floor is 6 bits: over
 * twenty seeds on the bundled and held-out models with tables, the losses against float above
 * 0.5 point fell (cnn_maxpool_b 0.95 → 0.25, mlp_breast_cancer 0.9 → 0.55, cnn_avgpool 0.7 →
 * 0.15, heldout_cnn_maxpool 0.56 → 0.17, heldout_mlp_deep 0.77 → 0.46) and cnn_maxpool's from 1.4
 * to 1.15, none rose above 0.5, and no estimate passed its latency target (docs/tfhe.md).
 * Two-valued tables (steps: a tree's comparisons and leaves) are exempt: their error is a shifted
 * threshold, not a coarser curve, and the comparison lowering reads them with 1–2 bits anyway.
 */
export const MIN_DESCENT_BITS = 6;

/**
 * Coarse staircases: tables whose output takes at most this many steps across the calibrated
 * range (requantizations to codes of 4 bits or less, as in QDQ models with low-bit activations).
 */
export const COARSE_STAIRCASE_STEPS = 15;
/** Window cells a coarse staircase's steps each get at least (over the calibrated range). */
export const CELLS_PER_STEP = 4;

/**
 * The narrowest width the descent may give a site's table (see MIN_DESCENT_BITS). A coarse
 * staircase read through a window rounds twice: an input within a cell of a threshold may read
 * the neighbouring code, and that misread costs a whole output step (a fifteenth of a 4-bit
 * code's range), where a smooth table's costs at most half a cell's slope. So its window gives
 * each step CELLS_PER_STEP cells. Measured on the QDQ MLPs (4-bit hidden codes, 15 steps across the
 * calibrated range): at 5 bits (about one cell per step) the exact circuit disagreed with the float
 * model on 17 of heldout_qdq_mlp's 600 test rows, at 6 bits on 8; qdq_mlp_digits lost 2.6 points
 * of its 100 test rows at 5,5 bits and 0.4–0.7 at 6,6 — while the calibration loss at 5 bits (0.004)
 * was within the search's budget: calibration rows sit further from the thresholds' decisions.
 * The reads' noise flips a value into the neighbouring cell near a cell's edge, and with two cells
 * per step about every other edge is a step; with four, one in four: qdq_mlp_digits (15 steps,
 * 7 bits instead of 6) lost 0.8 point over twenty seeds instead of 1.1 (its exact circuit, at any
 * width from 6 to 8 bits, misses one of its 100 rows).
 */
function descentFloor(site: WindowSite, range: ElementRanges | undefined, maxBits: number, margin: number): number {
  const op = site.table;
  const entries = (op.attr(op.name === "fhe.apply_mapped_lookup_table" ? "tables" : "table") as DenseAttr).data;
  if (new Set(entries).size <= 2) return 1;
  const steps = range ? stepsInRange(site, range) : 0;
  // The window spans the calibrated range widened by `margin` on each side.
  const staircase = steps >= 2 && steps <= COARSE_STAIRCASE_STEPS ? Math.ceil(Math.log2(CELLS_PER_STEP * steps * (1 + 2 * margin))) : 0;
  return Math.min(Math.max(MIN_DESCENT_BITS, staircase), maxBits);
}

/**
 * Noisy simulations per candidate: a first block of seeds, then more blocks while the mean loss is
 * within two seed-to-seed standard errors of the budget, so that a candidate is not accepted or
 * refused by the luck of a few draws.
 */
const NOISY_BLOCK = 3;
const MAX_NOISY_RUNS = 12;
/** The first seed of the check of the search's choice, past every seed the search used. */
const VERIFY_FIRST_SEED = MAX_NOISY_RUNS + 1;

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

/** The noise standard deviation (in steps of the value read) the search draws on every approximate read: the parameters' bound. */
export function searchReadStepStd(pError: number): number {
  return approximateReadStepStd(kappa(pError));
}

const mean = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / Math.max(1, v.length);
};

/** Standard error of the mean of `v`'s entries (seed-to-seed). */
function spreadOfMean(v: readonly number[]): number {
  const m = mean(v);
  const variance = v.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, v.length - 1);
  return Math.sqrt(variance / v.length);
}

/**
 * Loss of outputs `a` against the float outputs `f`. Classifiers (vector outputs): the accuracy
 * the float model expects to lose by `a`'s picks (expectedAccuracyLosses, from the float model's own
 * class probabilities), so that flips between nearly tied classes, which are right about as often
 * as wrong, do not count as whole errors. (Counting every flip as an error made the search keep
 * 7-bit tables in CNNs whose 5-bit versions lost no test accuracy; a smooth estimate from the
 * float margins and the RMS error was tried too and kept one or two bits more than needed.)
 * Regressors (scalars): mean |error| / output range.
 */
export function lossAgainstFloat(a: NDArray, f: NDArray, floatProbabilities?: Float64Array): { loss: number; classification: boolean } {
  const n = a.shape[0] ?? 1;
  return { loss: mean(rowLosses(a, f, floatProbabilities)), classification: a.data.length / n > 1 };
}

/** lossAgainstFloat per sample (row). */
export function rowLosses(a: NDArray, f: NDArray, floatProbabilities?: Float64Array): Float64Array {
  const n = a.shape[0] ?? 1;
  const per = a.data.length / n;
  if (per > 1) return expectedAccuracyLosses(a.data, floatProbabilities ?? classProbabilities(f.data, n), n);
  const span = valueSpan(f.data);
  return Float64Array.from({ length: n }, (_, s) => Math.abs(a.data[s]! - f.data[s]!) / span);
}

/**
 * The check of the search's choice on fresh seeds: from the last accepted candidate backwards,
 * the first whose loss on fresh seeds (`fresh`) is within the budget is kept. The first entry,
 * the widest windows the budget was counted from, is never checked away.
 */
export function stepBackOnFreshSeeds(
  accepted: readonly { readonly bits: number[]; readonly loss: number }[],
  budget: number,
  fresh: (bits: readonly number[]) => number,
  onProgress?: (message: string) => void,
): { bits: number[]; loss: number; check: PrecisionReport["check"] } {
  let kept = accepted.at(-1)!;
  let check: PrecisionReport["check"];
  for (let k = accepted.length - 1; k > 0; k--) {
    const loss = fresh(accepted[k]!.bits);
    onProgress?.(`precision from data: ${accepted[k]!.bits.join(",")} bits on fresh seeds: loss ${loss.toFixed(4)} (budget ${budget.toFixed(4)})`);
    check = { loss, stepsBack: accepted.length - 1 - k };
    if (loss <= budget) break;
    kept = accepted[k - 1]!;
    check = { loss: undefined, stepsBack: accepted.length - k };
  }
  return { bits: kept.bits, loss: kept.loss, check };
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
  // Candidates are judged as FHE will run them: every approximate read drawn with the largest
  // noise the parameters allow it (one step / κ at the circuit's p_error), over a few seeds, so
  // that the widths chosen keep accuracy in FHE and not only in the exact circuit. The optimizer
  // spends that noise on nearly every read; assuming half of it, as this search once did, let
  // the compiled circuits lose up to twice the tolerance on the calibration set (cnn_maxpool:
  // 0.0083 against a budget of 0.005) and 2–3 points on test splits.
  const stepStd = searchReadStepStd(opts.pError);
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  const samples = calibration[0]?.shape[0] ?? 1;
  const probabilities = float.data.length > samples ? classProbabilities(float.data, samples) : undefined;
  const base = lossAgainstFloat(new FheCircuit(module, 0).predictClear(calibration, { fhe: "disable" })[output]!, float, probabilities);
  // Mean loss over noisy runs: a first block of seeds, then more blocks while the mean is within
  // two of its seed-to-seed standard errors of the budget.
  const evaluate = (bits: readonly number[], budget: number, minRuns = NOISY_BLOCK, firstSeed = 1): number => {
    const clone = cloneModule(module);
    const cf = clone.funcs[0]!;
    applyWindows(cf, bits, rangesPerSite, opts.margin);
    markWorstCaseNoise(cf, stepStd);
    const c = new FheCircuit(clone, 0);
    const losses: number[] = [];
    for (let run = 1; run <= MAX_NOISY_RUNS; run++) {
      losses.push(lossAgainstFloat(c.predictClear(calibration, { fhe: "simulate", seed: firstSeed + run - 1 })[output]!, float, probabilities).loss);
      if (run < minRuns || run % NOISY_BLOCK !== 0) continue;
      if (Math.abs(mean(losses) - budget) > 2 * spreadOfMean(losses)) break;
    }
    return mean(losses);
  };
  // The tolerance counts from the worse of the exact circuit and the widest windows under FHE
  // noise: when noise alone already costs more than the tolerance there (fragile calibration rows
  // that flip under any draw), the widths are still lowered as far as that circuit's own loss
  // allows, rather than not at all.
  const referenceLoss = evaluate(sites.map(() => opts.maxBits), Infinity, MAX_NOISY_RUNS);
  const budget = Math.max(base.loss, referenceLoss) + (base.classification ? tolerance.classification : tolerance.regression) + 1e-12;
  let best = sites.map(() => opts.maxBits);
  opts.onProgress?.(`precision from data: exact circuit loss ${base.loss.toFixed(4)}, widest windows under noise ${referenceLoss.toFixed(4)}`);
  // Every accepted candidate, in order, for the back-off below.
  const accepted: { bits: number[]; loss: number }[] = [{ bits: best, loss: referenceLoss }];
  const accept = (label: string, cand: number[]): boolean => {
    const loss = evaluate(cand, budget);
    opts.onProgress?.(`precision from data: ${label}: loss ${loss.toFixed(4)} (budget ${budget.toFixed(4)})`);
    if (loss > budget) return false;
    best = cand;
    accepted.push({ bits: cand, loss });
    return true;
  };
  const floors = sites.map((s, i) => descentFloor(s, rangesPerSite[i], opts.maxBits, opts.margin));
  for (let b = opts.maxBits - 1; b >= 1 && floors.some((f) => b >= f); b--) {
    if (!accept(`every table at ${b} bits`, sites.map((_, i) => Math.max(b, floors[i]!)))) break;
  }
  // Table by table, the most lookups first.
  const elements = sites.map((s) => shapeOf(s.table.result.type).reduce<number>((a, d) => a * (d ?? 1), 1));
  const order = sites.map((_, i) => i).sort((x, y) => elements[y]! - elements[x]!);
  for (const i of order) {
    while (best[i]! > floors[i]!) {
      const cand = [...best];
      cand[i] = best[i]! - 1;
      if (!accept(`table ${i + 1}/${sites.length} at ${cand[i]} bits`, cand)) break;
    }
  }
  // The descent judges every candidate on the same seeds and keeps the first whose mean fits the
  // budget, so the last ones accepted are biased towards seeds that happened to be kind (the
  // qdq_mlp_digits fixture's 4,5 bits, under a 4-bit floor, fit the budget on the search's seeds,
  // not on fresh ones). The choice is checked on fresh seeds; while it is over the budget there,
  // the search steps back through what it accepted (the widest windows, where the budget was
  // counted from, are never checked away).
  const kept = stepBackOnFreshSeeds(accepted, budget, (bits) => evaluate(bits, budget, NOISY_BLOCK, VERIFY_FIRST_SEED), opts.onProgress);
  const check = kept.check;
  const tables = applyAndReport(func, kept.bits, rangesPerSite, opts.margin, floors);
  return { tables, loss: kept.loss, referenceLoss, baselineLoss: base.loss, budget, ...(check ? { check } : {}), metric: base.classification ? "expected accuracy loss" : "mean |error| / range" };
}

/** Applies windows of `bits` (per window site, in op order) to `func` and reports each table. */
function applyAndReport(func: FuncOp, bits: readonly number[], rangesPerSite: readonly (ElementRanges | undefined)[], margin: number, floors: readonly number[]): TablePrecision[] {
  const sites = windowSites(func);
  const elements = sites.map((s) => shapeOf(s.table.result.type).reduce<number>((a, d) => a * (d ?? 1), 1));
  const reports: WindowReport[] = applyWindows(func, bits, rangesPerSite, margin);
  const byTable = new Map(reports.map((r) => [r.table, r]));
  return windowSites(func).map((s, i): TablePrecision => {
    const r = byTable.get(s.table);
    return {
      op: s.table.name,
      location: formatLocation(s.table.loc),
      bits: siteBits(s),
      previousBits: r?.previousBits ?? siteBits(s),
      floor: floors[i]!,
      elements: elements[i]!,
    };
  });
}

/**
 * Applies given widths to `module` (the circuit as choosePrecision found it), windows fitted to
 * the same calibration ranges: the search's choice with some tables set wider afterwards. Returns
 * the report's tables for them (`floors` carried over from the search's report).
 */
export function applyTableBits(module: ModuleOp, calibration: readonly NDArray[], bits: readonly number[], margin: number, floors: readonly number[]): TablePrecision[] {
  const func = module.funcs[0]!;
  applyBitwidths(func);
  const ranges = collectElementRanges(func, new FheCircuit(module, 0).quantizeInputs(calibration));
  return applyAndReport(func, bits, windowSites(func).map((s) => ranges.get(s.source)), margin, floors);
}

/**
 * The search's loss measured on the compiled circuit, whose reads `simulate` draws with the noise
 * of the parameters actually chosen (the search could only assume one), over NOISY_BLOCK seeds.
 */
export function lossWithParameters(circuit: FheCircuit, calibration: readonly NDArray[], float: NDArray, output = 0): { loss: number; standardError: number } {
  const samples = calibration[0]?.shape[0] ?? 1;
  const probabilities = float.data.length > samples ? classProbabilities(float.data, samples) : undefined;
  const losses: number[] = [];
  for (let seed = 1; seed <= NOISY_BLOCK; seed++) {
    losses.push(lossAgainstFloat(circuit.predictClear(calibration, { fhe: "simulate", seed })[output]!, float, probabilities).loss);
  }
  return { loss: mean(losses), standardError: spreadOfMean(losses) };
}

/**
 * A warning when the compiled circuit, under its parameters' own noise, loses clearly more on the
 * calibration set than the search's budget (by more than two seed-to-seed standard errors).
 */
export function precisionWarning(r: PrecisionReport): string | undefined {
  const cap = r.keyBudgetCap;
  if (cap && r.loss > cap.uncappedBudget) {
    return (
      `warning: tables capped at ${cap.bits} bits so that the evaluation keys fit their budget; the circuit's ${r.metric} on the calibration set is ` +
      `${r.loss.toFixed(4)}, over the ${cap.uncappedBudget.toFixed(4)} wider tables would keep: raise --max-key-mib to keep them`
    );
  }
  const w = r.withParameters;
  if (!w || w.loss <= r.budget + 2 * w.standardError) return undefined;
  return (
    `warning: with the chosen parameters' noise the circuit's ${r.metric} on the calibration set is ${w.loss.toFixed(4)}, ` +
    `over the precision search's budget of ${r.budget.toFixed(4)}: a smaller --tolerance keeps wider tables`
  );
}

/** One line for the compile summary: the widths chosen per table and what they cost on the calibration set. */
export function precisionSummary(r: PrecisionReport): string {
  if (r.tables.length === 0) return "table precision from data: no tables";
  const bits = r.tables.map((t) => `${t.bits}`).join(", ");
  const back = r.check && r.check.stepsBack > 0 ? `; ${r.check.stepsBack} step(s) back after a check on fresh seeds` : "";
  const actual = r.withParameters ? `, ${r.withParameters.loss.toFixed(4)} with the chosen parameters' noise` : "";
  const widened = r.widenedToPartitions ? `; ${r.widenedToPartitions} table(s) widened to their partition's precision` : "";
  const cap = r.keyBudgetCap ? `; tables capped at ${r.keyBudgetCap.bits} bits so the evaluation keys fit their budget (uncapped: loss ${r.keyBudgetCap.uncappedLoss.toFixed(4)}, budget ${r.keyBudgetCap.uncappedBudget.toFixed(4)})` : "";
  return `table precision from calibration data: ${bits} bit(s) per table (${r.metric} vs float on the calibration set under the search's noise: ${r.loss.toFixed(4)}${actual}; ${r.referenceLoss.toFixed(4)} at the widest windows; ${r.baselineLoss.toFixed(4)} exact without windows; budget ${r.budget.toFixed(4)}${back}${widened}${cap})`;
}
