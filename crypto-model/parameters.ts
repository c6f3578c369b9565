// The fields of a TFHE parameter set and their structural rules. One definition: the optimizer,
// the noise and security models, the runtime and the artifact readers all use these. The native
// addon re-checks the same rules (runtime/native/src/params.hpp) on everything it receives.

/** A precision-independent TFHE parameter set (atomic pattern: keyswitch kN→n, PBS n→kN). */
export interface TfheParameterFields {
  /** n: dimension of the small LWE key (keyswitch output, PBS input). */
  readonly lweDimension: number;
  /** k: number of GLWE mask polynomials. */
  readonly glweDimension: number;
  /** N: polynomial size (power of two). */
  readonly polynomialSize: number;
  /** log2 of the PBS gadget base B. */
  readonly pbsBaseLog: number;
  /** Number of PBS decomposition levels ℓ. */
  readonly pbsLevel: number;
  /** log2 of the keyswitch gadget base. */
  readonly ksBaseLog: number;
  /** Number of keyswitch decomposition levels. */
  readonly ksLevel: number;
  /**
   * Mask bits the blind rotation consumes per step: 1 (absent) is the classic PBS; 2..4 is the
   * multi-bit PBS, whose bootstrapping key holds 2^g − 1 GGSWs per group of g key bits (n must be
   * a multiple of g). It changes the key, the noise and the cost, not the ciphertexts.
   */
  readonly pbsGroupingFactor?: number;
  /** σ of small-key (LWE) encryptions, i.e. of the keyswitching key, as a fraction of q = 2^64. */
  readonly lweNoiseStd: number;
  /** σ of big-key (GLWE) encryptions: bootstrapping key and fresh inputs, fraction of q. */
  readonly glweNoiseStd: number;
}

/** Field names in canonical order (the order of the serialized encoding). */
export const PARAMETER_INTEGER_FIELDS = [
  "lweDimension", "glweDimension", "polynomialSize", "pbsBaseLog", "pbsLevel", "ksBaseLog", "ksLevel", "pbsGroupingFactor",
] as const;
export const PARAMETER_NOISE_FIELDS = ["lweNoiseStd", "glweNoiseStd"] as const;

/** Structural limits (the addon enforces the same ones). */
export const PARAMETER_LIMITS = Object.freeze({
  lweDimension: [1, 16384],
  glweDimension: [1, 16],
  polynomialSize: [64, 131072],
  pbsBaseLog: [1, 52],
  pbsLevel: [1, 64],
  ksBaseLog: [1, 63],
  ksLevel: [1, 64],
  pbsGroupingFactor: [1, 4],
  /** k·N, the big key's dimension. */
  maxBigDimension: 262144,
  /** β·ℓ of either decomposition cannot keep more than the 64 bits of the torus. */
  maxDecompositionBits: 64,
});

const isPow2 = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;

/** Structural validation; throws naming the offending field. Says nothing about security. */
export function validateParameters(p: TfheParameterFields): void {
  const fail = (m: string): never => {
    throw new Error(`invalid TFHE parameters: ${m}`);
  };
  const record = p as unknown as Record<string, unknown>;
  const int = (name: (typeof PARAMETER_INTEGER_FIELDS)[number]): number => {
    const [lo, hi] = PARAMETER_LIMITS[name];
    const x = record[name];
    if (typeof x !== "number" || !Number.isInteger(x) || x < lo || x > hi) fail(`${name} must be an integer in [${lo}, ${hi}], got ${String(x)}`);
    return x as number;
  };
  int("lweDimension");
  const k = int("glweDimension");
  const N = int("polynomialSize");
  if (!isPow2(N)) fail(`polynomialSize must be a power of two, got ${N}`);
  if (k * N > PARAMETER_LIMITS.maxBigDimension) fail(`glweDimension * polynomialSize must be at most ${PARAMETER_LIMITS.maxBigDimension}, got ${k * N}`);
  const pb = int("pbsBaseLog");
  const pl = int("pbsLevel");
  if (pb * pl > PARAMETER_LIMITS.maxDecompositionBits) fail(`pbsBaseLog * pbsLevel must be at most 64, got ${pb} * ${pl}`);
  const kb = int("ksBaseLog");
  const kl = int("ksLevel");
  if (kb * kl > PARAMETER_LIMITS.maxDecompositionBits) fail(`ksBaseLog * ksLevel must be at most 64, got ${kb} * ${kl}`);
  if (record.pbsGroupingFactor !== undefined) {
    const g = int("pbsGroupingFactor");
    if (p.lweDimension % g !== 0) fail(`lweDimension must be a multiple of pbsGroupingFactor, got ${p.lweDimension} and ${g}`);
  }
  for (const f of PARAMETER_NOISE_FIELDS) {
    const x = record[f];
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0 || x >= 0.5) fail(`${f} must be a finite fraction of q in [0, 0.5), got ${String(x)}`);
  }
}

/**
 * Bytes per word of an expanded keyswitching key (the atomic pattern's, or a conversion key):
 * 4 when the decomposition keeps ≤ 24 bits and the key noise is ≥ 2^−28 — the key can then be
 * rounded to its top 32 bits as public post-processing, adding < 2^−40 of keyswitch variance —
 * else 8. The addon applies the same rule (params.hpp, ksk_compact_for).
 */
export function keyswitchKeyWordBytes(baseLog: number, level: number, noiseStd: number): 4 | 8 {
  return baseLog * level <= 24 && noiseStd >= 2 ** -28 ? 4 : 8;
}

/** The grouping factor g of the blind rotation (1 for the classic PBS). */
export function groupingFactor(p: Pick<TfheParameterFields, "pbsGroupingFactor">): number {
  return p.pbsGroupingFactor ?? 1;
}

/** GGSW encryptions in the bootstrapping key: n (classic), or (n/g)·(2^g − 1) (multi-bit). */
export function bootstrapKeyGgswCount(p: Pick<TfheParameterFields, "lweDimension" | "pbsGroupingFactor">): number {
  const g = groupingFactor(p);
  return g === 1 ? p.lweDimension : (p.lweDimension / g) * (2 ** g - 1);
}

/**
 * Bytes of an expanded keyswitching key in memory, from dimension `inputDimension` to a small key
 * of dimension n: inputDimension·ℓ LWE ciphertexts of n + 1 words (the atomic pattern's key, a
 * conversion key or an output key's).
 */
export function keyswitchKeyBytes(inputDimension: number, n: number, baseLog: number, level: number, noiseStd: number): number {
  return inputDimension * level * (n + 1) * keyswitchKeyWordBytes(baseLog, level, noiseStd);
}

/**
 * Bytes of an expanded bootstrapping key in memory: G·(k+1)·ℓ GLWE rows of (k+1) polynomials in
 * the Fourier domain (N/2 complex f64, N doubles each), G GGSWs (bootstrapKeyGgswCount).
 */
export function bootstrapKeyBytes(p: Pick<TfheParameterFields, "lweDimension" | "glweDimension" | "polynomialSize" | "pbsLevel" | "pbsGroupingFactor">): number {
  return bootstrapKeyGgswCount(p) * (p.glweDimension + 1) * p.pbsLevel * (p.glweDimension + 1) * p.polynomialSize * 8;
}
