// Key sets for circuits with several parameter partitions: one secret key (and one pair of
// evaluation keys, BSK + KSK) per partition, plus the conversion keyswitching keys that move a
// ciphertext from partition A's big key to partition B's small key. A set with one partition and
// no conversion is exactly today's single key: it serializes to the single key's own bytes.
//
// Set format (little-endian; written and read as streams by key_set_format.ts): magic "FHECKSET", u32 version, u32 kind (1 secret, 2 seeded
// evaluation), u32 partitions, u32 conversions, then per partition u64 parameter hash, u64 length
// and the partition key's own serialization (which carries its own magic and hash), then per
// conversion u32 from, to, baseLog, level, inputDimension, outputDimension, u64 source and target
// parameter hashes, the 32-byte public mask seed and the inputDimension·level u64 bodies.
import { LweCiphertextTensor } from "./ciphertext.js";
import { ClientKey, EvaluationKeys, type KeyGenOptions, SeededEvaluationKeys } from "./keys.js";
import { type ConversionEntry, type ConversionKeySpec, isKeySet, KeySetParser, keySetStream, KeySetWriter, KIND_SECRET, KIND_SEEDED } from "./key_set_format.js";
import { native } from "./native.js";
import type { TfheParameters } from "./parameters.js";
import { seededKeySetBytes } from "./sizes.js";
import { type ByteStream, type ChunkSink, collect, parseChunks } from "./stream.js";

export { type ConversionKeySpec, KEY_SET_FORMAT_VERSION } from "./key_set_format.js";

/** TESTS ONLY seeds of seeded key generation (32 bytes each); the OS CSPRNG otherwise. */
export interface SeededKeyGenOptions {
  insecureTestMaskSeed?: Uint8Array;
  insecureTestNoiseSeed?: Uint8Array;
}

/**
 * The partitions that hold evaluation keys: all but the output key, a small key that only receives
 * the circuit's results through conversion keys (always the last, when there is one).
 */
function evaluated(params: readonly TfheParameters[], outputKey: number | undefined): readonly TfheParameters[] {
  if (outputKey === undefined) return params;
  if (outputKey !== params.length - 1 || params.length < 2) throw new RangeError(`the output key must be the last of ${params.length} keys, got index ${outputKey}`);
  return params.slice(0, outputKey);
}

function checkSpecs(params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[], outputKey?: number): void {
  if (params.length === 0) throw new RangeError("a key set needs at least one partition");
  const sources = evaluated(params, outputKey).length;
  const seen = new Set<string>();
  for (const c of conversions) {
    const ok = [c.from, c.to].every((i) => Number.isInteger(i) && i >= 0 && i < params.length) && c.from < sources;
    if (!ok || c.from === c.to) throw new RangeError(`conversion ${c.from} → ${c.to} does not join two partitions of ${params.length}`);
    if (!(Number.isInteger(c.baseLog) && Number.isInteger(c.level) && c.baseLog >= 1 && c.level >= 1 && c.baseLog * c.level <= 64)) {
      throw new RangeError(`conversion ${c.from} → ${c.to}: invalid decomposition 2^${c.baseLog}×${c.level}`);
    }
    const key = `${c.from}>${c.to}`;
    if (seen.has(key)) throw new RangeError(`conversion ${key} is listed twice`);
    seen.add(key);
  }
}

/** Seeds for tests derived per component, so one test seed still gives independent keys. */
function subSeed(seed: Uint8Array | undefined, index: number): Uint8Array | undefined {
  if (!seed) return undefined;
  const out = Uint8Array.from(seed);
  out[31] = out[31]! ^ (index + 1);
  out[30] = out[30]! ^ 0xa5;
  return out;
}

/** What every key set is: one key per partition (in partition order) and the conversion keys. */
export abstract class PartitionKeys<K extends { readonly params: TfheParameters }, C> {
  constructor(
    readonly keys: readonly K[],
    readonly conversions: readonly C[],
  ) {}

  /** The parameter set of every partition, in partition order. */
  get params(): readonly TfheParameters[] {
    return this.keys.map((k) => k.params);
  }
}

/** Client side: the secret keys of every partition. */
export class ClientKeySet extends PartitionKeys<ClientKey, ConversionKeySpec> {
  private constructor(
    keys: readonly ClientKey[],
    conversions: readonly ConversionKeySpec[],
    /** Index of the output key (no evaluation keys of its own), if the set has one. */
    readonly outputKey?: number,
  ) {
    super(keys, conversions);
  }

