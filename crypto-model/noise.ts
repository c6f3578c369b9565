// The TFHE noise and cost model of docs/tfhe.md (atomic pattern: Dot(ν) → keyswitch kN→n → PBS n→kN).
// Variances are normalised by q² (q = 2^64); stds are fractions of q; B = 2^β is a gadget base and
// ℓ its number of levels. Pure functions: the optimizer, the lowering, the runtime and the tests share them.
import { erfc, erfcInv } from "./erfc.js";

export { erfc, erfcInv };
import type { TfheParameterFields } from "./parameters.js";

/** q² = 2^128 (exact as a double). */
export const Q2 = 2 ** 128;

/** The parameter fields noise and cost depend on (all of them). */
export type NoiseParameters = TfheParameterFields;

// ---- variances ---------------------------------------------------------------------------------

/**
 * Keyswitch kN → n, the per-input-coefficient part: 1/(24·B^{2ℓ}) − 1/(24q²) + 1/(16q²) + ℓ(B²+2)/12·σ²_ksk.
 * The full keyswitch variance is `inputDimension` times this (see {@link keyswitchVariance}).
 */
export function keyswitchVariancePerCoefficient(baseLog: number, level: number, kskNoiseStd: number): number {
  const B2 = 2 ** (2 * baseLog);
  const B2l = 2 ** (2 * baseLog * level);
  return 1 / (24 * B2l) - 1 / (24 * Q2) + 1 / (16 * Q2) + ((level * (B2 + 2)) / 12) * kskNoiseStd * kskNoiseStd;
}

/** σ²_KS = kN·[1/(24·B^{2ℓ}) − 1/(24q²) + 1/(16q²) + ℓ(B²+2)/12·σ²_ksk]. */
export function keyswitchVariance(inputDimension: number, baseLog: number, level: number, kskNoiseStd: number): number {
  return inputDimension * keyswitchVariancePerCoefficient(baseLog, level, kskNoiseStd);
}

/** σ²_FFT = 2^(−2.57722494)·2^(2·(64−53))·ℓ·B²·N²·(k+1)/q² (f64 FFT error of one external product). */
export function fftVariance(glweDimension: number, polynomialSize: number, baseLog: number, level: number): number {
  const N = polynomialSize;
  return (2 ** -2.57722494 * 2 ** 22 * level * 2 ** (2 * baseLog) * N * N * (glweDimension + 1)) / Q2;
}

/** The three parts of one external product's variance (docs/tfhe.md). */
interface ExternalProductTerms {
  /** ℓ(k+1)N(B²+2)/12·σ²_bsk: the key's noise times the decomposed digits. */
  readonly key: number;
  /** (q²−B^{2ℓ})/(24B^{2ℓ})·(1+kN/2)/q²: the decomposition's rounding times a key-bit message. */
  readonly rounding: number;
  /** kN/(32q²) + (1−kN)²/(64q²) + σ²_FFT: the rest (binary-key and f64 FFT error). */
  readonly rest: number;
}

function externalProductTerms(glweDimension: number, polynomialSize: number, baseLog: number, level: number, bskNoiseStd: number): ExternalProductTerms {
  const k = glweDimension;
  const N = polynomialSize;
  const kN = k * N;
  const B2 = 2 ** (2 * baseLog);
  const B2l = 2 ** (2 * baseLog * level);
  return {
    key: ((level * (k + 1) * N * (B2 + 2)) / 12) * bskNoiseStd * bskNoiseStd,
    // (q² − B^{2ℓ}) / (24·B^{2ℓ}·q²) written without forming q² − B^{2ℓ} (exact 0 when βℓ = 64).
    rounding: (1 / (24 * B2l) - 1 / (24 * Q2)) * (1 + kN / 2),
    rest: kN / (32 * Q2) + ((1 - kN) * (1 - kN)) / (64 * Q2) + fftVariance(k, N, baseLog, level),
  };
}

/**
 * One external product (CMux) of the blind rotation:
 * σ²_EP = ℓ(k+1)N(B²+2)/12·σ²_bsk + (q²−B^{2ℓ})/(24B^{2ℓ})·(1+kN/2)/q² + kN/(32q²) + (1−kN)²/(64q²) + σ²_FFT.
 */
export function externalProductVariance(glweDimension: number, polynomialSize: number, baseLog: number, level: number, bskNoiseStd: number): number {
  const t = externalProductTerms(glweDimension, polynomialSize, baseLog, level, bskNoiseStd);
  return t.key + t.rounding + t.rest;
}

