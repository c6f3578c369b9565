// Key and ciphertext sizes of one parameter set, in bytes, from the runtime's own layouts
// (runtime/sizes.ts): what the client keeps, what it sends, what the server holds.
import { type TfheParameterFields, ciphertextBytes, evaluationKeySize, SEEDED_BODY_BYTES, secretKeySize, seededEvaluationKeySize } from "../../backends/tfhe/index.js";

export interface KeySizes {
  /** Serialized secret key (stays on the client). */
  readonly secretKey: number;
  /** Expanded keys as the server holds them: Fourier bootstrapping key and keyswitching key. */
  readonly bootstrapKey: number;
  readonly keyswitchKey: number;
  /** Expanded keys in server memory (bootstrapKey + keyswitchKey). */
  readonly total: number;
  /** Seeded keys as the client sends them: bodies only, masks regenerated from one seed. */
  readonly seededBootstrapKey: number;
  readonly seededKeyswitchKey: number;
  /**
   * The serialized seeded keys (bodies, seed, framing): the bytes sent once per client. The
   * deployment files wrap them in a header of a few hundred bytes (compiler/deploy/artifacts.ts).
   */
  readonly totalSeeded: number;
  /** Seeded keys as parsed in memory (every body a 64-bit word). */
  readonly seededInMemory: number;
  /**
   * The largest single key's seeded form, serialized (one partition's keys: what key generation
   * holds at once, writing one partition at a time) and in memory.
   */
  readonly largestSeeded: number;
  readonly largestSeededInMemory: number;
}

/** `outputKey`: a key that only receives results (passes/params/output_key.ts): its secret key, no evaluation keys. */
export function keySizes(p: TfheParameterFields, outputKey = false): KeySizes {
  if (outputKey) {
    const none = { bootstrapKey: 0, keyswitchKey: 0, total: 0, seededBootstrapKey: 0, seededKeyswitchKey: 0, totalSeeded: 0, seededInMemory: 0, largestSeeded: 0, largestSeededInMemory: 0 };
    return { secretKey: secretKeySize(p).serialized, ...none };
  }
  const expanded = evaluationKeySize(p);
  const seeded = seededEvaluationKeySize(p);
  return {
    secretKey: secretKeySize(p).serialized,
    bootstrapKey: expanded.bootstrapKey,
    keyswitchKey: expanded.keyswitchKey,
    total: expanded.inMemory,
    seededBootstrapKey: seeded.bootstrapKey,
    seededKeyswitchKey: seeded.keyswitchKey,
    totalSeeded: seeded.serialized,
    seededInMemory: seeded.inMemory,
    largestSeeded: seeded.serialized,
    largestSeededInMemory: seeded.inMemory,
  };
}

/**
 * Keys of several parameter sets held together (a partitioned circuit), plus extra keyswitching
 * keys (conversions between partitions: bytes in memory, and serialized seeded bytes including
 * the key set's own framing, see runtime seededKeySetBytes). The largest single key is a
 * partition's: a conversion key is a few hundred KiB of bodies next to GiB of bootstrapping key.
 */
export function combineKeySizes(parts: readonly KeySizes[], extraKeyswitch: { readonly inMemory: number; readonly seeded: number } = { inMemory: 0, seeded: 0 }): KeySizes {
  if (parts.length === 0) throw new RangeError("combineKeySizes needs at least one key set");
  const sum = (f: (k: KeySizes) => number) => parts.reduce((s, k) => s + f(k), 0);
  return {
    secretKey: sum((k) => k.secretKey),
    bootstrapKey: sum((k) => k.bootstrapKey),
    keyswitchKey: sum((k) => k.keyswitchKey) + extraKeyswitch.inMemory,
    total: sum((k) => k.total) + extraKeyswitch.inMemory,
    seededBootstrapKey: sum((k) => k.seededBootstrapKey),
    seededKeyswitchKey: sum((k) => k.seededKeyswitchKey) + extraKeyswitch.seeded,
    totalSeeded: sum((k) => k.totalSeeded) + extraKeyswitch.seeded,
    seededInMemory: sum((k) => k.seededInMemory) + extraKeyswitch.seeded,
    largestSeeded: Math.max(...parts.map((k) => k.largestSeeded)),
    largestSeededInMemory: Math.max(...parts.map((k) => k.largestSeededInMemory)),
  };
}

/**
 * Ciphertext bytes per sample, framing excluded: sent (inputs, seeded: one 8-byte body per value)
 * and returned (outputs: one ciphertext per value, of the dimension its key has when it returns —
 * n after the keyswitch that compacts it, kN for a circuit without PBS).
 */
export interface SampleSizes {
  readonly inputBytesPerSample: number;
  readonly outputBytesPerSample: number;
}

export function sampleSizes(inputValues: number, outputs: readonly { readonly values: number; readonly dimension: number }[]): SampleSizes {
  return {
    inputBytesPerSample: inputValues * SEEDED_BODY_BYTES,
    outputBytesPerSample: outputs.reduce((t, o) => t + o.values * ciphertextBytes(o.dimension), 0),
  };
}
