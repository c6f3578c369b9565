// Client secret key and server evaluation keys. The secret key API is client-only: nothing on
// the server side (EvaluationKeys, SeededEvaluationKeys, ops) takes a ClientKey.
import { LweCiphertextTensor, shapeSize, type KeyKind } from "./ciphertext.js";
import { checkPrecision, decode, encode, encodeTable } from "./encoding.js";
import { type KeySizes, native, type NativeHandle } from "./native.js";
import { SeededLweCiphertextTensor } from "./seeded_ciphertext.js";
import { asInvalidData, InvalidDataError } from "./errors.js";
import { TfheParameters } from "./parameters.js";
import { assertSecureParameters } from "../crypto-model/index.js";
import { type ByteStream, nativeStream, NativeParser, parseChunks, sha256Of } from "./stream.js";

/**
 * The parameter set a key read from bytes announces, when the caller expects none in particular:
 * refused unless 128-bit secure (bytes can never carry a test-only set).
 */
function paramsOf(raw: ReturnType<ReturnType<typeof native>["secretKeyParams"]>): TfheParameters {
  const p = asInvalidData(() => new TfheParameters(raw));
  try {
    assertSecureParameters(p, `the parameters ${p.toString()} these keys were made for`);
  } catch (e) {
    throw new InvalidDataError((e as Error).message);
  }
  return p;
}

/**
 * Key generation refuses any set below the 128-bit curve, except a test-only one
 * (TfheParameters.isTestOnly): a set received from anyone else (a client spec, serialized keys)
 * is always checked.
 */
function assertGeneratable(params: TfheParameters): void {
  if (params.isTestOnly) return;
  try {
    params.assertSecure();
  } catch (e) {
    throw new InvalidDataError(`refusing to generate keys: ${(e as Error).message}`);
  }
}

function checkSeed(seed: Uint8Array | undefined, what: string): void {
  if (seed !== undefined && seed.length !== 32) throw new RangeError(`${what} must be 32 bytes`);
}

/** Options for key generation. */
export interface KeyGenOptions {
  /**
   * TESTS ONLY: deterministic seed (32 bytes). Without it (the default and the only option for
   * real use) the operating system's CSPRNG seeds every generator.
   */
  insecureTestSeed?: Uint8Array;
}

/** What every key object is: a parameter set and the native key it names, serialized as `artifact`. */
export abstract class NativeKey {
  protected constructor(
    readonly params: TfheParameters,
    /** @internal */
    readonly handle: NativeHandle,
    private readonly artifact: "secret-key" | "seeded-keys" | "eval-keys",
  ) {}

  abstract serialize(): Uint8Array;

  /** Frees the native memory now rather than at garbage collection; the object is unusable after. */
  release(): void {
    native().release(this.handle);
  }

  /** The same bytes as {@link serialize}, chunk by chunk. */
  stream(): ByteStream {
    return nativeStream(() => native().sourceOf(this.artifact, this.handle));
  }
}

/**
 * Evaluation keys, seeded or expanded: their parameters (when not given) and byte counts come
 * from what the addon reports of the native keys.
 */
export abstract class EvaluationKeyMaterial extends NativeKey {
  protected constructor(
    handle: NativeHandle,
    params: TfheParameters | undefined,
    artifact: "seeded-keys" | "eval-keys",
    private readonly info: (h: NativeHandle) => KeySizes & { readonly seedBytes?: number },
  ) {
    super(params ?? paramsOf(info(handle).params), handle, artifact);
  }

  /** Bytes of the keyswitching and bootstrapping keys (and, seeded, of the seed) as the addon holds them. */
  sizes(): EvaluationKeySizes {
    const i = this.info(this.handle);
    return { keyswitchingKey: i.kskBytes, bootstrappingKey: i.bskBytes, total: i.kskBytes + i.bskBytes + (i.seedBytes ?? 0) };
  }
}

/** Client secret key: binary LWE key (n) and GLWE key (k·N; the big LWE key). */
export class ClientKey extends NativeKey {
  private constructor(params: TfheParameters, handle: NativeHandle) {
    super(params, handle, "secret-key");
  }

  /** Generates a fresh secret key from the OS CSPRNG. */
  static generate(params: TfheParameters, options: KeyGenOptions = {}): ClientKey {
    checkSeed(options.insecureTestSeed, "insecureTestSeed");
    assertGeneratable(params);
    return new ClientKey(params, native().secretKeyGenerate(params.raw(), options.insecureTestSeed));
  }

