// Loads the native TFHE addon (runtime/native/build/Release/fhec_runtime.node) and declares its
// raw interface. Everything here is internal: use the typed classes exported by runtime/index.ts.
import type { TfheParameterFields } from "../crypto-model/index.js";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Opaque handle to a native object (type-tagged; the addon rejects handles of the wrong kind). */
export type NativeHandle = { readonly __native: unique symbol };

/** Parameters as the addon reads them (see TfheParameters). */
/** The addon takes the plain parameter fields (mutable copy). */
export type RawParams = { -readonly [K in keyof TfheParameterFields]: TfheParameterFields[K] };

export interface KeySizes {
  params: RawParams;
  kskBytes: number;
  bskBytes: number;
}

export interface NativeAddon {
  kernelInfo(): { active: string; avx2: boolean; avx512: boolean; threads: number };
  setKernel(name: string): string;
  setThreads(n: number): number;
  setSharedPbs(mode: string): void;
  chacha20Block(key: Uint8Array, counter: number, nonce: Uint8Array): Uint8Array;
  csprngU64(count: number, stream: number, seed?: Uint8Array): BigUint64Array;
  sampleGaussian(std: number, count: number, seed?: Uint8Array): BigUint64Array;
  paramsValidate(p: RawParams): void;
  paramsHash(p: RawParams): bigint;
  paramsSerialize(p: RawParams): Uint8Array;
  paramsDeserialize(bytes: Uint8Array): RawParams;
  secretKeyGenerate(p: RawParams, seed?: Uint8Array): NativeHandle;
  secretKeyParams(sk: NativeHandle): RawParams;
  secretKeySerialize(sk: NativeHandle): Uint8Array;
  secretKeyDeserialize(bytes: Uint8Array, expectedHash?: bigint): NativeHandle;
  seededKeysGenerate(sk: NativeHandle, maskSeed?: Uint8Array, noiseSeed?: Uint8Array): NativeHandle;
  seededKeysGenerateAsync(sk: NativeHandle, maskSeed?: Uint8Array, noiseSeed?: Uint8Array): Promise<NativeHandle>;
  seededKeysExpand(k: NativeHandle): NativeHandle;
  seededKeysExpandAsync(k: NativeHandle): Promise<NativeHandle>;
  seededKeysInfo(k: NativeHandle): KeySizes & { seedBytes: number };
  seededKeysSerialize(k: NativeHandle): Uint8Array;
  seededKeysDeserialize(bytes: Uint8Array, expectedHash?: bigint): NativeHandle;
  evalKeysInfo(k: NativeHandle): KeySizes;
  evalKeysSerialize(k: NativeHandle): Uint8Array;
  evalKeysDeserialize(bytes: Uint8Array, expectedHash?: bigint): NativeHandle;
  encrypt(sk: NativeHandle, plain: BigUint64Array, big: boolean, seed?: Uint8Array): BigUint64Array;
  phase(sk: NativeHandle, ct: BigUint64Array, big: boolean): BigUint64Array;
  /** Seeded encryption: the bodies and the (public) mask seed, drawn from the OS unless given. */
  encryptSeeded(sk: NativeHandle, plain: BigUint64Array, big: boolean, maskSeed?: Uint8Array, noiseSeed?: Uint8Array): { seed: Uint8Array; bodies: BigUint64Array };
  /** Full ciphertexts (masks regenerated) of seeded bodies. */
  expandSeeded(seed: Uint8Array, dimension: number, bodies: BigUint64Array): BigUint64Array;
  keyswitch(ek: NativeHandle, ct: BigUint64Array, parallel?: boolean): BigUint64Array;
  keyswitchAsync(ek: NativeHandle, ct: BigUint64Array): Promise<BigUint64Array>;
  /** Conversion keyswitching key between two secret keys (key sets with several partitions). */
  conversionKeyCompact(baseLog: number, level: number, noiseStd: number): boolean;
  conversionKeyGenerate(from: NativeHandle, fromBig: boolean, to: NativeHandle, toBig: boolean, baseLog: number, level: number,
    maskSeed?: Uint8Array, noiseSeed?: Uint8Array): { maskSeed: Uint8Array; bodies: BigUint64Array; inputDimension: number; outputDimension: number; compact: boolean };
  /** A Uint32Array of top halves when the key is compact (32-bit storage), else a BigUint64Array. */
  conversionKeyExpand(inDim: number, outDim: number, baseLog: number, level: number, maskSeed: Uint8Array, bodies: BigUint64Array,
    compact: boolean): BigUint64Array | Uint32Array;
  conversionKeyswitchAsync(ksk: BigUint64Array | Uint32Array, inDim: number, outDim: number, baseLog: number, level: number, ct: BigUint64Array): Promise<BigUint64Array>;
  bootstrap(ek: NativeHandle, ct: BigUint64Array, tables: BigUint64Array, tableLength: number,
    index?: Uint32Array, parallel?: boolean): BigUint64Array;
  bootstrapAsync(ek: NativeHandle, ct: BigUint64Array, tables: BigUint64Array, tableLength: number,
    index?: Uint32Array): Promise<BigUint64Array>;
  ksPbs(ek: NativeHandle, ct: BigUint64Array, tables: BigUint64Array, tableLength: number,
    index?: Uint32Array, parallel?: boolean): BigUint64Array;
  ksPbsAsync(ek: NativeHandle, ct: BigUint64Array, tables: BigUint64Array, tableLength: number,
    index?: Uint32Array): Promise<BigUint64Array>;
  add(a: BigUint64Array, b: BigUint64Array, subtract: boolean): BigUint64Array;
  neg(a: BigUint64Array): BigUint64Array;
  addPlain(ct: BigUint64Array, dimension: number, plain: BigUint64Array): BigUint64Array;
  mulClear(ct: BigUint64Array, dimension: number, weights: BigInt64Array): BigUint64Array;
  matmul(ct: BigUint64Array, dimension: number, rows: number, inner: number, weights: BigInt64Array,
    cols: number): BigUint64Array;
  conv2d(ct: BigUint64Array, dimension: number, geometry: number[], kernel: BigInt64Array,
    bias?: BigUint64Array): BigUint64Array;
  ciphertextsSerialize(hash: bigint, dimension: number, shape: number[], data: BigUint64Array): Uint8Array;
  ciphertextsDeserialize(bytes: Uint8Array, expectedHash?: bigint): {
    paramHash: bigint;
    dimension: number;
    shape: number[];
    data: BigUint64Array;
  };
  /** A chunked serializer: kind "params" takes RawParams, key kinds a handle, "ciphertexts" (hash, dimension, shape, data). */
  sourceOf(kind: string, ...args: unknown[]): NativeHandle;
  sourceSize(source: NativeHandle): number;
  /** Fills `chunk` with the next bytes; returns how many (0 at the end). */
  sourceRead(source: NativeHandle, chunk: Uint8Array): number;
  parserOpen(kind: string, expectedHash?: bigint, totalBytes?: number): NativeHandle;
  parserPush(parser: NativeHandle, chunk: Uint8Array): void;
  /** The parsed object: a handle for keys, RawParams, or a ciphertext record. */
  parserFinish(parser: NativeHandle): unknown;
  setBufferLimitForTests(bytes: number): void;
  /** Bench probe: median µs of one forward / inverse FFT of size N (one thread), and peak FMA GFLOP/s. */
  benchKernels(polynomialSize: number, reps: number): { forwardUs: number; inverseUs: number; fmaGflops: number };
  /**
   * Frees a key's native memory now, or a source's hold on the key it reads (a key's memory goes
   * once the key and every source over it are released or collected); later uses of the handle throw.
   */
  release(handle: NativeHandle): void;
  /** Bytes of native memory held by live key and parser handles (what the garbage collector is told of). */
  nativeHeldBytes(): number;
}

/** A parsed ciphertext tensor as the addon returns it. */
export interface RawCiphertexts {
  paramHash: bigint;
  dimension: number;
  shape: number[];
  data: BigUint64Array;
}

const ADDON_RELATIVE = join("runtime", "native", "build", "Release", "fhec_runtime.node");

/** Walks up from this module's directory until runtime/native/build/Release/<addon> exists. */
function locateAddon(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  let dir = start;
  for (;;) {
    const candidate = join(dir, ADDON_RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(
    `fhec runtime: native addon not found (looked for ${ADDON_RELATIVE} in the parents of ${start}). ` +
      "Build it with `npm ci` or `npm run build:native` (needs a C++17 compiler and node-gyp).",
  );
}

let cached: NativeAddon | undefined;

/** The loaded addon (loaded once, on first use). */
export function native(): NativeAddon {
  if (cached === undefined) {
    const path = locateAddon();
    const require = createRequire(import.meta.url);
    cached = require(path) as NativeAddon;
  }
  return cached;
}
