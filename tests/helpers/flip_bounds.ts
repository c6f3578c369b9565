// How many approximate-rounding reads the noise model lets go "the other way", as an interval at a
// stated confidence. A read of removed fraction f (in steps) goes up with probability
// Φ((f − 1/2 + δ)/σ) (docs/tfhe.md, "What simulate models"): σ the read's noise, δ the PBS's
// rotation offset. One part of σ is fixed per key set, so the reads of one run are not quite
// independent: the modulus switch's error Σ s_i·r_i has variance h/12 (units of 1/2N) for a small
// key of Hamming weight h, which the model takes at its mean n/2 (h ~ Binomial(n, 1/2)); at
// n = 64 one standard deviation of h moves that variance by 12%. Given h the reads are independent,
// so the count is Poisson-binomial; the interval is the union of its central intervals over h
// within ±z·√n/2, so it holds with probability at least 1 − α − P(|h − n/2| > z·√n/2).
import { erfc } from "../../crypto-model/index.js";

export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** One read: its removed fraction f ∈ [0, 1) and independent noise σ, both in steps of the read. */
export interface RoundingRead {
  readonly fraction: number;
  readonly sigma: number;
}

/** The PBS rotation offset (steps) and the small key's part of the modulus-switch noise. */
export interface KeySetNoise {
  readonly offset: number;
  /** The small key's dimension n and the modulus-switch variance one key bit adds, (1/12)/(2N)² in steps². */
  readonly keyWeight?: { readonly n: number; readonly variancePerBit: number };
}

/**
 * Probability that a read's result differs from round-half-up: the PBS reads round(z + shift + e),
 * e ~ N(0, σ²), z = floor + f, so it lands on h with probability Φ((h + ½ − z − shift)/σ) −
 * Φ((h − ½ − z − shift)/σ) (mostly one neighbour: up below the tie, down from it).
 */
export function flipProbability(r: RoundingRead, shift: number): number {
  const h = r.fraction >= 0.5 ? 1 : 0; // half-up result, relative to the floor
  const stay = normalCdf((h + 0.5 - r.fraction - shift) / r.sigma) - normalCdf((h - 0.5 - r.fraction - shift) / r.sigma);
  return 1 - stay;
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
 * miss probability given the key weight, z the range of key weights covered (in standard deviations).
 */
export function flipCountInterval(reads: readonly RoundingRead[], noise: KeySetNoise, alpha: number, z: number): { lo: number; hi: number; mean: number } {
  const weights = noise.keyWeight ? Array.from({ length: 17 }, (_, g) => ((2 * g) / 16 - 1) * z * (Math.sqrt(noise.keyWeight!.n) / 2)) : [0];
  let lo = Infinity;
  let hi = -Infinity;
  for (const dh of weights) {
    // σ² at key weight n/2 + dh: the model's σ² plus dh bits' modulus-switch variance.
    const extra = dh * (noise.keyWeight?.variancePerBit ?? 0);
    const ps = reads.map((r) => flipProbability({ fraction: r.fraction, sigma: Math.sqrt(Math.max(r.sigma * r.sigma + extra, 1e-12)) }, noise.offset));
    const [l, h] = centralInterval(poissonBinomial(ps), alpha);
    lo = Math.min(lo, l);
    hi = Math.max(hi, h);
  }
  const mean = reads.reduce((a, r) => a + flipProbability(r, noise.offset), 0);
  return { lo, hi, mean };
}