/** σ²_BR = n·σ²_EP: the variance of a fresh PBS output. */
export function blindRotationVariance(lweDimension: number, glweDimension: number, polynomialSize: number, baseLog: number, level: number, bskNoiseStd: number): number {
  return lweDimension * externalProductVariance(glweDimension, polynomialSize, baseLog, level, bskNoiseStd);
}

/**
 * Multi-bit blind rotation, grouping factor g ≥ 2: n/g external products, each with the
 * Fourier-domain sum Σ_{j≠0} (X^{t_j} − 1)·GGSW(f_j) of the group's 2^g − 1 key entries.
 * - key noise: each (X^t − 1)·E has two non-zero coefficients, so each of the 2^g − 1 entries
 *   adds twice a classic CMux's key term (the FFT error, driven by the key's size, likewise);
 * - rounding: the decomposition error is multiplied by the group's message X^{t*} − 1, non-zero
 *   (norm² 2) for 1 − 2^−g of the key patterns, where the classic CMux's message s ∈ {0, 1} gives
 *   a factor 1/2: 4(1 − 2^−g) times the classic term.
 * σ²_BR = (n/g)·[2(2^g − 1)·(key + σ²_FFT) + 4(1 − 2^−g)·rounding + binary-key terms].
 */
export function multiBitBlindRotationVariance(lweDimension: number, glweDimension: number, polynomialSize: number, baseLog: number, level: number,
  bskNoiseStd: number, groupingFactor: number): number {
  if (groupingFactor === 1) return blindRotationVariance(lweDimension, glweDimension, polynomialSize, baseLog, level, bskNoiseStd);
  return lweDimension * blindRotationVariancePerKeyBit(glweDimension, polynomialSize, baseLog, level, bskNoiseStd, groupingFactor);
}

/**
 * σ²_BR / n: what each bit of the small key adds to a PBS output. The classic CMux's σ²_EP; for
 * multi-bit, a group's variance (above) over its g bits. The parameter searches scan n with it.
 */
export function blindRotationVariancePerKeyBit(glweDimension: number, polynomialSize: number, baseLog: number, level: number, bskNoiseStd: number,
  groupingFactor = 1): number {
  if (groupingFactor === 1) return externalProductVariance(glweDimension, polynomialSize, baseLog, level, bskNoiseStd);
  const t = externalProductTerms(glweDimension, polynomialSize, baseLog, level, bskNoiseStd);
  const g = groupingFactor;
  const fft = fftVariance(glweDimension, polynomialSize, baseLog, level);
  const perGroup = 2 * (2 ** g - 1) * (t.key + fft) + 4 * (1 - 2 ** -g) * t.rounding + (t.rest - fft);
  return perGroup / g;
}

/**
 * How a PBS switches its input to 2N: fhec's runtime centres the switch; "plain" is the textbook
 * switch that published parameter sets (Concrete's) were sized for, kept to check the search
 * against them.
 */
export type ModulusSwitchKind = "centred" | "plain";

/**
 * σ²_MS = (1/12 + n/48)/(2N)² + (n/48 − 1/12)/q² (switching a dimension-n ciphertext to modulus 2N).
 * The runtime's switch is centred: the mean of the mask's public rounding errors against a uniform
 * binary key is taken off the body, so each key bit adds (s_i − ½)²/12 = 1/48 for every key, where
 * a plain switch adds s_i/12 (n/24 on average, and as much as the key's weight).
 */
export function modulusSwitchVariance(lweDimension: number, polynomialSize: number, kind: ModulusSwitchKind = "centred"): number {
  const n = lweDimension;
  const twoN = 2 * polynomialSize;
  return (1 / 12 + (kind === "centred" ? n / 48 : n / 24)) / (twoN * twoN) + (n / 48 - 1 / 12) / Q2;
}

/** The four variance sources of the atomic pattern for one parameter set. */
export interface NoiseTerms {
  /** σ²_BR: a PBS output (table results). */
  readonly bootstrap: number;
  /** σ²_KS: added by the keyswitch before each PBS. */
  readonly keyswitch: number;
  /** σ²_MS: added by the modulus switch at the start of each PBS. */
  readonly modulusSwitch: number;
  /** σ²_glwe: a fresh encryption under the big key (function inputs). */
  readonly fresh: number;
}

