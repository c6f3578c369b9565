// Quantizer arithmetic: uniform affine quantization (S = (β − α)/(2ⁿ − 1), Z = round(−α/S)),
// symmetric signed weights, per-channel scales, and ONNX's round-half-to-even.
import { compensatedRound, type RoundingFactors } from "./compensated_rounding.js";

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
export function affineQuantizer(lo: number, hi: number, nBits: number, integerValued = false, step?: number): Quantizer {
  const levels = 2 ** nBits - 1;
  if (integerValued && Number.isInteger(lo) && Number.isInteger(hi) && hi - lo <= levels) {
    return { scale: 1, zeroPoint: -lo, qmin: 0, qmax: levels };
  }
  // Data on a regular grid (e.g. measurements to 0.1) that fits the levels is represented exactly.
  // The scale is step / j, the finest such grid whose codes still span [lo, hi] within the levels.
  if (step !== undefined && step > 0 && Math.abs(Math.round(lo / step) * step - lo) < step * 1e-4) {
    const span = Math.round((hi - lo) / step);
    const j = Math.max(1, Math.floor(levels / Math.max(1, span)));
    const scale = step / j;
    const zeroPoint = -Math.round(lo / scale) + 0;
    if (span > 0 && Math.round(hi / scale) + zeroPoint <= levels) return { scale, zeroPoint, qmin: 0, qmax: levels };
  }
  if (!(hi > lo)) {
    const spread = Math.abs(lo) > 0 ? Math.abs(lo) : 1;
    lo -= spread / 2;
    hi += spread / 2;
  }
  const scale = (hi - lo) / levels;
  return { scale, zeroPoint: Math.round(-lo / scale) + 0, qmin: 0, qmax: levels };
}

/** How to round one channel's weights with their op's calibration Gram matrix. */
export interface WeightCompensation {
  /** The flat indices of channel c's weights, in the Gram matrix's input order. */
  elementsOf(c: number): number[];
  factorsOf(c: number): RoundingFactors;
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
  opts: { symmetric: boolean; channels: number; channelOf: (i: number) => number; compensation?: WeightCompensation },
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
  const grid = exactGrids(w, channels, channelOf, limit);
  for (let c = 0; c < channels; c++) {
    const maxAbs = Math.max(Math.abs(lo[c]!), Math.abs(hi[c]!));
    if (allIntegers && maxAbs <= limit) {
      scales[c] = 1;
    } else if (grid[c]! > 0) {
      // Weights that are small multiples of one step (one-hot selections, ±c) are kept exactly.
      scales[c] = grid[c]!;
    } else if (opts.symmetric) {
      scales[c] = maxAbs > 0 ? maxAbs / limit : 1;
    } else {
      const q = affineQuantizer(Math.min(lo[c]!, 0), Math.max(hi[c]!, 0), nBits);
      scales[c] = q.scale;
      zps[c] = q.zeroPoint;
    }
  }
  const values = new Float64Array(w.length);
  const compensated = new Array<boolean>(channels).fill(false);
  const comp = opts.compensation;
  if (comp && opts.symmetric) {
    // Only channels on a scaled grid: exact channels and integer weights have no error to move.
    for (let c = 0; c < channels; c++) {
      if (scales[c] === 1 || grid[c]! > 0) continue;
      const at = comp.elementsOf(c);
      const q = compensatedRound(Float64Array.from(at, (i) => w[i]!), scales[c]!, limit, comp.factorsOf(c), roundHalfEven);
      at.forEach((i, j) => (values[i] = q[j]!));
      compensated[c] = true;
    }
  }
  for (let i = 0; i < w.length; i++) {
    if (compensated[channelOf(i)]) continue;
    const c = channelOf(i);
    if (opts.symmetric || scales[c] === 1 || grid[c]! > 0) {
      values[i] = Math.max(-limit, Math.min(limit, roundHalfEven(w[i]! / scales[c]!)));
    } else {
      const q = Math.max(0, Math.min(2 ** nBits - 1, roundHalfEven(w[i]! / scales[c]!) + zps[c]!));
      values[i] = q - zps[c]!;
    }
  }
  return { values, scales };
}

/**
 * Per channel, the step m (smallest non-zero |w|) when every weight is an integer multiple of m
 * no larger than `limit` — such channels quantize without error; 0 otherwise.
 */
function exactGrids(w: Float64Array, channels: number, channelOf: (i: number) => number, limit: number): Float64Array {
  const step = new Float64Array(channels).fill(Infinity);
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]!);
    const c = channelOf(i);
    if (a > 0 && a < step[c]!) step[c] = a;
  }
  const ok = new Array<boolean>(channels).fill(true);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const m = step[c]!;
    if (!Number.isFinite(m)) continue;
    const r = w[i]! / m;
    if (Math.abs(r - Math.round(r)) > 1e-9 * Math.max(1, Math.abs(r)) || Math.abs(r) > limit) ok[c] = false;
  }
  return step.map((m, c) => (ok[c] && Number.isFinite(m) ? m : 0));
}

/**
 * The step of a regular grid holding all values (their smallest gap, when every value is within
 * 1e-4 of a step multiple), or undefined. Float32 data rounded to decimals (5.9, 3.0) qualifies.
 */
export function gridStep(values: ArrayLike<number>): number | undefined {
  const sorted = Float64Array.from(values).sort();
  let gap = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > 1e-6 * Math.max(1, Math.abs(sorted[i]!)) && d < gap) gap = d;
  }
  if (!Number.isFinite(gap)) return undefined;
  // Snap to a decimal step when the gap is one up to float32 noise (0.10000014 → 0.1).
  const decimal = 10 ** Math.round(Math.log10(gap));
  for (const cand of [decimal, decimal / 2, decimal * 2, decimal / 4, decimal * 5, decimal / 5]) {
    if (Math.abs(gap / cand - Math.round(gap / cand)) < 1e-4) {
      gap = cand;
      break;
    }
  }
  for (const v of sorted) {
    const r = v / gap;
    if (Math.abs(r - Math.round(r)) > 1e-4) return undefined;
  }
  return gap;
}
