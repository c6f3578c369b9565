// Noise model of docs/tfhe.md (variances normalised by q², q = 2^64; B = 2^β, ℓ levels).
// Pure functions, shared by the runtime tests and the parameter optimizer.

/** q² = 2^128 (exactly representable as a double). */
const Q2 = 2 ** 128;

/**
 * Keyswitch from dimension `inputDimension` (= kN in the atomic pattern):
 * σ²_KS = kN·[1/(24·B^{2ℓ}) − 1/(24q²) + 1/(16q²) + ℓ(B²+2)/12·σ²_ksk].
 * @param kskNoiseStd σ of the keyswitching key (the LWE noise std, fraction of q).
 */
export function keyswitchVariance(inputDimension: number, baseLog: number, level: number, kskNoiseStd: number): number {
  const B2 = 2 ** (2 * baseLog);
  const B2l = 2 ** (2 * baseLog * level);
  return inputDimension * (1 / (24 * B2l) - 1 / (24 * Q2) + 1 / (16 * Q2) + (level * (B2 + 2) / 12) * kskNoiseStd ** 2);
}

/**
 * FFT error of one external product (Concrete's empirical model for f64 FFTs):
 * σ²_FFT = 2^(−2.57722494)·2^(2·(64−53))·ℓ·B²·N²·(k+1)/q².
 */
export function fftVariance(glweDimension: number, polynomialSize: number, baseLog: number, level: number): number {
  return (2 ** -2.57722494 * 2 ** (2 * (64 - 53)) * level * 2 ** (2 * baseLog) * polynomialSize ** 2 * (glweDimension + 1)) / Q2;
}

/**
 * External product (one CMux of the blind rotation):
 * σ²_EP = ℓ(k+1)N(B²+2)/12·σ²_bsk + (q²−B^{2ℓ})/(24B^{2ℓ})·(1+kN/2)/q² + kN/(32q²) + (1−kN)²/(64q²) + σ²_FFT.
 * @param bskNoiseStd σ of the bootstrapping key (the GLWE noise std, fraction of q).
 */
export function externalProductVariance(glweDimension: number, polynomialSize: number, baseLog: number, level: number,
  bskNoiseStd: number): number {
  const k = glweDimension, N = polynomialSize;
  const B2 = 2 ** (2 * baseLog);
  const B2l = 2 ** (2 * baseLog * level);
  const kN = k * N;
  return (level * (k + 1) * N * (B2 + 2) / 12) * bskNoiseStd ** 2 +
    (1 / (24 * B2l) - 1 / (24 * Q2)) * (1 + kN / 2) +
    kN / (32 * Q2) + (1 - kN) ** 2 / (64 * Q2) +
    fftVariance(k, N, baseLog, level);
}

/** Blind rotation over an input of dimension n: σ²_BR = n·σ²_EP (the PBS output variance). */
export function blindRotationVariance(lweDimension: number, glweDimension: number, polynomialSize: number,
  baseLog: number, level: number, bskNoiseStd: number): number {
  return lweDimension * externalProductVariance(glweDimension, polynomialSize, baseLog, level, bskNoiseStd);
}

/** Modulus switch of a dimension-n ciphertext to 2N: σ²_MS = (1/12 + n/24)/(2N)² + (n/48 − 1/12)/q². */
export function modulusSwitchVariance(lweDimension: number, polynomialSize: number): number {
  const n = lweDimension;
  return (1 / 12 + n / 24) / (2 * polynomialSize) ** 2 + (n / 48 - 1 / 12) / Q2;
}

/** Fields of a parameter set the noise model needs. */
export interface NoiseParams {
  lweDimension: number;
  glweDimension: number;
  polynomialSize: number;
  pbsBaseLog: number;
  pbsLevel: number;
  ksBaseLog: number;
  ksLevel: number;
  lweNoiseStd: number;
  glweNoiseStd: number;
}