  /** Seeded (compressed) evaluation keys: masks come from a fresh public seed; only bodies are stored. */
  async generateSeededEvaluationKeys(options: { insecureTestMaskSeed?: Uint8Array; insecureTestNoiseSeed?: Uint8Array } = {}):
    Promise<SeededEvaluationKeys> {
    checkSeed(options.insecureTestMaskSeed, "insecureTestMaskSeed");
    checkSeed(options.insecureTestNoiseSeed, "insecureTestNoiseSeed");
    const h = await native().seededKeysGenerateAsync(this.handle, options.insecureTestMaskSeed, options.insecureTestNoiseSeed);
    return SeededEvaluationKeys.fromHandle(h, this.params);
  }

  /** Full evaluation keys (generated seeded, then expanded). */
  async generateEvaluationKeys(): Promise<EvaluationKeys> {
    return (await this.generateSeededEvaluationKeys()).expand();
  }

  /**
   * Encrypts integers of `precision` bits (padding bit included in the encoding) under the big
   * key (default, where ciphertexts live between table lookups) or the small key.
   */
  encrypt(values: ArrayLike<number | bigint>, precision: number, options: { shape?: readonly number[]; key?: KeyKind } = {}):
    LweCiphertextTensor {
    const shape = options.shape ?? [values.length];
    if (shapeSize(shape) !== values.length)
      throw new RangeError(`shape [${shape.join(", ")}] does not match ${values.length} values`);
    checkPrecision(precision);
    return this.encryptEncoded(encode(values, precision), shape, options.key ?? "big");
  }

  /** Encrypts already-encoded torus values. */
  encryptEncoded(plaintexts: BigUint64Array, shape: readonly number[], key: KeyKind = "big"): LweCiphertextTensor {
    const big = key === "big";
    const data = native().encrypt(this.handle, plaintexts, big);
    const dim = big ? this.params.bigDimension : this.params.lweDimension;
    return new LweCiphertextTensor(shape, dim, this.params.hash(), data);
  }

  /**
   * Seeded encryption of already-encoded torus values: value i's mask is the CSPRNG stream i of a
   * fresh public seed, so only bodies are stored (8 bytes per value); `expand()` restores the
   * ciphertexts {@link encryptEncoded} would give for the same masks and noise.
   */
  encryptSeeded(plaintexts: BigUint64Array, shape: readonly number[], key: KeyKind = "big",
    options: { insecureTestMaskSeed?: Uint8Array; insecureTestNoiseSeed?: Uint8Array } = {}): SeededLweCiphertextTensor {
    checkSeed(options.insecureTestMaskSeed, "insecureTestMaskSeed");
    checkSeed(options.insecureTestNoiseSeed, "insecureTestNoiseSeed");
    const big = key === "big";
    const { seed, bodies } = native().encryptSeeded(this.handle, plaintexts, big, options.insecureTestMaskSeed, options.insecureTestNoiseSeed);
    const dim = big ? this.params.bigDimension : this.params.lweDimension;
    return new SeededLweCiphertextTensor(shape, dim, this.params.hash(), seed, bodies);
  }

  /** Raw phases b − ⟨a, s⟩ (message + noise on the torus). */
  phases(ct: LweCiphertextTensor): BigUint64Array {
    const kind = ct.keyKind(this.params);
    return native().phase(this.handle, ct.data, kind === "big");
  }

  /** Decrypts to integers: round(phase/Δ) mod 2^(p+1) (values ≥ 2^p have the padding bit set). */
  decrypt(ct: LweCiphertextTensor, precision: number): number[] {
    return decode(this.phases(ct), precision);
  }

  /** Secret key bytes (keep private). Separate from the evaluation keys. */
  serialize(): Uint8Array {
    return native().secretKeySerialize(this.handle);
  }

  /** Parses a secret key; with `params` the parameter hash must match. */
  static deserialize(bytes: Uint8Array | Iterable<Uint8Array>, params?: TfheParameters): ClientKey {
    if (!(bytes instanceof Uint8Array)) return parseChunks(ClientKey.parser(params), bytes);
    const h = asInvalidData(() => native().secretKeyDeserialize(bytes, params?.hash()));
    return new ClientKey(params ?? paramsOf(native().secretKeyParams(h)), h);
  }

  /** An incremental reader: push chunks, then finish (see {@link deserialize}). */
  static parser(params?: TfheParameters, totalBytes?: number): NativeParser<NativeHandle, ClientKey> {
    return new NativeParser("secret-key", (h: NativeHandle) => new ClientKey(params ?? paramsOf(native().secretKeyParams(h)), h),
      params?.hash(), totalBytes);
  }
}