export function noiseTerms(p: NoiseParameters, modulusSwitch: ModulusSwitchKind = "centred"): NoiseTerms {
  return {
    bootstrap: multiBitBlindRotationVariance(p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsBaseLog, p.pbsLevel, p.glweNoiseStd,
      p.pbsGroupingFactor ?? 1),
    keyswitch: keyswitchVariance(p.glweDimension * p.polynomialSize, p.ksBaseLog, p.ksLevel, p.lweNoiseStd),
    modulusSwitch: modulusSwitchVariance(p.lweDimension, p.polynomialSize, modulusSwitch),
    fresh: p.glweNoiseStd * p.glweNoiseStd,
  };
}

/**
 * Variance read by the PBS after Dot(ν) → KS → MS when the ν² is made of PBS outputs:
 * ν²·σ²_BR + σ²_KS + σ²_MS (the correctness left-hand side, docs/tfhe.md).
 */
export function tableInputVariance(p: NoiseParameters, norm2: number, modulusSwitch: ModulusSwitchKind = "centred"): number {
  const t = noiseTerms(p, modulusSwitch);
  return norm2 * t.bootstrap + t.keyswitch + t.modulusSwitch;
}

/** σ²_BR of a parameter set: the variance of a fresh PBS output. */
export function pbsOutputVariance(p: NoiseParameters): number {
  return noiseTerms(p).bootstrap;
}

/** σ²_KS of a parameter set (keyswitch kN → n). */
export function keyswitchOutputVariance(p: NoiseParameters): number {
  return noiseTerms(p).keyswitch;
}

// ---- correctness ------------------------------------------------------------------------------

/** Half the width of a p-bit message box with one padding bit, as a fraction of q: 2^(−p−2). */
export function halfBox(precision: number): number {
  return 2 ** (-precision - 2);
}

/** κ = √2·erfc⁻¹(p_error): the number of stds that fit in the half box for that error rate. */
export function kappa(pError: number): number {
  if (!(pError > 0 && pError < 1)) throw new RangeError(`p_error must be in (0, 1), got ${pError}`);
  return Math.SQRT2 * erfcInv(pError);
}

/** σ_safe = 2^(−p−2)/κ. */
export function safeStd(precision: number, pError: number): number {
  return halfBox(precision) / kappa(pError);
}

/** σ²_safe. */
export function safeVariance(precision: number, pError: number): number {
  const s = safeStd(precision, pError);
  return s * s;
}

/** P(|N(0, variance)| ≥ 2^(−p−2)) = erfc(2^(−p−2) / (√2·σ)): the chance a p-bit read is wrong. */
export function errorProbability(precision: number, variance: number): number {
  if (variance <= 0) return 0;
  return erfc(halfBox(precision) / (Math.SQRT2 * Math.sqrt(variance)));
}

/** Correctness (docs/tfhe.md): ν²σ²_BR + σ²_KS + σ²_MS ≤ σ²_safe for a p-bit table read at the given p_error. */
export function meetsCorrectness(p: NoiseParameters, precision: number, norm2: number, pError: number,
  modulusSwitch: ModulusSwitchKind = "centred"): boolean {
  return tableInputVariance(p, norm2, modulusSwitch) <= safeVariance(precision, pError);
}

/** Predicted error probability of a p-bit table read after Dot(ν) → KS → PBS (norm2 = ν²). */
export function predictedPError(p: NoiseParameters, precision: number, norm2: number): number {
  return errorProbability(precision, tableInputVariance(p, norm2));
}

/**
 * Per-PBS bound from a global one: 1 − P = (1 − p)^count  ⇒  p = 1 − (1 − P)^(1/count), computed
 * with log1p/expm1 so tiny probabilities keep their digits.
 */
export function perPbsFromGlobal(globalPError: number, count: number): number {
  if (!(globalPError > 0 && globalPError < 1)) throw new RangeError(`global p_error must be in (0, 1), got ${globalPError}`);
  if (!(Number.isFinite(count) && count >= 1)) return globalPError;
  return -Math.expm1(Math.log1p(-globalPError) / count);
}

/** The inverse: the global error of `count` independent reads each wrong with probability p. */
export function globalFromPerPbs(pError: number, count: number): number {
  return -Math.expm1(count * Math.log1p(-pError));
}

// ---- cost -------------------------------------------------------------------------------------

/**
 * Weights of the cost model's work terms. Operation counts weigh every term 1 (Concrete's model);
 * a machine's measured time model (compiler/cost/time_model.ts) weighs them by their fitted
 * milliseconds per unit, so the optimizer ranks sets by time: the products of the blind rotation
 * stream the bootstrapping key from memory and cost several FFT operations each.
 */
