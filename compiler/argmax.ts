// The class a model's output picks for each sample: the index of its largest value. The precision
// search, the compiler's accuracy checks and the benches compare models by these picks.

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