/** Byte sizes of evaluation keys. */
export interface EvaluationKeySizes {
  keyswitchingKey: number;
  bootstrappingKey: number;
  total: number;
}

/**
 * Compressed evaluation keys: one 32-byte public seed regenerates every mask, so only bodies are
 * stored (BSK ÷ (k+1), KSK ÷ (n+1)). Send these to the server, which calls {@link expand} once.
 */
export class SeededEvaluationKeys extends EvaluationKeyMaterial {
  private constructor(handle: NativeHandle, params?: TfheParameters) {
    super(handle, params, "seeded-keys", (h) => native().seededKeysInfo(h));
  }

  /** @internal */
  static fromHandle(h: NativeHandle, params?: TfheParameters): SeededEvaluationKeys {
    return new SeededEvaluationKeys(h, params);
  }

  /** Regenerates the masks and converts the bootstrapping key to the Fourier domain (on all cores). */
  async expand(): Promise<EvaluationKeys> {
    return EvaluationKeys.fromHandle(await native().seededKeysExpandAsync(this.handle), this.params);
  }

  /** Synchronous {@link expand} (blocks the event loop). */
  expandSync(): EvaluationKeys {
    return EvaluationKeys.fromHandle(native().seededKeysExpand(this.handle), this.params);
  }

  serialize(): Uint8Array {
    return native().seededKeysSerialize(this.handle);
  }

  private digest: string | undefined;

  /**
   * Hex sha256 of the serialized keys (the key id clients and servers share), computed chunk by
   * chunk once. The format is canonical: parsed keys re-serialize to the bytes they came from.
   */
  sha256(): string {
    this.digest ??= sha256Of(this.stream());
    return this.digest;
  }

  /** @internal Records the sha256 a reader already computed over exactly these keys' bytes. */
  knownSha256(hex: string): this {
    this.digest = hex;
    return this;
  }

  static deserialize(bytes: Uint8Array | Iterable<Uint8Array>, params?: TfheParameters): SeededEvaluationKeys {
    if (!(bytes instanceof Uint8Array)) return parseChunks(SeededEvaluationKeys.parser(params), bytes);
    return SeededEvaluationKeys.fromHandle(asInvalidData(() => native().seededKeysDeserialize(bytes, params?.hash())), params);
  }

  /** An incremental reader: push chunks, then finish (see {@link deserialize}). */
  static parser(params?: TfheParameters, totalBytes?: number): NativeParser<NativeHandle, SeededEvaluationKeys> {
    return new NativeParser("seeded-keys", (h: NativeHandle) => SeededEvaluationKeys.fromHandle(h, params), params?.hash(), totalBytes);
  }

  /**
   * Reads serialized seeded keys and expands them as the chunks arrive, straight into the final
   * Fourier layout: the result equals `deserialize(bytes).expandSync()` without ever holding
   * the seeded keys whole. Pushes block while they expand (on all cores).
   */
  static expandingParser(params?: TfheParameters, totalBytes?: number): NativeParser<NativeHandle, EvaluationKeys> {
    return new NativeParser("seeded-keys-expanding", (h: NativeHandle) => EvaluationKeys.fromHandle(h, params), params?.hash(), totalBytes);
  }
}

/** A lookup table (or several) ready for the PBS. */
export interface LookupTables {
  /** Encoded entries: tableCount × 2^p torus values. */
  readonly encoded: BigUint64Array;
  /** 2^p. */
  readonly length: number;
  /** Optional table choice per ciphertext (Uint32Array of table indices). */
  readonly index?: Uint32Array;
}

/**
 * Builds lookup tables for p-bit inputs. `tables` is one table or several (then `index` picks one
 * per ciphertext, or there is one table per ciphertext). Entries are integers of
 * `outputPrecision` bits (default p).
 */
export function lookupTables(tables: ArrayLike<number | bigint> | readonly ArrayLike<number | bigint>[],
  inputPrecision: number, options: { outputPrecision?: number; index?: Uint32Array } = {}): LookupTables {
  const list = isTableList(tables) ? tables : [tables];
  const len = 2 ** inputPrecision;
  const encoded = new BigUint64Array(list.length * len);
  list.forEach((t, i) => encoded.set(encodeTable(t, inputPrecision, options.outputPrecision ?? inputPrecision), i * len));
  return options.index ? { encoded, length: len, index: options.index } : { encoded, length: len };
}

function isTableList(t: ArrayLike<number | bigint> | readonly ArrayLike<number | bigint>[]): t is readonly ArrayLike<number | bigint>[] {
  return Array.isArray(t) && t.length > 0 && typeof t[0] === "object";
}

