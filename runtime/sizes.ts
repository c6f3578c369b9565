// Exact byte sizes of the runtime's keys and ciphertexts, in memory and serialized, from the
// parameters alone (no key needed). The layouts are those of native/src/serialize.cpp (framing) and
// native/src/params.hpp (word counts); tests/runtime/sizes.test.ts pins both to real serializations.
import { bootstrapKeyBytes, bootstrapKeyGgswCount, keyswitchKeyBytes } from "../crypto-model/index.js";
import { TfheParameters, type TfheParameterFields } from "./parameters.js";

/** Every artifact starts with "FHEC", a 4-byte kind, u32 version, u32 reserved, u64 parameter hash. */
const HEADER_BYTES = 24;
/** The embedded parameter set: 8 × u32 then 2 × f64. */
const PARAMS_BYTES = 8 * 4 + 2 * 8;
/** Each array is preceded by its u64 element count. */
const COUNT_BYTES = 8;
/** Public seed from which seeded keys regenerate their masks. */
const SEED_BYTES = 32;

function params(p: TfheParameterFields): TfheParameters {
  return p instanceof TfheParameters ? p : new TfheParameters(p);
}

/** Secret key: one byte per key bit, the LWE key (n) then the GLWE key (kN). */
export interface SecretKeySize {
  readonly serialized: number;
}

export function secretKeySize(fields: TfheParameterFields): SecretKeySize {
  const p = params(fields);
  return { serialized: HEADER_BYTES + PARAMS_BYTES + COUNT_BYTES + p.lweDimension + COUNT_BYTES + p.bigDimension };
}

/** Sizes of one pair of evaluation keys (keyswitching + bootstrapping). */
export interface KeyPairSize {
  /** Keyswitching-key payload bytes. */
  readonly keyswitchKey: number;
  /** Bootstrapping-key payload bytes. */
  readonly bootstrapKey: number;
  /** Bytes the runtime allocates for the pair (payloads as held in memory). */
  readonly inMemory: number;
  /** Bytes of the serialized artifact (payloads, counts, header, parameters, seed). */
  readonly serialized: number;
}

/**
 * Seeded evaluation keys, as the client sends them: the mask seed and the bodies only —
 * kN·ℓ_KS keyswitching bodies (stored in 4 bytes when the runtime keeps the key rounded to 32 bits,
 * see TfheParameters.keyswitchKeyWordBytes) and G·(k+1)·ℓ_PBS·N bootstrapping bodies of 8 bytes (G GGSWs: n, or (n/g)(2^g − 1) multi-bit).
 * In memory the runtime holds every body as a u64.
 */
export function seededEvaluationKeySize(fields: TfheParameterFields): KeyPairSize {
  const p = params(fields);
  const kskBodies = p.bigDimension * p.ksLevel;
  const bskBodies = bootstrapKeyGgswCount(p) * (p.glweDimension + 1) * p.pbsLevel * p.polynomialSize;
  const keyswitchKey = kskBodies * p.keyswitchKeyWordBytes;
  const bootstrapKey = bskBodies * 8;
  return {
    keyswitchKey,
    bootstrapKey,
    inMemory: (kskBodies + bskBodies) * 8 + SEED_BYTES,
    serialized: HEADER_BYTES + PARAMS_BYTES + SEED_BYTES + COUNT_BYTES + keyswitchKey + COUNT_BYTES + bootstrapKey,
  };
}

/**
 * Expanded evaluation keys, as the server holds them: the keyswitching key of kN·ℓ_KS LWE
 * ciphertexts of n + 1 words, and the bootstrapping key in the Fourier domain, G·(k+1)·ℓ_PBS
 * GLWE rows of (k+1) polynomials of N/2 complex f64 (N doubles each).
 */
export function evaluationKeySize(fields: TfheParameterFields): KeyPairSize {
  const p = params(fields);
  const keyswitchKey = keyswitchKeyBytes(p.bigDimension, p.lweDimension, p.ksBaseLog, p.ksLevel, p.lweNoiseStd);
  const bootstrapKey = bootstrapKeyBytes(p);
  return {
    keyswitchKey,
    bootstrapKey,
    inMemory: keyswitchKey + bootstrapKey,
    serialized: HEADER_BYTES + PARAMS_BYTES + COUNT_BYTES + keyswitchKey + COUNT_BYTES + bootstrapKey,
  };
}

