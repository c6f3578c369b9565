// Quantizer arithmetic: uniform affine quantization (S = (β − α)/(2ⁿ − 1), Z = round(−α/S)),
// symmetric signed weights, per-channel scales, and ONNX's round-half-to-even.

/** Integers q with real value ≈ scale · (q − zeroPoint), q clamped to [qmin, qmax]. */
export interface Quantizer {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly qmin: number;
  readonly qmax: number;
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; move exact ties to the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function quantizeScalar(x: number, q: Quantizer): number {
  const v = roundHalfEven(x / q.scale) + q.zeroPoint;
  return Math.min(q.qmax, Math.max(q.qmin, v));
}

/**
 * Uniform affine quantizer of `nBits` unsigned integers for values in [lo, hi]. A degenerate
 * range (a constant) still gets a usable scale. Integer-valued data whose range fits the bits
 * is quantized exactly with scale 1 (booleans, counts, one-hot values).
 */
export function affineQuantizer(lo: number, hi: number, nBits: number, integerValued = false): Quantizer {
  const levels = 2 ** nBits - 1;
  if (integerValued && Number.isInteger(lo) && Number.isInteger(hi) && hi - lo <= levels) {
    return { scale: 1, zeroPoint: -lo, qmin: 0, qmax: levels };
  }
  if (!(hi > lo)) {
    const spread = Math.abs(lo) > 0 ? Math.abs(lo) : 1;
    lo -= spread / 2;
    hi += spread / 2;
  }
  const scale = (hi - lo) / levels;
  return { scale, zeroPoint: Math.round(-lo / scale), qmin: 0, qmax: levels };
}

export interface QuantizedWeights {
  /** Integer weights minus their zero points (what the circuit multiplies by). */
  readonly values: Float64Array;
  /** One scale per channel (length 1 when per-tensor). */
  readonly scales: Float64Array;
}

/**
 * Quantizes a weight tensor, per tensor or per channel. `channelOf(i)` gives the channel of flat
 * element i. Symmetric: q ∈ [−(2^(n−1)−1), 2^(n−1)−1], zero point 0. Affine: q ∈ [0, 2ⁿ−1] with
 * zero point Z, and the returned values are q − Z. Integer-valued weights that fit are kept
 * exactly with scale 1.
 */
export function quantizeWeights(
  w: Float64Array,
  nBits: number,
  opts: { symmetric: boolean; channels: number; channelOf: (i: number) => number },
): QuantizedWeights {
  const { channels, channelOf } = opts;
  const lo = new Float64Array(channels).fill(Infinity);
  const hi = new Float64Array(channels).fill(-Infinity);
  let allIntegers = true;
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const v = w[i]!;
    if (v < lo[c]!) lo[c] = v;
    if (v > hi[c]!) hi[c] = v;
    if (!Number.isInteger(v)) allIntegers = false;
  }
  const scales = new Float64Array(channels);
  const zps = new Float64Array(channels);
  const limit = 2 ** (nBits - 1) - 1;
  for (let c = 0; c < channels; c++) {
    const maxAbs = Math.max(Math.abs(lo[c]!), Math.abs(hi[c]!));
    if (allIntegers && maxAbs <= limit) {
      scales[c] = 1;
    } else if (opts.symmetric) {
      scales[c] = maxAbs > 0 ? maxAbs / limit : 1;
    } else {
      const q = affineQuantizer(Math.min(lo[c]!, 0), Math.max(hi[c]!, 0), nBits);
      scales[c] = q.scale;
      zps[c] = q.zeroPoint;
    }
  }
  const values = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    if (opts.symmetric || scales[c] === 1) {
      values[i] = Math.max(-limit, Math.min(limit, roundHalfEven(w[i]! / scales[c]!)));
    } else {
      const q = Math.max(0, Math.min(2 ** nBits - 1, roundHalfEven(w[i]! / scales[c]!) + zps[c]!));
      values[i] = q - zps[c]!;
    }
  }
  return { values, scales };
}
