// Published and derived TFHE parameter sets. Noise stds sit exactly on the 128-bit security
// curve: σ/q = max(2^(a·d+b), 2^(2−64)) with d = n (LWE key) and d = kN (GLWE key).
import { minNoiseStd } from "../crypto-model/index.js";
import { TfheParameters } from "./parameters.js";

function onCurve(name: string, n: number, k: number, N: number, pbsBaseLog: number, pbsLevel: number,
  ksBaseLog: number, ksLevel: number): TfheParameters {
  return new TfheParameters({
    lweDimension: n,
    glweDimension: k,
    polynomialSize: N,
    pbsBaseLog,
    pbsLevel,
    ksBaseLog,
    ksLevel,
    lweNoiseStd: minNoiseStd(n),
    glweNoiseStd: minNoiseStd(k * N),
  }, name);
}

/** Concrete's reference set for p = 4 (p_error 6.3e-5 per PBS at ν = 1). */
export const CONCRETE_P4 = onCurve("CONCRETE_P4", 801, 2, 1024, 23, 1, 4, 3);
/** Concrete's reference set for p = 5 (p_error 6.3e-5). */
export const CONCRETE_P5 = onCurve("CONCRETE_P5", 783, 1, 2048, 23, 1, 3, 5);
/** Concrete's reference set for p = 8 (p_error 6.3e-5). */
export const CONCRETE_P8 = onCurve("CONCRETE_P8", 1006, 1, 16384, 15, 2, 4, 5);

/**
 * Sets derived with the model of docs/tfhe.md (cheapest by the cost model meeting p_error ≤ 2^-40 at
 * ν = 1; see tests/runtime/parameters.test.ts, which re-checks curve and correctness).
 */
export const FHEC_P1 = onCurve("FHEC_P1", 604, 3, 512, 18, 1, 2, 5);
export const FHEC_P2 = onCurve("FHEC_P2", 678, 3, 512, 18, 1, 3, 4);
export const FHEC_P3 = onCurve("FHEC_P3", 740, 2, 1024, 23, 1, 3, 4);
export const FHEC_P6 = onCurve("FHEC_P6", 899, 1, 8192, 22, 1, 3, 6);
/** Derived at p_error ≤ 6.3e-5 (Concrete's default bound), like the CONCRETE_* sets. */
export const FHEC_P7 = onCurve("FHEC_P7", 915, 1, 8192, 22, 1, 3, 6);

/**
 * Gate-bootstrapping-class set (TFHEpp-like geometry: n=630, k=1, N=1024, PBS 2^6×3, KS 2^2×7),
 * with noise on the current curve, for performance comparison.
 */
export const GATE_N630 = onCurve("GATE_N630", 630, 1, 1024, 6, 3, 2, 7);

/** The per-PBS error probability each secure set was chosen for (ν = 1). */
export const TARGET_P_ERROR: Readonly<Record<string, number>> = Object.freeze({
  CONCRETE_P4: 6.3e-5,
  CONCRETE_P5: 6.3e-5,
  CONCRETE_P8: 6.3e-5,
  FHEC_P1: 2 ** -40,
  FHEC_P2: 2 ** -40,
  FHEC_P3: 2 ** -40,
  FHEC_P6: 2 ** -40,
  FHEC_P7: 6.3e-5,
});

/** Secure set for each precision 1..8. */
export const SECURE_PARAMETER_SETS: Readonly<Record<number, TfheParameters>> = Object.freeze({
  1: FHEC_P1,
  2: FHEC_P2,
  3: FHEC_P3,
  4: CONCRETE_P4,
  5: CONCRETE_P5,
  6: FHEC_P6,
  7: FHEC_P7,
  8: CONCRETE_P8,
});

/** The secure parameter set for a message precision p (1..8). Never returns an INSECURE set. */
export function parametersForPrecision(precision: number): TfheParameters {
  const p = SECURE_PARAMETER_SETS[precision];
  if (p === undefined) throw new RangeError(`no parameter set for precision ${precision} (supported: 1..8)`);
  return p;
}