/** σ²_BR for a parameter set (variance of a fresh PBS output). */
export function pbsOutputVariance(p: NoiseParams): number {
  return blindRotationVariance(p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsBaseLog, p.pbsLevel, p.glweNoiseStd);
}

/** σ²_KS for a parameter set (keyswitch kN → n). */
export function keyswitchOutputVariance(p: NoiseParams): number {
  return keyswitchVariance(p.glweDimension * p.polynomialSize, p.ksBaseLog, p.ksLevel, p.lweNoiseStd);
}

/**
 * Variance seen by the modulus switch of the next PBS after Dot(ν) → KS → MS:
 * ν²·σ²_BR + σ²_KS + σ²_MS.
 */
export function tableLookupInputVariance(p: NoiseParams, nu: number): number {
  return nu * nu * pbsOutputVariance(p) + keyswitchOutputVariance(p) + modulusSwitchVariance(p.lweDimension, p.polynomialSize);
}

/** σ_safe = 2^(−p−2)/κ, κ = √2·erfc⁻¹(p_error). */
export function safeStd(precision: number, pError: number): number {
  return 2 ** (-precision - 2) / kappa(pError);
}

/** κ = √2·erfc⁻¹(p_error): the number of standard deviations inside the half box. */
export function kappa(pError: number): number {
  if (!(pError > 0 && pError < 1)) throw new RangeError(`pError must be in (0, 1), got ${pError}`);
  return Math.SQRT2 * erfcInv(pError);
}

/** Probability that a PBS misreads its table given the input noise std (fraction of q) and precision p. */
export function pbsErrorProbability(precision: number, inputStd: number): number {
  return erfc(2 ** (-precision - 2) / inputStd / Math.SQRT2);
}

/** Does Dot(ν)→KS→PBS meet p_error at precision p? */
export function meetsCorrectness(p: NoiseParams, precision: number, nu: number, pError: number): boolean {
  return tableLookupInputVariance(p, nu) <= safeStd(precision, pError) ** 2;
}

/** Predicted per-PBS error probability for Dot(ν)→KS→PBS at precision p. */
export function predictedPError(p: NoiseParams, precision: number, nu: number): number {
  return pbsErrorProbability(precision, Math.sqrt(tableLookupInputVariance(p, nu)));
}

/** Cost per PBS + keyswitch (model of docs/tfhe.md, arbitrary units). */
export function pbsCost(p: NoiseParams): number {
  const { lweDimension: n, glweDimension: k, polynomialSize: N, pbsLevel: l } = p;
  const logN = Math.log2(N);
  const pbs = n * ((k + 1) * l * (N * logN + N) + (k + 1) * (N * logN + N) + (k + 1) ** 2 * l * N);
  const ks = k * N * p.ksLevel * (n + 1);
  return pbs + ks;
}

/** Complementary error function (relative accuracy ~1e-15: series for small x, continued fraction beyond). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/√π · Σ (−1)^n x^(2n+1) / (n!(2n+1))
    let sum = 0;
    let term = x;
    for (let n = 0; n < 200; n++) {
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
      term *= (-x * x) / (n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction (modified Lentz): erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let i = 1; i < 500; i++) {
    const a = i / 2;
    D = x + a * D;
    D = Math.abs(D) < tiny ? tiny : D;
    C = x + a / C;
    C = Math.abs(C) < tiny ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Inverse of erfc on (0, 2), by bisection on a log scale then Newton polishing. */
export function erfcInv(y: number): number {
  if (!(y > 0 && y < 2)) throw new RangeError(`erfcInv argument must be in (0, 2), got ${y}`);
  if (y > 1) return -erfcInv(2 - y);
  let lo = 0;
  let hi = 30;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (erfc(mid) > y) lo = mid;
    else hi = mid;
  }
  let x = (lo + hi) / 2;
  for (let i = 0; i < 3; i++) {
    const fx = erfc(x) - y;
    const d = (-2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
    if (d === 0) break;
    x -= fx / d;
  }
  return x;
}
