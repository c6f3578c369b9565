// The parameter search space and the decompositions worth trying in it, shared by the single-set
// optimizer (optimizer.ts), the partition search (partitions.ts) and the output key
// (output_key.ts).
import { blindRotationVariancePerKeyBit, type CostWeights, keyswitchVariancePerCoefficient } from "../../crypto-model/index.js";
import { bootstrapKeyBytes, keyswitchKeyBytes, minNoiseStd } from "../../crypto-model/index.js";

export const SEARCH_SPACE = Object.freeze({
  glweDimensions: [1, 2, 3, 4, 5, 6],
  logPolynomialSizes: [8, 9, 10, 11, 12, 13, 14, 15, 16, 17],
  minLweDimension: 450,
  maxLweDimension: 2047,
  /** β·ℓ ≤ 64 for every decomposition. */
  maxDecompositionBits: 64,
  /** The runtime's f64 FFT takes PBS digits of at most 52 bits (runtime/native params.cpp). */
  maxPbsBaseLog: 52,
  /** The runtime's largest big LWE dimension kN (runtime/native params.cpp). */
  maxBigDimension: 262144,
});

export interface Level {
  readonly level: number;
  readonly baseLog: number;
  readonly variance: number;
}

/** A parameter set as the searches see it: GLWE shape, small key, grouping factor, decompositions. */
export interface SearchSet {
  readonly k: number;
  readonly N: number;
  readonly n: number;
  readonly g: number;
  readonly pbs: Level;
  readonly ks: Level;
}

/** Bytes of a set's own evaluation keys as the server holds them (bootstrapping and keyswitching keys). */
export function ownKeyBytes(s: SearchSet): number {
  return bootstrapKeyBytes({ lweDimension: s.n, glweDimension: s.k, polynomialSize: s.N, pbsLevel: s.pbs.level, pbsGroupingFactor: s.g }) +
    keyswitchKeyBytes(s.k * s.N, s.n, s.ks.baseLog, s.ks.level, minNoiseStd(s.n));
}

/**
 * For each level ℓ the base β (β·ℓ ≤ 64, β ≤ maxBaseLog) of least variance, keeping only the
 * levels whose variance beats every smaller level's (a higher level costs more).
 */
function nonDominatedLevels(maxBaseLog: number, variance: (baseLog: number, level: number) => number): Level[] {
  const out: Level[] = [];
  let bestSoFar = Infinity;
  for (let level = 1; level <= SEARCH_SPACE.maxDecompositionBits; level++) {
    let best: Level | undefined;
    for (let baseLog = 1; baseLog * level <= SEARCH_SPACE.maxDecompositionBits && baseLog <= maxBaseLog; baseLog++) {
      const v = variance(baseLog, level);
      if (!best || v < best.variance) best = { level, baseLog, variance: v };
    }
    if (best && best.variance < bestSoFar) {
      out.push(best);
      bestSoFar = best.variance;
    }
  }
  return out;
}

const pbsLevelsCache = new Map<string, Level[]>();

/**
 * Non-dominated PBS levels for (k, N) and grouping factor g: best β per ℓ, strictly decreasing
 * σ²_BR per small-key bit (σ²_EP for the classic PBS), so that σ²_BR = n·variance.
 */
export function pbsLevels(k: number, N: number, groupingFactor = 1): Level[] {
  const key = `${k}:${N}:${groupingFactor}`;
  let out = pbsLevelsCache.get(key);
  if (!out) {
    const std = minNoiseStd(k * N);
    out = nonDominatedLevels(SEARCH_SPACE.maxPbsBaseLog, (b, l) => blindRotationVariancePerKeyBit(k, N, b, l, std, groupingFactor));
    pbsLevelsCache.set(key, out);
  }
  return out;
}

/**
 * The PBS grouping factors a search tries at GLWE dimension k under these cost weights:
 * multi-bit (g = 2, 3) only when the weights price its key products from measurement (a time
 * model's `multiBitMac`, fitted on k = 1 shapes), and only at k = 1. Operation counts cannot tell
 * whether streaming (2^g − 1)/g times more key pays for the fewer transforms; at k = 2 (N = 1024)
 * the multi-bit PBS measured 1.2 times the classic one where one coefficient fitted on k = 1
 * predicts 0.98. g = 4 is left out: its key is 3.75 times the classic one and it measured 1.4–1.9
 * times slower than classic on one thread (runtime/README.md).
 */
export function groupingFactors(weights: CostWeights, k: number): readonly number[] {
  return weights.multiBitMac === undefined || k !== 1 ? [1] : [1, 2, 3];
}

/** The smallest multiple of g at or above `n`. */
export function firstMultiple(n: number, g: number): number {
  return Math.ceil(n / g) * g;
}

const ksLevelsCache = new Map<number, Level[]>();

/** Non-dominated keyswitch levels at small dimension n: best β per ℓ, per-coefficient variance. */
export function ksLevels(n: number): Level[] {
  let out = ksLevelsCache.get(n);
  if (!out) {
    const std = minNoiseStd(n);
    out = nonDominatedLevels(SEARCH_SPACE.maxDecompositionBits, (b, l) => keyswitchVariancePerCoefficient(b, l, std));
    ksLevelsCache.set(n, out);
  }
  return out;
}

export function allPairs(): [number, number][] {
  const out: [number, number][] = [];
  for (const k of SEARCH_SPACE.glweDimensions) {
    for (const logN of SEARCH_SPACE.logPolynomialSizes) if (k * 2 ** logN <= SEARCH_SPACE.maxBigDimension) out.push([k, 2 ** logN]);
  }
  return out;
}

/**
 * The widest keyswitch budget (a variance) `reads` leave at one n: each read's safe variance minus
 * its fresh-encryption term and the modulus switch, under a noiseless bootstrap. A PBS level's
 * noise only shrinks it, so at an n where no keyswitch level fits this budget, no PBS level passes
 * (both parameter searches skip such an n before trying any PBS level there).
 */
export function noiselessBootstrapBudget(reads: readonly { readonly safe: number; readonly f: number }[], freshVariance: number, modulusSwitch: number): number {
  let budget = Infinity;
  for (const r of reads) budget = Math.min(budget, r.safe - r.f * freshVariance - modulusSwitch);
  return budget;
}