/**
 * Server evaluation keys: keyswitching key (kN → n) and bootstrapping key in the Fourier domain.
 * All methods take and return big-key ciphertexts except {@link keyswitch} (→ small) and
 * {@link bootstrap} (small → big). Async methods run on the addon's thread pool without blocking
 * the event loop; *Sync variants block (fine for small work).
 */
export class EvaluationKeys extends EvaluationKeyMaterial {
  private constructor(handle: NativeHandle, params?: TfheParameters) {
    super(handle, params, "eval-keys", (h) => native().evalKeysInfo(h));
  }

  /** @internal */
  static fromHandle(h: NativeHandle, params?: TfheParameters): EvaluationKeys {
    return new EvaluationKeys(h, params);
  }

  private expect(ct: LweCiphertextTensor, kind: KeyKind, op: string): void {
    const got = ct.keyKind(this.params);
    if (got !== kind) throw new Error(`${op} expects ciphertexts under the ${kind} key, got ${got}-key ciphertexts`);
  }

  private wrap(shape: readonly number[], kind: KeyKind, data: BigUint64Array): LweCiphertextTensor {
    const dim = kind === "big" ? this.params.bigDimension : this.params.lweDimension;
    return new LweCiphertextTensor(shape, dim, this.params.hash(), data);
  }

  /** Keyswitch big-key ciphertexts (kN) to the small key (n). */
  async keyswitch(ct: LweCiphertextTensor): Promise<LweCiphertextTensor> {
    this.expect(ct, "big", "keyswitch");
    return this.wrap(ct.shape, "small", await native().keyswitchAsync(this.handle, ct.data));
  }

  keyswitchSync(ct: LweCiphertextTensor, options: { parallel?: boolean } = {}): LweCiphertextTensor {
    this.expect(ct, "big", "keyswitch");
    return this.wrap(ct.shape, "small", native().keyswitch(this.handle, ct.data, options.parallel ?? true));
  }

  /** Programmable bootstrapping of small-key ciphertexts (n) with a table; outputs big-key ciphertexts. */
  async bootstrap(ct: LweCiphertextTensor, tables: LookupTables): Promise<LweCiphertextTensor> {
    this.expect(ct, "small", "bootstrap");
    return this.wrap(ct.shape, "big",
      await native().bootstrapAsync(this.handle, ct.data, tables.encoded, tables.length, tables.index));
  }

  bootstrapSync(ct: LweCiphertextTensor, tables: LookupTables, options: { parallel?: boolean } = {}): LweCiphertextTensor {
    this.expect(ct, "small", "bootstrap");
    return this.wrap(ct.shape, "big",
      native().bootstrap(this.handle, ct.data, tables.encoded, tables.length, tables.index, options.parallel ?? true));
  }

  /**
   * Table lookup in the atomic pattern: keyswitch (kN → n) then PBS (n → kN) for every
   * ciphertext of the tensor, batched over all cores.
   */
  async applyLookupTable(ct: LweCiphertextTensor, tables: LookupTables): Promise<LweCiphertextTensor> {
    this.expect(ct, "big", "applyLookupTable");
    return this.wrap(ct.shape, "big",
      await native().ksPbsAsync(this.handle, ct.data, tables.encoded, tables.length, tables.index));
  }

  applyLookupTableSync(ct: LweCiphertextTensor, tables: LookupTables, options: { parallel?: boolean } = {}):
    LweCiphertextTensor {
    this.expect(ct, "big", "applyLookupTable");
    return this.wrap(ct.shape, "big",
      native().ksPbs(this.handle, ct.data, tables.encoded, tables.length, tables.index, options.parallel ?? true));
  }

  serialize(): Uint8Array {
    return native().evalKeysSerialize(this.handle);
  }

  static deserialize(bytes: Uint8Array | Iterable<Uint8Array>, params?: TfheParameters): EvaluationKeys {
    if (!(bytes instanceof Uint8Array)) return parseChunks(EvaluationKeys.parser(params), bytes);
    return EvaluationKeys.fromHandle(asInvalidData(() => native().evalKeysDeserialize(bytes, params?.hash())), params);
  }

  /** An incremental reader: push chunks, then finish (see {@link deserialize}). */
  static parser(params?: TfheParameters, totalBytes?: number): NativeParser<NativeHandle, EvaluationKeys> {
    return new NativeParser("eval-keys", (h: NativeHandle) => EvaluationKeys.fromHandle(h, params), params?.hash(), totalBytes);
  }
}
