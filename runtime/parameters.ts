// TFHE crypto parameters (precision independent) and the 128-bit security curve.
// Pure TypeScript (no addon needed), so the compiler and the parameter optimizer can use it;
// the addon re-validates everything it receives.
import { native, type RawParams } from "./native.js";

/** Canonical encoding: 7 × u32 then 2 × f64, little-endian (44 bytes); hashed with FNV-1a 64. */
function canonicalBytes(p: TfheParameterFields): Uint8Array {
  const b = new Uint8Array(44);
  const v = new DataView(b.buffer);
  const ints = [p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsBaseLog, p.pbsLevel, p.ksBaseLog, p.ksLevel];
  ints.forEach((x, i) => v.setUint32(4 * i, x, true));
  v.setFloat64(28, p.lweNoiseStd, true);
  v.setFloat64(36, p.glweNoiseStd, true);
  return b;
}

function fnv1a64(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of bytes) {
    h ^= BigInt(c);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

const isPow2 = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;

/** Structural validation (same rules as the addon); throws naming the offending field. */
export function validateParameters(p: TfheParameterFields): void {
  const fail = (m: string): never => {
    throw new Error(`invalid TFHE parameters: ${m}`);
  };
  const int = (name: keyof TfheParameterFields, lo: number, hi: number): number => {
    const x = p[name];
    if (typeof x !== "number" || !Number.isInteger(x) || x < lo || x > hi) fail(`${name} must be an integer in [${lo}, ${hi}], got ${String(x)}`);
    return x;
  };
  int("lweDimension", 1, 16384);
  const k = int("glweDimension", 1, 16);
  const N = int("polynomialSize", 64, 131072);
  if (!isPow2(N)) fail(`polynomialSize must be a power of two in [64, 131072], got ${N}`);
  if (k * N > 262144) fail(`glweDimension * polynomialSize must be at most 262144, got ${k * N}`);
  const pb = int("pbsBaseLog", 1, 52);
  const pl = int("pbsLevel", 1, 64);
  if (pb * pl > 64) fail(`pbsLevel must be >= 1 with pbsBaseLog * pbsLevel <= 64, got level ${pl}`);
  const kb = int("ksBaseLog", 1, 63);
  const kl = int("ksLevel", 1, 64);
  if (kb * kl > 64) fail(`ksLevel must be >= 1 with ksBaseLog * ksLevel <= 64, got level ${kl}`);
  for (const f of ["lweNoiseStd", "glweNoiseStd"] as const) {
    const x = p[f];
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0 || x >= 0.5) fail(`${f} must be a finite fraction of q in [0, 0.5)`);
  }
}

/**
 * Bytes per word of an expanded keyswitching key (the atomic pattern's, or a conversion key):
 * 4 when the decomposition keeps ≤ 24 bits and the key noise is ≥ 2^−28 (the addon's rule,
 * params.hpp ksk_compact_for), else 8.
 */
export function keyswitchKeyWordBytes(baseLog: number, level: number, noiseStd: number): 4 | 8 {
  return baseLog * level <= 24 && noiseStd >= 2 ** -28 ? 4 : 8;
}

/** Slope and intercept of the 128-bit security curve (Concrete, Gaussian noise, binary keys). */
export const SECURITY_CURVE_128 = { a: -0.025696778711484593, b: 2.675931372549016, minDimension: 450 } as const;
/** Smallest allowed noise: σ/q ≥ 2^(2−64). */
export const MIN_LOG2_STD = 2 - 64;

/**
 * Minimum log2(σ/q) for a binary key of dimension `d` at 128-bit security:
 * max(a·d + b, 2 − 64).
 */
export function minLog2NoiseStd(dimension: number): number {
  return Math.max(SECURITY_CURVE_128.a * dimension + SECURITY_CURVE_128.b, MIN_LOG2_STD);
}

/** Minimum σ/q (fraction of q) for a binary key of dimension `d` at 128-bit security. */
export function minNoiseStd(dimension: number): number {
  return 2 ** minLog2NoiseStd(dimension);
}

/** Plain description of a parameter set (what the addon and the serializer read). */
export interface TfheParameterFields {
  /** n: dimension of the small LWE key (keyswitch output, PBS input). */
  lweDimension: number;
  /** k: number of GLWE mask polynomials. */
  glweDimension: number;
  /** N: polynomial size (power of two). */
  polynomialSize: number;
  /** log2 of the PBS gadget base B. */
  pbsBaseLog: number;
  /** Number of PBS decomposition levels ℓ. */
  pbsLevel: number;
  /** log2 of the keyswitch gadget base. */
  ksBaseLog: number;
  /** Number of keyswitch decomposition levels. */
  ksLevel: number;
  /** Noise standard deviation of LWE (small key) encryptions, as a fraction of q = 2^64. */
  lweNoiseStd: number;
  /** Noise standard deviation of GLWE (big key) encryptions, as a fraction of q = 2^64. */
  glweNoiseStd: number;
}

export interface KeySecurityReport {
  /** Key dimension d (n for the LWE key, kN for the GLWE key). */
  dimension: number;
  log2Std: number;
  /** Minimum log2(σ/q) the curve requires at this dimension. */
  requiredLog2Std: number;
  secure: boolean;
  reason?: string;
}

export interface SecurityReport {
  secure: boolean;
  lwe: KeySecurityReport;
  glwe: KeySecurityReport;
}