  static generate(params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[] = [], options: KeyGenOptions = {}, outputKey?: number): ClientKeySet {
    checkSpecs(params, conversions, outputKey);
    const seed = options.insecureTestSeed;
    // Partition 0 uses the caller's seed itself: a one-partition set is the single key of today.
    const keys = params.map((p, i) => ClientKey.generate(p, i === 0 || !seed ? (seed ? { insecureTestSeed: seed } : {}) : { insecureTestSeed: subSeed(seed, i)! }));
    return new ClientKeySet(keys, conversions, outputKey);
  }

  static of(keys: readonly ClientKey[], conversions: readonly ConversionKeySpec[] = [], outputKey?: number): ClientKeySet {
    checkSpecs(keys.map((k) => k.params), conversions, outputKey);
    return new ClientKeySet([...keys], conversions, outputKey);
  }

  key(partition: number): ClientKey {
    return partitionKey(this.keys, partition);
  }

  /** Seeded evaluation keys of every partition and the conversion keys (what the server gets), all held at once. */
  async generateSeededEvaluationKeys(options: SeededKeyGenOptions = {}): Promise<SeededEvaluationKeySet> {
    const keys: SeededEvaluationKeys[] = [];
    const conversions: SeededConversionKey[] = [];
    for await (const piece of this.seededPieces(options)) {
      if (piece instanceof SeededConversionKey) conversions.push(piece);
      else keys.push(piece);
    }
    return new SeededEvaluationKeySet(keys, conversions);
  }

  /**
   * Generates the seeded evaluation keys and passes their serialization to `write` as it is
   * produced: one partition's keys, then one conversion key, at a time, each released once
   * written, so memory holds the largest partition's keys at most, never the set. The bytes are
   * those of `generateSeededEvaluationKeys(options).serialize()` ({@link ClientKeySet.seededEvaluationKeyBytes}
   * of them); returns their count.
   */
  async writeSeededEvaluationKeys(write: (chunk: Uint8Array) => void, options: SeededKeyGenOptions = {}): Promise<number> {
    const writer = new KeySetWriter(KIND_SEEDED, evaluated(this.params, this.outputKey).length, this.conversions.length, write);
    for await (const piece of this.seededPieces(options)) {
      if (piece instanceof SeededConversionKey) {
        writer.conversion(conversionEntry(piece));
      } else {
        try {
          writer.part(piece.params.hash(), piece.stream());
        } finally {
          piece.release();
        }
      }
    }
    const n = writer.finish();
    const want = ClientKeySet.seededEvaluationKeyBytes(this.params, this.conversions, this.outputKey);
    if (n !== want) throw new Error(`internal error: the seeded key set is ${n} bytes, its size says ${want}`);
    return n;
  }

  /**
   * Bytes of the serialized seeded evaluation keys of a set of these partitions, conversions and
   * output key (known before any key exists).
   */
  static seededEvaluationKeyBytes(params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[], outputKey?: number): number {
    return seededKeySetBytes(params, conversions.map((c) => ({ from: c.from, to: c.to, ksBaseLog: c.baseLog, ksLevel: c.level })), outputKey);
  }

  /** The seeded keys one piece at a time, in set order: every partition's (the output key has none), then every conversion key. */
  private async *seededPieces(options: SeededKeyGenOptions): AsyncGenerator<SeededEvaluationKeys | SeededConversionKey> {
    for (const [i, k] of this.keys.entries()) {
      if (i === this.outputKey) continue;
      const o: SeededKeyGenOptions = {};
      const m = i === 0 ? options.insecureTestMaskSeed : subSeed(options.insecureTestMaskSeed, i);
      const n = i === 0 ? options.insecureTestNoiseSeed : subSeed(options.insecureTestNoiseSeed, i);
      if (m) o.insecureTestMaskSeed = m;
      if (n) o.insecureTestNoiseSeed = n;
      yield await k.generateSeededEvaluationKeys(o);
    }
    for (const [j, c] of this.conversions.entries()) {
      const from = this.key(c.from);
      const to = this.key(c.to);
      const g = native().conversionKeyGenerate(from.handle, true, to.handle, false, c.baseLog, c.level,
        subSeed(options.insecureTestMaskSeed, 100 + j), subSeed(options.insecureTestNoiseSeed, 100 + j));
      yield new SeededConversionKey(c, from.params, to.params, g.maskSeed, g.bodies);
    }
  }

