// Per-value encoding of the tfhe backend: a p-bit message v (signed or not) is the torus value
// v·Δ_p mod 2^64 with Δ_p = 2^(63−p) (one padding bit; negative values in two's complement). This
// is runtime's `encode` (Δ = 2^64 / 2^(p+1)) extended to every width a value can have (1..62; the
// runtime's helpers stop at 16 because that is the widest table a PBS can read, while linear
// accumulators between tables are wider).

export const MAX_ENCODING_BITS = 62;

export function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1 || width > MAX_ENCODING_BITS) {
    throw new RangeError(`encoding precision must be an integer in [1, ${MAX_ENCODING_BITS}], got ${width}`);
  }
}

/** Δ_p = 2^(63 − p). */
export function deltaOf(width: number): bigint {
  checkWidth(width);
  return 1n << BigInt(63 - width);
}

/** v·Δ_p mod 2^64 for one integer (number must be a safe integer). */
export function encodeOne(value: number | bigint, width: number): bigint {
  const v = typeof value === "bigint" ? value : BigInt(value);
  return BigInt.asUintN(64, v * deltaOf(width));
}

/** Encodes integers at precision p. */
export function encodeAt(values: ArrayLike<number>, width: number): BigUint64Array {
  const d = deltaOf(width);
  const out = new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isSafeInteger(v)) throw new RangeError(`cannot encode ${v}: not a safe integer`);
    out[i] = BigInt.asUintN(64, BigInt(v) * d);
  }
  return out;
}

/**
 * Decodes phases at precision p: m = round(phase / Δ_p) mod 2^(p+1) (nearest; ties up). Signed
 * values are read in [−2^p, 2^p), unsigned ones in [0, 2^(p+1)); anything outside the p-bit range
 * of the type means an overflow (the padding bit was reached).
 */
export function decodeAt(phases: BigUint64Array, width: number, signed: boolean): Float64Array {
  const d = deltaOf(width);
  const half = d >> 1n;
  const shift = BigInt(63 - width);
  const modulus = 1n << BigInt(width + 1);
  const out = new Float64Array(phases.length);
  for (let i = 0; i < phases.length; i++) {
    let m = (BigInt.asUintN(64, phases[i]! + half) >> shift) % modulus;
    if (signed && m >= modulus >> 1n) m -= modulus;
    out[i] = Number(m);
  }
  return out;
}
