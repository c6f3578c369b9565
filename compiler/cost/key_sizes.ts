// Key and ciphertext sizes of one parameter set, in bytes, from the runtime's own layouts
// (runtime/sizes.ts): what the client keeps, what it sends, what the server holds.
import { type TfheParameterFields, ciphertextBytes, evaluationKeySize, secretKeySize, seededEvaluationKeySize } from "../../runtime/index.js";

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
  /** One encrypted value under the big key (how inputs are sent and outputs returned). */
  readonly bytesPerValue: number;
}

export function keySizes(p: TfheParameterFields): KeySizes {
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
    bytesPerValue: ciphertextBytes(p.glweDimension * p.polynomialSize),
  };
}

/** Ciphertext bytes per sample, sent (inputs) and returned (outputs), framing excluded. */
export interface SampleSizes {
  readonly inputBytesPerSample: number;
  readonly outputBytesPerSample: number;
}

export function sampleSizes(p: TfheParameterFields, inputValues: number, outputValues: number): SampleSizes {
  const v = ciphertextBytes(p.glweDimension * p.polynomialSize);
  return { inputBytesPerSample: inputValues * v, outputBytesPerSample: outputValues * v };
}