  /** Secret bytes (keep private). One partition: the single key's own format. */
  serialize(): Uint8Array {
    if (this.keys.length === 1 && this.conversions.length === 0) return this.keys[0]!.serialize();
    return collect(keySetStream(KIND_SECRET, this.keys.map((k) => [k.params.hash(), k.stream()]), []));
  }

  /** Parses a secret key set; `params`/`conversions` are what the circuit expects (checked). */
  static deserialize(bytes: Uint8Array, params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[] = [], outputKey?: number): ClientKeySet {
    checkSpecs(params, conversions, outputKey);
    if (!isKeySet(bytes)) {
      if (params.length !== 1) throw new Error(`this secret key holds one partition, the circuit has ${params.length}`);
      return new ClientKeySet([ClientKey.deserialize(bytes, params[0])], conversions);
    }
    const r = parseChunks(new KeySetParser(KIND_SECRET, params, (i, n) => ClientKey.parser(params[i], n)), [bytes]);
    return new ClientKeySet(r.parts, conversions, outputKey);
  }
}

/** A seeded conversion key (as sent): the public mask seed and the bodies. */
export class SeededConversionKey {
  constructor(
    readonly spec: ConversionKeySpec,
    readonly fromParams: TfheParameters,
    readonly toParams: TfheParameters,
    readonly maskSeed: Uint8Array,
    readonly bodies: BigUint64Array,
  ) {
    if (maskSeed.length !== 32) throw new RangeError("conversion key mask seed must be 32 bytes");
    if (bodies.length !== this.inputDimension * spec.level) throw new RangeError("conversion key bodies do not match its shape");
  }

  get inputDimension(): number {
    return this.fromParams.bigDimension;
  }

  get outputDimension(): number {
    return this.toParams.lweDimension;
  }

  expand(): ConversionKey {
    const { baseLog, level } = this.spec;
    // 32-bit storage under the same rule as the evaluation keys' KSK (decided by the addon).
    const compact = native().conversionKeyCompact(baseLog, level, this.toParams.lweNoiseStd);
    const ksk = native().conversionKeyExpand(this.inputDimension, this.outputDimension, baseLog, level, this.maskSeed, this.bodies, compact);
    return new ConversionKey(this.spec, this.fromParams, this.toParams, ksk);
  }
}

/** An expanded conversion key (server side). */
export class ConversionKey {
  constructor(
    readonly spec: ConversionKeySpec,
    readonly fromParams: TfheParameters,
    readonly toParams: TfheParameters,
    private readonly ksk: BigUint64Array | Uint32Array,
  ) {}

  /** Big-key ciphertexts of partition `from` → small-key ciphertexts of partition `to`. */
  async keyswitch(ct: LweCiphertextTensor): Promise<LweCiphertextTensor> {
    if (ct.paramHash !== this.fromParams.hash() || ct.dimension !== this.fromParams.bigDimension) {
      throw new Error(`conversion ${this.spec.from} → ${this.spec.to} expects big-key ciphertexts of partition ${this.spec.from}`);
    }
    const { baseLog, level } = this.spec;
    const out = await native().conversionKeyswitchAsync(this.ksk, this.fromParams.bigDimension, this.toParams.lweDimension, baseLog, level, ct.data);
    return new LweCiphertextTensor(ct.shape, this.toParams.lweDimension, this.toParams.hash(), out);
  }

  get bytes(): number {
    return this.ksk.byteLength;
  }
}

/** Seeded evaluation keys of every partition plus the conversion keys. */
export class SeededEvaluationKeySet extends PartitionKeys<SeededEvaluationKeys, SeededConversionKey> {

  /** The serialized set, chunk by chunk (one partition without conversions: the single key's own bytes). */
  stream(): ByteStream {
    if (this.keys.length === 1 && this.conversions.length === 0) return this.keys[0]!.stream();
    return keySetStream(KIND_SEEDED, this.keys.map((k) => [k.params.hash(), k.stream()]), this.conversions.map(conversionEntry));
  }

  serialize(): Uint8Array {
    return collect(this.stream());
  }