function checkKey(dimension: number, std: number): KeySecurityReport {
  const log2Std = Math.log2(std);
  const requiredLog2Std = minLog2NoiseStd(dimension);
  // Tolerate one ulp-level rounding of the published values.
  const tolerance = 1e-9;
  if (dimension < SECURITY_CURVE_128.minDimension) {
    return { dimension, log2Std, requiredLog2Std, secure: false,
      reason: `dimension ${dimension} is below ${SECURITY_CURVE_128.minDimension}, where the security curve is not valid` };
  }
  if (!(log2Std >= requiredLog2Std - tolerance)) {
    return { dimension, log2Std, requiredLog2Std, secure: false,
      reason: `log2(σ/q) = ${log2Std.toFixed(3)} is below the required ${requiredLog2Std.toFixed(3)} for dimension ${dimension}` };
  }
  return { dimension, log2Std, requiredLog2Std, secure: true };
}

/** Checks a parameter set against the 128-bit curve for both keys (d = n and d = kN). */
export function checkSecurity(p: TfheParameterFields): SecurityReport {
  const lwe = checkKey(p.lweDimension, p.lweNoiseStd);
  const glwe = checkKey(p.glweDimension * p.polynomialSize, p.glweNoiseStd);
  return { secure: lwe.secure && glwe.secure, lwe, glwe };
}

/**
 * Precision-independent TFHE parameters. Immutable; validated on construction (structure only —
 * use {@link checkSecurity} / {@link TfheParameters.assertSecure} for the security level).
 */
export class TfheParameters implements TfheParameterFields {
  readonly lweDimension: number;
  readonly glweDimension: number;
  readonly polynomialSize: number;
  readonly pbsBaseLog: number;
  readonly pbsLevel: number;
  readonly ksBaseLog: number;
  readonly ksLevel: number;
  readonly lweNoiseStd: number;
  readonly glweNoiseStd: number;
  /** Name of a published set, if any ("INSECURE_" prefix marks test-only sets). */
  readonly name: string | undefined;
  private readonly hashValue: bigint;

  constructor(fields: TfheParameterFields, name?: string) {
    this.lweDimension = fields.lweDimension;
    this.glweDimension = fields.glweDimension;
    this.polynomialSize = fields.polynomialSize;
    this.pbsBaseLog = fields.pbsBaseLog;
    this.pbsLevel = fields.pbsLevel;
    this.ksBaseLog = fields.ksBaseLog;
    this.ksLevel = fields.ksLevel;
    this.lweNoiseStd = fields.lweNoiseStd;
    this.glweNoiseStd = fields.glweNoiseStd;
    this.name = name;
    validateParameters(this);
    this.hashValue = fnv1a64(canonicalBytes(this));
    Object.freeze(this);
  }

  /** Dimension of the big LWE key (kN), where ciphertexts live between table lookups. */
  get bigDimension(): number {
    return this.glweDimension * this.polynomialSize;
  }

  /** Largest table precision p a PBS supports with these parameters (2^p ≤ N/2). */
  get maxPrecision(): number {
    return Math.log2(this.polynomialSize) - 1;
  }

  /**
   * Bytes per keyswitching-key word in evaluation keys: 4 when the key can be stored rounded to
   * its top 32 bits without effect (ksBaseLog·ksLevel ≤ 24 and lweNoiseStd ≥ 2^-28: rounding is
   * public post-processing, adding < 2^-40 of keyswitch variance), else 8. Mirrors the addon.
   */
  get keyswitchKeyWordBytes(): 4 | 8 {
    return keyswitchKeyWordBytes(this.ksBaseLog, this.ksLevel, this.lweNoiseStd);
  }

  /** Plain fields, as passed to the addon. */
  raw(): TfheParameterFields {
    return {
      lweDimension: this.lweDimension,
      glweDimension: this.glweDimension,
      polynomialSize: this.polynomialSize,
      pbsBaseLog: this.pbsBaseLog,
      pbsLevel: this.pbsLevel,
      ksBaseLog: this.ksBaseLog,
      ksLevel: this.ksLevel,
      lweNoiseStd: this.lweNoiseStd,
      glweNoiseStd: this.glweNoiseStd,
    };
  }

  /** 64-bit FNV-1a hash of the canonical encoding; stored in every serialized artifact. */
  hash(): bigint {
    return this.hashValue;
  }

  equals(other: TfheParameterFields): boolean {
    const a = this.raw() as unknown as Record<string, number>;
    const b = other as unknown as Record<string, number>;
    return Object.keys(a).every((k) => a[k] === b[k]);
  }

  security(): SecurityReport {
    return checkSecurity(this);
  }

  /** Throws unless both keys meet the 128-bit curve. */
  assertSecure(): void {
    const r = this.security();
    if (!r.secure) {
      const why = [r.lwe.reason, r.glwe.reason].filter((x) => x !== undefined).join("; ");
      throw new Error(`parameters${this.name ? ` ${this.name}` : ""} are not 128-bit secure: ${why}`);
    }
  }

  serialize(): Uint8Array {
    return native().paramsSerialize(this.raw());
  }

  static deserialize(bytes: Uint8Array): TfheParameters {
    return new TfheParameters(native().paramsDeserialize(bytes));
  }

  /** Native-facing copy. */
  toRaw(): RawParams {
    return this.raw();
  }

  toString(): string {
    return `TfheParameters${this.name ? `(${this.name})` : ""}{n=${this.lweDimension}, k=${this.glweDimension}, ` +
      `N=${this.polynomialSize}, pbs=2^${this.pbsBaseLog}x${this.pbsLevel}, ks=2^${this.ksBaseLog}x${this.ksLevel}, ` +
      `log2σ_lwe=${Math.log2(this.lweNoiseStd).toFixed(2)}, log2σ_glwe=${Math.log2(this.glweNoiseStd).toFixed(2)}}`;
  }
}
