// How many approximate-rounding reads the noise model lets go "the other way", as an interval at a
// stated confidence. A read of removed fraction f (in steps) goes up with probability
// Φ((f − 1/2 + δ + s)/σ) (docs/tfhe.md, "What simulate models"): σ the per-element noise, δ the
// PBS's rotation offset and s the offset every read through one keyswitching key shares in a key
// set (s ~ N(0, σ_shared²), drawn once). Given s the reads are independent, so the count is
// Poisson-binomial; the interval is the union of its central intervals over the shared offsets
// within ±z·σ_shared, so it holds with probability at least 1 − α − P(|s| > z·σ_shared).
import { erfc } from "../../crypto-model/index.js";

export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** One read: its removed fraction f ∈ [0, 1) and independent noise σ, both in steps of the read. */
export interface RoundingRead {
  readonly fraction: number;
  readonly sigma: number;
}

/** The shared part of the reads' noise and the PBS rotation offset, in steps. */
export interface SharedNoise {
  readonly offset: number;
  readonly sharedSigma: number;
}

/** Probability that a read's result differs from round-half-up (up below the tie, down from it). */
export function flipProbability(r: RoundingRead, shift: number): number {
  const up = normalCdf((r.fraction - 0.5 + shift) / r.sigma);
  return r.fraction >= 0.5 ? 1 - up : up;
}

/** Distribution of the number of successes of independent trials with probabilities ps. */
export function poissonBinomial(ps: readonly number[]): Float64Array {
  let pmf = new Float64Array([1]);
  for (const p of ps) {
    const next = new Float64Array(pmf.length + 1);
    for (let k = 0; k < pmf.length; k++) {
      next[k]! += pmf[k]! * (1 - p);
      next[k + 1]! += pmf[k]! * p;
    }
    pmf = next;
  }
  return pmf;
}

/** The smallest [lo, hi] with P(X < lo) ≤ α/2 and P(X > hi) ≤ α/2. */
export function centralInterval(pmf: Float64Array, alpha: number): [number, number] {
  let lo = 0;
  for (let below = 0; lo < pmf.length && below + pmf[lo]! <= alpha / 2; lo++) below += pmf[lo]!;
  let hi = pmf.length - 1;
  for (let above = 0; hi > 0 && above + pmf[hi]! <= alpha / 2; hi--) above += pmf[hi]!;
  return [lo, hi];
}

/**
 * Interval for the number of reads whose result differs from round-half-up: α is the two-sided
 * miss probability given the shared offset, z the range of shared offsets covered (in σ_shared).
 */
export function flipCountInterval(reads: readonly RoundingRead[], noise: SharedNoise, alpha: number, z: number): { lo: number; hi: number; mean: number } {
  const grid = noise.sharedSigma > 0 ? 64 : 0;
  let lo = Infinity;
  let hi = -Infinity;
  let mean = 0;
  for (let g = 0; g <= grid; g++) {
    const s = grid === 0 ? 0 : (2 * g / grid - 1) * z * noise.sharedSigma;
    const ps = reads.map((r) => flipProbability(r, noise.offset + s));
    const [l, h] = centralInterval(poissonBinomial(ps), alpha);
    lo = Math.min(lo, l);
    hi = Math.max(hi, h);
    if (g === grid / 2) mean = ps.reduce((a, b) => a + b, 0);
  }
  return { lo, hi, mean };
}