  /** Parses the set and checks it against the partitions and conversions the circuit expects. */
  static deserialize(bytes: Uint8Array, params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[] = [], outputKey?: number): SeededEvaluationKeySet {
    checkSpecs(params, conversions, outputKey);
    const own = evaluated(params, outputKey);
    if (!isKeySet(bytes)) {
      if (params.length !== 1 || conversions.length > 0) throw new Error(`these evaluation keys hold one partition, the circuit has ${params.length}`);
      return new SeededEvaluationKeySet([SeededEvaluationKeys.deserialize(bytes, params[0])], []);
    }
    const r = parseChunks(new KeySetParser(KIND_SEEDED, own, (i, n) => SeededEvaluationKeys.parser(params[i], n), params), [bytes]);
    return new SeededEvaluationKeySet(r.parts, checkConversions(r.conversions, params, conversions));
  }

  /**
   * Reads a serialized set (several partitions) and expands every partition's keys while its
   * chunks arrive, straight into their final layout: the set is never held whole.
   */
  static expandingParser(params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[], outputKey?: number): ChunkSink<EvaluationKeySet> {
    checkSpecs(params, conversions, outputKey);
    const inner = new KeySetParser(KIND_SEEDED, evaluated(params, outputKey), (i, n) => SeededEvaluationKeys.expandingParser(params[i], n), params);
    return {
      push: (c) => inner.push(c),
      abort: () => inner.abort(),
      finish: () => {
        const r = inner.finish();
        return new EvaluationKeySet(r.parts, checkConversions(r.conversions, params, conversions).map((c) => c.expand()));
      },
    };
  }

  async expand(): Promise<EvaluationKeySet> {
    const keys: EvaluationKeys[] = [];
    for (const k of this.keys) keys.push(await k.expand());
    return new EvaluationKeySet(keys, this.conversions.map((c) => c.expand()));
  }
}

/** Server keys of every partition and the expanded conversion keys. */
export class EvaluationKeySet extends PartitionKeys<EvaluationKeys, ConversionKey> {

  /** Frees every partition's native keys now rather than at garbage collection; the set is unusable after. */
  release(): void {
    for (const k of this.keys) k.release();
  }

  partition(i: number): EvaluationKeys {
    return partitionKey(this.keys, i);
  }

  conversion(from: number, to: number): ConversionKey {
    const c = this.conversions.find((x) => x.spec.from === from && x.spec.to === to);
    if (!c) throw new Error(`the key set has no conversion key from partition ${from} to partition ${to}`);
    return c;
  }
}

/** One partition's key of a set. */
function partitionKey<K>(keys: readonly K[], partition: number): K {
  const k = keys[partition];
  if (!k) throw new RangeError(`no partition ${partition} in a key set of ${keys.length}`);
  return k;
}

/** A seeded conversion key's fields as the set format writes them. */
function conversionEntry(c: SeededConversionKey): ConversionEntry {
  return {
    spec: c.spec, fromHash: c.fromParams.hash(), toHash: c.toParams.hash(), inputDimension: c.inputDimension,
    outputDimension: c.outputDimension, maskSeed: c.maskSeed, bodies: c.bodies,
  };
}

/** The conversion keys read from a set, checked against those the circuit expects (order, shape, parameters). */
function checkConversions(read: readonly ConversionEntry[], params: readonly TfheParameters[], want: readonly ConversionKeySpec[]): SeededConversionKey[] {
  if (read.length !== want.length) throw new Error(`the key set holds ${read.length} conversion key(s), the circuit needs ${want.length}`);
  return read.map((c, j) => {
    const w = want[j]!;
    if (c.spec.from !== w.from || c.spec.to !== w.to || c.spec.baseLog !== w.baseLog || c.spec.level !== w.level) {
      throw new Error(`conversion key #${j} is ${c.spec.from} → ${c.spec.to} (2^${c.spec.baseLog}×${c.spec.level}), the circuit needs ${w.from} → ${w.to} (2^${w.baseLog}×${w.level})`);
    }
    const from = params[c.spec.from]!;
    const to = params[c.spec.to]!;
    if (c.fromHash !== from.hash() || c.toHash !== to.hash()) throw new Error(`conversion key #${j} was made for other parameters`);
    return new SeededConversionKey(c.spec, from, to, c.maskSeed, c.bodies);
  });
}
