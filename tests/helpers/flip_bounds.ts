// How many approximate-rounding reads the noise model lets go "the other way", as an interval at a
// stated confidence. A read of removed fraction f (in steps) goes up with probability
// Φ((f − 1/2 + δ)/σ) (docs/tfhe.md, "What simulate models"): σ the read's noise, δ the PBS's
// rotation offset. The reads of one run are independent: the runtime's centred modulus switch
// leaves an error Σ d_i·(s_i − ½) whose variance n/48 (units of 1/2N) is the same for every small
// key, so no part of σ is fixed per key set, and the count is Poisson-binomial.
import { erfc } from "../../crypto-model/index.js";

export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** One read: its removed fraction f ∈ [0, 1) and independent noise σ, both in steps of the read. */
export interface RoundingRead {
  readonly fraction: number;
  readonly sigma: number;
}

/** The PBS rotation offset (steps) of a parameter set's reads. */
export interface KeySetNoise {
  readonly offset: number;
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

/** Interval for the number of reads whose result differs from round-half-up: α is the two-sided miss probability. */
export function flipCountInterval(reads: readonly RoundingRead[], noise: KeySetNoise, alpha: number): { lo: number; hi: number; mean: number } {
  const ps = reads.map((r) => flipProbability(r, noise.offset));
  const [lo, hi] = centralInterval(poissonBinomial(ps), alpha);
  const mean = ps.reduce((a, p) => a + p, 0);
  return { lo, hi, mean };
}
