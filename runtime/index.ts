// fhec native TFHE runtime: public API.
//
//   const params = parametersForPrecision(4);
//   const client = ClientKey.generate(params);                // client side
//   const seeded = await client.generateSeededEvaluationKeys(); // send seeded.serialize()
//   const server = await seeded.expand();                     // server side, once
//   const ct = client.encrypt([3, 7], 4);
//   const out = await server.applyLookupTable(ct, lookupTables(table, 4));
//   client.decrypt(out, 4);
import { native } from "./native.js";

export { asInvalidData, InvalidDataError } from "./errors.js";
export { LweCiphertextTensor, shapeSize, type KeyKind } from "./ciphertext.js";
export { SeededLweCiphertextTensor } from "./seeded_ciphertext.js";
export { checkPrecision, decode, delta, encode, encodeTable, torusError } from "./encoding.js";
export {
  ClientKey, EvaluationKeys, lookupTables, SeededEvaluationKeys,
  type EvaluationKeySizes, type KeyGenOptions, type LookupTables,
} from "./keys.js";
export {
  ClientKeySet, ConversionKey, EvaluationKeySet, KEY_SET_FORMAT_VERSION, SeededConversionKey, SeededEvaluationKeySet,
  type ConversionKeySpec, type SeededKeyGenOptions,
} from "./key_set.js";
export * as noise from "../crypto-model/noise.js";
export {
  bytesStream, collect, concatStreams, DEFAULT_CHUNK_BYTES, NativeParser, parseChunks, setBufferLimitForTests, sha256Of,
  type ByteStream, type ChunkSink,
} from "./stream.js";
export { add, addClear, conv2d, dot, matmul, mulClear, negate, sub, type Conv2dOptions } from "./ops.js";
export * from "./parameter_sets.js";
export {
  ciphertextBytes, ciphertextTensorBytes, conversionKeySize, evaluationKeySize, SEEDED_BODY_BYTES, seededCiphertextTensorBytes, seededKeySetBytes,
  type ConversionKeySize, secretKeySize, seededEvaluationKeySize,
  type KeyPairSize, type SecretKeySize,
} from "./sizes.js";
export { TfheParameters } from "./parameters.js";
export {
  assertSecureParameters, checkSecurity, keyswitchKeyWordBytes, minLog2Std, minNoiseStd, SECURITY_CURVE, validateParameters,
  type KeyCheck, type SecurityCheck, type TfheParameterFields,
} from "../crypto-model/index.js";

/** Kernel selection and CPU features of the loaded addon. */
export interface RuntimeInfo {
  /** "avx512", "avx2" or "scalar". */
  kernel: string;
  avx2: boolean;
  avx512: boolean;
  threads: number;
}

export function runtimeInfo(): RuntimeInfo {
  const i = native().kernelInfo();
  return { kernel: i.active, avx2: i.avx2, avx512: i.avx512, threads: i.threads };
}

/**
 * Forces a kernel: "auto" (best available), "scalar" (portable fallback), "avx2" or "avx512".
 * The environment variable FHEC_RUNTIME_KERNEL sets the initial choice. Returns the active kernel.
 */
export function setKernel(name: "auto" | "scalar" | "avx2" | "avx512"): string {
  return native().setKernel(name);
}

/** Size of the addon's thread pool (0 = number of cores). Returns the effective size. */
export function setThreads(count: number): number {
  return native().setThreads(count);
}

/**
 * Whether a lone PBS at N ≥ 8192 shares its blind rotation with a second thread: "auto" (the
 * default) does so when a core looks idle (1-minute load average below the CPU count − ½), "always"
 * and "never" force it (tests, benchmarks). The result is bit-identical either way.
 */
export function setSharedPbs(mode: "auto" | "always" | "never"): void {
  native().setSharedPbs(mode);
}

/** Known-answer and statistical hooks into the native generator (used by the test suite). */
export const randomness = {
  /** RFC 8439 ChaCha20 block function: 32-byte key, 32-bit counter, 12-byte nonce → 64 bytes. */
  chacha20Block(key: Uint8Array, counter: number, nonce: Uint8Array): Uint8Array {
    return native().chacha20Block(key, counter, nonce);
  },
  /** `count` words of the CSPRNG stream `stream` (OS-seeded unless a test seed is given). */
  csprngWords(count: number, stream = 0, insecureTestSeed?: Uint8Array): BigUint64Array {
    return native().csprngU64(count, stream, insecureTestSeed);
  },
  /** Torus Gaussian samples with standard deviation `std` (fraction of q), OS-seeded. */
  torusGaussian(std: number, count: number): BigUint64Array {
    return native().sampleGaussian(std, count);
  },
};