/** Bytes of one LWE ciphertext of the given dimension (mask of `dimension` words and a body). */
export function ciphertextBytes(dimension: number): number {
  return (dimension + 1) * 8;
}

/** Bytes of a serialized ciphertext tensor: header, dimension, rank, shape, count, then the words. */
export function ciphertextTensorBytes(dimension: number, shape: readonly number[]): number {
  const count = shape.reduce((a, b) => a * b, 1);
  return HEADER_BYTES + 8 + 4 + 8 * shape.length + COUNT_BYTES + count * ciphertextBytes(dimension);
}

/** Bytes one value costs in a seeded tensor: its body (the mask comes from the tensor's seed). */
export const SEEDED_BODY_BYTES = 8;

/** Bytes of a seeded tensor before its shape: header, dimension, rank (runtime/seeded_ciphertext.ts). */
export const SEEDED_CIPHERTEXT_PREFIX_BYTES = HEADER_BYTES + 8 + 4;

/**
 * Bytes of a serialized seeded ciphertext tensor (what a client sends): prefix, shape, the mask
 * seed, count, then one 8-byte body per value — independent of the LWE dimension.
 */
export function seededCiphertextTensorBytes(shape: readonly number[]): number {
  const count = shape.reduce((a, b) => a * b, 1);
  return SEEDED_CIPHERTEXT_PREFIX_BYTES + 8 * shape.length + SEED_BYTES + COUNT_BYTES + SEEDED_BODY_BYTES * count;
}

/** A conversion keyswitching key (big key of `from` → small key of `to`, runtime/key_set.ts). */
export interface ConversionKeySize {
  /** Bytes of its entry in a serialized seeded key set: header, seed, bodies. */
  readonly seeded: number;
  /** Bytes the server holds once expanded. */
  readonly inMemory: number;
}

/** The fixed part of a conversion key's entry in a key set: six u32, two u64 hashes, the seed. */
const CONVERSION_HEADER_BYTES = 6 * 4 + 2 * 8 + SEED_BYTES;
/** A key set's header (magic, version, kind, counts) and each partition's (hash, length). */
const KEY_SET_HEADER_BYTES = 8 + 4 * 4;
const KEY_SET_PART_BYTES = 16;

export function conversionKeySize(from: TfheParameterFields, to: TfheParameterFields, ksBaseLog: number, ksLevel: number): ConversionKeySize {
  const rows = from.glweDimension * from.polynomialSize * ksLevel;
  return {
    seeded: CONVERSION_HEADER_BYTES + rows * 8,
    inMemory: keyswitchKeyBytes(from.glweDimension * from.polynomialSize, to.lweDimension, ksBaseLog, ksLevel, to.lweNoiseStd),
  };
}

/**
 * Bytes of a serialized seeded key set (what `fhec keygen` writes inside eval.key's envelope): a
 * single partition without conversions is the single key's own serialization; otherwise the set
 * framing, every partition's seeded keys and every conversion key. The output key (`outputKey`,
 * the last partition when present) holds no evaluation keys: only conversion keys lead to it.
 */
export function seededKeySetBytes(partitions: readonly TfheParameterFields[], conversions: readonly { from: number; to: number; ksBaseLog: number; ksLevel: number }[], outputKey?: number): number {
  const stored = outputKey === undefined ? partitions : partitions.slice(0, outputKey);
  const keys = stored.reduce((t, p) => t + seededEvaluationKeySize(p).serialized, 0);
  if (partitions.length === 1 && conversions.length === 0) return keys;
  const convs = conversions.reduce((t, c) => t + conversionKeySize(partitions[c.from]!, partitions[c.to]!, c.ksBaseLog, c.ksLevel).seeded, 0);
  return KEY_SET_HEADER_BYTES + KEY_SET_PART_BYTES * stored.length + keys + convs;
}