export interface CostWeights {
  /** Per FFT operation (forward and inverse transforms of the external products). */
  readonly fft: number;
  /** Per multiply-add of the Fourier-domain products with the bootstrapping key. */
  readonly mac: number;
  /** Per keyswitch operation ({@link keyswitchCost}'s unit). */
  readonly keyswitch: number;
  /**
   * Per key product of a multi-bit blind rotation (its `multiBitMac` work). A measured weight of
   * its own: those products stream 2^g − 1 key entries per group, at another rate than the classic
   * CMux's. Absent, they are priced as `mac` and the optimizer searches classic sets only (only a
   * measured time model can say whether multi-bit is faster on a machine).
   */
  readonly multiBitMac?: number;
}

/** Every operation counted once: the cost model of docs/tfhe.md. */
export const OPERATION_COUNT: CostWeights = { fft: 1, mac: 1, keyswitch: 1 };

/**
 * The work terms of a PBS: `fft` = n·[(k+1)ℓ(N·log₂N + N) + (k+1)(N·log₂N + N)] (decomposed
 * digits forward, accumulator back) and the key products: classic `mac` = n·(k+1)²ℓN. Multi-bit
 * (grouping factor g ≥ 2): n/g external products, each multiplying 2^g − 1 key entries and
 * weighting them by their monomial, `multiBitMac` = (n/g)·(2^g − 1)((k+1)²ℓN + (k+1)N) (and `mac` 0).
 */
export function pbsWork(lweDimension: number, glweDimension: number, polynomialSize: number, pbsLevel: number, groupingFactor = 1): { fft: number; mac: number; multiBitMac: number } {
  const k1 = glweDimension + 1;
  const N = polynomialSize;
  const fft = N * Math.log2(N) + N;
  const products = lweDimension / groupingFactor;
  const fftWork = products * (k1 * pbsLevel * fft + k1 * fft);
  if (groupingFactor === 1) return { fft: fftWork, mac: products * k1 * k1 * pbsLevel * N, multiBitMac: 0 };
  return { fft: fftWork, mac: 0, multiBitMac: products * (2 ** groupingFactor - 1) * (k1 * k1 * pbsLevel * N + k1 * N) };
}

/**
 * PBS cost: n·[(k+1)ℓ(N·log₂N + N) + (k+1)(N·log₂N + N) + (k+1)²ℓN] with operation counts
 * ({@link pbsWork}'s terms, weighted by `weights`).
 */
export function pbsCost(lweDimension: number, glweDimension: number, polynomialSize: number, pbsLevel: number, groupingFactor = 1, weights: CostWeights = OPERATION_COUNT): number {
  const w = pbsWork(lweDimension, glweDimension, polynomialSize, pbsLevel, groupingFactor);
  return weights.fft * w.fft + weights.mac * w.mac + (weights.multiBitMac ?? weights.mac) * w.multiBitMac;
}

/**
 * Keyswitch cost, the model's "≈ kN·ℓ_KS·(n+1)" counted in the same unit as the PBS term (operations):
 * for each of the kN·ℓ decomposed digits, one decomposition step, then a scaled add of an
 * (n+1)-word key ciphertext — (n+1) multiplications and (n+1) additions (minus the first add):
 * kN·ℓ + kN·ℓ·(n+1) + (kN·ℓ − 1)·(n+1) + 1 ≈ 2·kN·ℓ_KS·(n+1). Counting the multiply-add as two
 * operations is what reproduces Concrete's reference sets exactly; with one operation
 * per word the model prefers a smaller n with one or two more keyswitch levels (see
 * {@link keyswitchWordCost} and tests/params/optimizer.test.ts). `weights.keyswitch` scales it.
 */
export function keyswitchCost(lweDimension: number, glweDimension: number, polynomialSize: number, ksLevel: number, weights: CostWeights = OPERATION_COUNT): number {
  const digits = glweDimension * polynomialSize * ksLevel;
  const words = lweDimension + 1;
  return weights.keyswitch * (digits + digits * words + (digits - 1) * words + 1);
}

/** The literal one-word-per-operation keyswitch term kN·ℓ_KS·(n+1) (one operation per key word). */
export function keyswitchWordCost(lweDimension: number, glweDimension: number, polynomialSize: number, ksLevel: number): number {
  return glweDimension * polynomialSize * ksLevel * (lweDimension + 1);
}

/** Cost of one table lookup (keyswitch + PBS), cost-model units (docs/tfhe.md). */
export function tableLookupCost(p: NoiseParameters, weights: CostWeights = OPERATION_COUNT): number {
  return pbsCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsLevel, p.pbsGroupingFactor ?? 1, weights) +
    keyswitchCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.ksLevel, weights);
}
