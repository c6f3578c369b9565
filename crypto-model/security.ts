// 128-bit security of binary-key LWE/GLWE with Gaussian noise, through the curve Concrete uses
// since 2024 (fit of the lattice estimator): log2(σ/q) ≥ max(a·d + b, 2 − 64), valid for d ≥ 450,
// with d = n for the small LWE key and d = k·N for the GLWE key (docs/tfhe.md).
import type { TfheParameterFields } from "./parameters.js";

export const SECURITY_CURVE = Object.freeze({
  bits: 128,
  a: -0.025696778711484593,
  b: 2.675931372549016,
  /** The fit is not valid below this dimension: smaller keys are rejected, whatever the noise. */
  minDimension: 450,
  /** Smallest noise allowed at all: σ/q ≥ 2^(2−64) (the noise must cover more than the 2 low bits). */
  minLog2Std: 2 - 64,
});

/** Minimum log2(σ/q) at dimension `d` (throws below the curve's validity range). */
export function minLog2Std(dimension: number): number {
  if (!(Number.isInteger(dimension) && dimension >= SECURITY_CURVE.minDimension)) {
    throw new RangeError(`key dimension ${dimension} is below ${SECURITY_CURVE.minDimension}, where the 128-bit curve is not valid`);
  }
  return Math.max(SECURITY_CURVE.a * dimension + SECURITY_CURVE.b, SECURITY_CURVE.minLog2Std);
}

// The parameter searches ask for the same few thousand dimensions millions of times.
const minNoiseStdCache = new Map<number, number>();

/** Minimum σ/q (noise std as a fraction of q = 2^64) at dimension `d`. */
export function minNoiseStd(dimension: number): number {
  let std = minNoiseStdCache.get(dimension);
  if (std === undefined) {
    std = 2 ** minLog2Std(dimension);
    minNoiseStdCache.set(dimension, std);
  }
  return std;
}

/** The fields of a parameter set that security depends on. */
export type SecurityFields = Pick<TfheParameterFields, "lweDimension" | "glweDimension" | "polynomialSize" | "lweNoiseStd" | "glweNoiseStd">;

export interface KeyCheck {
  readonly key: "lwe" | "glwe";
  /** d: n for the LWE key, kN for the GLWE key. */
  readonly dimension: number;
  readonly log2Std: number;
  /** What the curve asks at this dimension (NaN when the dimension is out of range). */
  readonly requiredLog2Std: number;
  /** log2Std − requiredLog2Std (≥ 0 when secure). */
  readonly marginBits: number;
  readonly secure: boolean;
  readonly reason?: string;
}

export interface SecurityCheck {
  readonly secure: boolean;
  readonly bits: number;
  readonly lwe: KeyCheck;
  readonly glwe: KeyCheck;
  /** A readable multi-line report. */
  readonly report: string;
}

/**
 * Stds are computed as 2^(curve) and compared in log2; this tolerance only absorbs the last-ulp
 * rounding of Math.log2 (1e-9 bits of σ is far below anything the estimator resolves).
 */
const LOG2_TOLERANCE = 1e-9;

function checkKey(key: "lwe" | "glwe", dimension: number, std: number): KeyCheck {
  const log2Std = Math.log2(std);
  if (!(Number.isInteger(dimension) && dimension >= SECURITY_CURVE.minDimension)) {
    return {
      key, dimension, log2Std, requiredLog2Std: NaN, marginBits: NaN, secure: false,
      reason: `dimension ${dimension} is below ${SECURITY_CURVE.minDimension}, where the ${SECURITY_CURVE.bits}-bit curve is not valid`,
    };
  }
  const requiredLog2Std = minLog2Std(dimension);
  const marginBits = log2Std - requiredLog2Std;
  if (!(std > 0 && std < 1) || !(marginBits >= -LOG2_TOLERANCE)) {
    return {
      key, dimension, log2Std, requiredLog2Std, marginBits, secure: false,
      reason: `log2(σ/q) = ${log2Std.toFixed(3)} is below the required ${requiredLog2Std.toFixed(3)} at dimension ${dimension}`,
    };
  }
  return { key, dimension, log2Std, requiredLog2Std, marginBits, secure: true };
}

function line(c: KeyCheck): string {
  const name = c.key === "lwe" ? "LWE  key (d = n) " : "GLWE key (d = kN)";
  const req = Number.isNaN(c.requiredLog2Std) ? "n/a" : c.requiredLog2Std.toFixed(3);
  return `  ${name}: d = ${c.dimension}, log2(σ/q) = ${c.log2Std.toFixed(3)}, required ≥ ${req}: ` +
    (c.secure ? `ok (margin ${c.marginBits.toFixed(3)} bits)` : `FAIL — ${c.reason}`);
}

/** Checks both keys of a parameter set against the 128-bit curve. */
export function checkSecurity(p: SecurityFields): SecurityCheck {
  const lwe = checkKey("lwe", p.lweDimension, p.lweNoiseStd);
  const glwe = checkKey("glwe", p.glweDimension * p.polynomialSize, p.glweNoiseStd);
  const secure = lwe.secure && glwe.secure;
  const report = [
    `${SECURITY_CURVE.bits}-bit security (curve log2(σ/q) ≥ max(${SECURITY_CURVE.a}·d + ${SECURITY_CURVE.b}, ${SECURITY_CURVE.minLog2Std}), d ≥ ${SECURITY_CURVE.minDimension}): ${secure ? "SECURE" : "NOT SECURE"}`,
    line(lwe),
    line(glwe),
  ].join("\n");
  return { secure, bits: SECURITY_CURVE.bits, lwe, glwe, report };
}

/**
 * Throws a one-line error unless both keys meet the 128-bit curve. Every party that receives a
 * parameter set (the optimizer's output, a client spec, serialized keys) calls this before use.
 * @param what names the parameter set in the message, e.g. "the client spec's partition 1".
 */
export function assertSecureParameters(p: SecurityFields, what = "parameters"): void {
  const r = checkSecurity(p);
  if (!r.secure) {
    const why = [r.lwe.reason, r.glwe.reason].filter((x) => x !== undefined).join("; ");
    throw new Error(`${what} are not ${SECURITY_CURVE.bits}-bit secure: ${why}`);
  }
}
