// How two outputs of a model are compared: a classifier's by the class it picks for each sample
// (the index of its largest value), a regressor's errors against the span of its values. The
// precision search, the compiler's accuracy checks and the benches use these.

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
