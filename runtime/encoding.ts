// Plaintext encoding on the 2^64 torus with one padding bit: a p-bit message m is m·Δ with
// Δ = 2^64 / 2^(p+1). Integers may be negative (two's complement modulo 2^(p+1)).

const TWO64 = 1n << 64n;

export function checkPrecision(precision: number): void {
  if (!Number.isInteger(precision) || precision < 1 || precision > 16)
    throw new RangeError(`precision must be an integer in [1, 16], got ${precision}`);
}

/** Δ = 2^(63 − p) as a bigint. */
export function delta(precision: number): bigint {
  checkPrecision(precision);
  return 1n << BigInt(63 - precision);
}

function toBigInt(v: number | bigint, what: string): bigint {
  if (typeof v === "bigint") return v;
  if (!Number.isSafeInteger(v)) throw new RangeError(`${what} must be a safe integer, got ${v}`);
  return BigInt(v);
}

/** Encodes integers as torus values m·Δ mod 2^64. */
export function encode(values: ArrayLike<number | bigint>, precision: number): BigUint64Array {
  const d = delta(precision);
  const out = new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const m = toBigInt(values[i]!, "message");
    out[i] = BigInt.asUintN(64, m * d);
  }
  return out;
}

/**
 * Decodes torus phases: round(phase / Δ) mod 2^(p+1). Values ≥ 2^p mean the padding bit is set
 * (a negative result or an overflow).
 */
export function decode(phases: BigUint64Array, precision: number): number[] {
  const d = delta(precision);
  const modulus = 1n << BigInt(precision + 1);
  const out = new Array<number>(phases.length);
  for (let i = 0; i < phases.length; i++) {
    out[i] = Number(((phases[i]! + d / 2n) % TWO64 / d) % modulus);
  }
  return out;
}

/** Signed noise (phase − expected) as a fraction of q, for noise measurements. */
export function torusError(phase: bigint, expected: bigint): number {
  return Number(BigInt.asIntN(64, phase - expected)) / 2 ** 64;
}

/**
 * Encodes a lookup table for a PBS on p-bit inputs: entries are integers of `outputPrecision`
 * bits (default p), encoded with the output Δ. The table must have exactly 2^p entries.
 */
export function encodeTable(table: ArrayLike<number | bigint>, inputPrecision: number,
  outputPrecision: number = inputPrecision): BigUint64Array {
  checkPrecision(inputPrecision);
  if (table.length !== 2 ** inputPrecision)
    throw new RangeError(`a table for ${inputPrecision}-bit inputs needs ${2 ** inputPrecision} entries, got ${table.length}`);
  return encode(table, outputPrecision);
}
