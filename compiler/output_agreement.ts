// How two outputs of a model are compared: a classifier's by the class it picks for each sample
// (the index of its largest value), a regressor's errors against the span of its values. The
// precision search, the compiler's accuracy checks and the benches use these.

import type { NDArray } from "../ir/tensor.js";

/** Per sample (`samples` rows of equal length): the index of its largest value, the first on ties. */
export function argmaxPerSample(data: ArrayLike<number>, samples: number): Int32Array {
  const per = data.length / samples;
  const picks = new Int32Array(samples);
  for (let s = 0; s < samples; s++) {
    let best = 0;
    for (let k = 1; k < per; k++) if (data[s * per + k]! > data[s * per + best]!) best = k;
    picks[s] = best;
  }
  return picks;
}

/** Fraction of samples whose picks differ between two outputs of the same shape. */
export function argmaxDisagreement(a: ArrayLike<number>, b: ArrayLike<number>, samples: number): number {
  const pa = argmaxPerSample(a, samples);
  const pb = argmaxPerSample(b, samples);
  let differ = 0;
  for (let s = 0; s < samples; s++) if (pa[s] !== pb[s]) differ++;
  return differ / samples;
}

/** The span of the values (max − min), or 1 when they are all equal: the scale of a regressor's errors. */
export function valueSpan(data: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    lo = Math.min(lo, data[i]!);
    hi = Math.max(hi, data[i]!);
  }
  return hi - lo || 1;
}

/**
 * Per sample, the float model's probability for each class: the rows themselves when they already
 * are probabilities (non-negative, summing to 1), else their softmax (logits).
 */
export function classProbabilities(data: ArrayLike<number>, samples: number): Float64Array {
  const per = data.length / samples;
  const p = new Float64Array(data.length);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    let nonNegative = true;
    let max = -Infinity;
    for (let k = 0; k < per; k++) {
      const v = data[s * per + k]!;
      sum += v;
      nonNegative &&= v >= 0;
      max = Math.max(max, v);
    }
    if (nonNegative && Math.abs(sum - 1) < 1e-3) {
      for (let k = 0; k < per; k++) p[s * per + k] = data[s * per + k]! / sum;
      continue;
    }
    let z = 0;
    for (let k = 0; k < per; k++) z += Math.exp(data[s * per + k]! - max);
    for (let k = 0; k < per; k++) p[s * per + k] = Math.exp(data[s * per + k]! - max) / z;
  }
  return p;
}

/**
 * Expected accuracy lost by picking `a`'s classes instead of the float model's (`floatProbabilities`
 * from classProbabilities), per sample: the float model's probability of its own pick minus its
 * probability of `a`'s pick. A flip between two nearly tied classes costs almost nothing
 * (either is right about as often), a flip away from a confident pick costs almost one sample.
 */
export function expectedAccuracyLosses(a: ArrayLike<number>, floatProbabilities: Float64Array, samples: number): Float64Array {
  const per = floatProbabilities.length / samples;
  const pa = argmaxPerSample(a, samples);
  const pf = argmaxPerSample(floatProbabilities, samples);
  return Float64Array.from({ length: samples }, (_, s) => floatProbabilities[s * per + pf[s]!]! - floatProbabilities[s * per + pa[s]!]!);
}

/** Fraction of samples where two outputs disagree (argmax for vectors, ±1% of range for scalars). */
export function disagreement(a: NDArray, b: NDArray): number {
  const n = a.shape[0] ?? 1;
  if (a.data.length > n) return argmaxDisagreement(a.data, b.data, n);
  const span = valueSpan(b.data);
  let bad = 0;
  for (let s = 0; s < n; s++) if (Math.abs(a.data[s]! - b.data[s]!) > 0.01 * span) bad++;
  return bad / n;
}
