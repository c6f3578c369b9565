// Key sets for circuits with several parameter partitions: one secret key (and one pair of
// evaluation keys, BSK + KSK) per partition, plus the conversion keyswitching keys that move a
// ciphertext from partition A's big key to partition B's small key. A set with one partition and
// no conversion is exactly today's single key: it serializes to the single key's own bytes.
//
// Set format (little-endian): magic "FHECKSET", u32 version, u32 kind (1 secret, 2 seeded
// evaluation), u32 partitions, u32 conversions, then per partition u64 parameter hash, u64 length
// and the partition key's own serialization (which carries its own magic and hash), then per
// conversion u32 from, to, baseLog, level, inputDimension, outputDimension, u64 source and target
// parameter hashes, the 32-byte public mask seed and the inputDimension·level u64 bodies.
import { LweCiphertextTensor } from "./ciphertext.js";
import { ClientKey, EvaluationKeys, type KeyGenOptions, SeededEvaluationKeys } from "./keys.js";
import { native } from "./native.js";
import type { TfheParameters } from "./parameters.js";

/** A conversion keyswitch: big key of partition `from` → small key of partition `to`. */
export interface ConversionKeySpec {
  readonly from: number;
  readonly to: number;
  readonly baseLog: number;
  readonly level: number;
}

const MAGIC = "FHECKSET";
export const KEY_SET_FORMAT_VERSION = 1;
const KIND_SECRET = 1;
const KIND_SEEDED = 2;

function checkSpecs(params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[]): void {
  if (params.length === 0) throw new RangeError("a key set needs at least one partition");
  const seen = new Set<string>();
  for (const c of conversions) {
    const ok = [c.from, c.to].every((i) => Number.isInteger(i) && i >= 0 && i < params.length);
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

/** Client side: the secret keys of every partition. */
export class ClientKeySet {
  private constructor(
    readonly keys: readonly ClientKey[],
    readonly conversions: readonly ConversionKeySpec[],
  ) {}

  static generate(params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[] = [], options: KeyGenOptions = {}): ClientKeySet {
    checkSpecs(params, conversions);
    const seed = options.insecureTestSeed;
    // Partition 0 uses the caller's seed itself: a one-partition set is the single key of today.
    const keys = params.map((p, i) => ClientKey.generate(p, i === 0 || !seed ? (seed ? { insecureTestSeed: seed } : {}) : { insecureTestSeed: subSeed(seed, i)! }));
    return new ClientKeySet(keys, conversions);
  }

  static of(keys: readonly ClientKey[], conversions: readonly ConversionKeySpec[] = []): ClientKeySet {
    checkSpecs(keys.map((k) => k.params), conversions);
    return new ClientKeySet([...keys], conversions);
  }

  get params(): readonly TfheParameters[] {
    return this.keys.map((k) => k.params);
  }

  key(partition: number): ClientKey {
    const k = this.keys[partition];
    if (!k) throw new RangeError(`no partition ${partition} in a key set of ${this.keys.length}`);
    return k;
  }

  /** Seeded evaluation keys of every partition and the conversion keys (what the server gets). */
  async generateSeededEvaluationKeys(options: { insecureTestMaskSeed?: Uint8Array; insecureTestNoiseSeed?: Uint8Array } = {}): Promise<SeededEvaluationKeySet> {
    const keys: SeededEvaluationKeys[] = [];
    for (const [i, k] of this.keys.entries()) {
      const o: { insecureTestMaskSeed?: Uint8Array; insecureTestNoiseSeed?: Uint8Array } = {};
      const m = i === 0 ? options.insecureTestMaskSeed : subSeed(options.insecureTestMaskSeed, i);
      const n = i === 0 ? options.insecureTestNoiseSeed : subSeed(options.insecureTestNoiseSeed, i);
      if (m) o.insecureTestMaskSeed = m;
      if (n) o.insecureTestNoiseSeed = n;
      keys.push(await k.generateSeededEvaluationKeys(o));
    }
    const conversions = this.conversions.map((c, j) => {
      const from = this.key(c.from);
      const to = this.key(c.to);
      const g = native().conversionKeyGenerate(from.handle, true, to.handle, false, c.baseLog, c.level,
        subSeed(options.insecureTestMaskSeed, 100 + j), subSeed(options.insecureTestNoiseSeed, 100 + j));
      return new SeededConversionKey(c, from.params, to.params, g.maskSeed, g.bodies);
    });
    return new SeededEvaluationKeySet(keys, conversions);
  }

  /** Secret bytes (keep private). One partition: the single key's own format. */
  serialize(): Uint8Array {
    if (this.keys.length === 1 && this.conversions.length === 0) return this.keys[0]!.serialize();
    return writeSet(KIND_SECRET, this.keys.map((k) => [k.params.hash(), k.serialize()]), []);
  }

  /** Parses a secret key set; `params`/`conversions` are what the circuit expects (checked). */
  static deserialize(bytes: Uint8Array, params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[] = []): ClientKeySet {
    checkSpecs(params, conversions);
    if (!isSet(bytes)) {
      if (params.length !== 1) throw new Error(`this secret key holds one partition, the circuit has ${params.length}`);
      return new ClientKeySet([ClientKey.deserialize(bytes, params[0])], conversions);
    }
    const r = readSet(bytes, KIND_SECRET, params);
    return new ClientKeySet(r.parts.map((b, i) => ClientKey.deserialize(b, params[i])), conversions);
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
export class SeededEvaluationKeySet {
  constructor(
    readonly keys: readonly SeededEvaluationKeys[],
    readonly conversions: readonly SeededConversionKey[],
  ) {}

  get params(): readonly TfheParameters[] {
    return this.keys.map((k) => k.params);
  }

  serialize(): Uint8Array {
    if (this.keys.length === 1 && this.conversions.length === 0) return this.keys[0]!.serialize();
    return writeSet(KIND_SEEDED, this.keys.map((k) => [k.params.hash(), k.serialize()]), this.conversions);
  }

  /** Parses the set and checks it against the partitions and conversions the circuit expects. */
  static deserialize(bytes: Uint8Array, params: readonly TfheParameters[], conversions: readonly ConversionKeySpec[] = []): SeededEvaluationKeySet {
    checkSpecs(params, conversions);
    if (!isSet(bytes)) {
      if (params.length !== 1 || conversions.length > 0) throw new Error(`these evaluation keys hold one partition, the circuit has ${params.length}`);
      return new SeededEvaluationKeySet([SeededEvaluationKeys.deserialize(bytes, params[0])], []);
    }
    const r = readSet(bytes, KIND_SEEDED, params);
    const keys = r.parts.map((b, i) => SeededEvaluationKeys.deserialize(b, params[i]));
    if (r.conversions.length !== conversions.length) throw new Error(`the key set holds ${r.conversions.length} conversion key(s), the circuit needs ${conversions.length}`);
    const convs = r.conversions.map((c, j) => {
      const want = conversions[j]!;
      if (c.spec.from !== want.from || c.spec.to !== want.to || c.spec.baseLog !== want.baseLog || c.spec.level !== want.level) {
        throw new Error(`conversion key #${j} is ${c.spec.from} → ${c.spec.to} (2^${c.spec.baseLog}×${c.spec.level}), the circuit needs ${want.from} → ${want.to} (2^${want.baseLog}×${want.level})`);
      }
      const from = params[c.spec.from]!;
      const to = params[c.spec.to]!;
      if (c.fromHash !== from.hash() || c.toHash !== to.hash()) throw new Error(`conversion key #${j} was made for other parameters`);
      return new SeededConversionKey(c.spec, from, to, c.maskSeed, c.bodies);
    });
    return new SeededEvaluationKeySet(keys, convs);
  }

  async expand(): Promise<EvaluationKeySet> {
    const keys: EvaluationKeys[] = [];
    for (const k of this.keys) keys.push(await k.expand());
    return new EvaluationKeySet(keys, this.conversions.map((c) => c.expand()));
  }
}

/** Server keys of every partition and the expanded conversion keys. */
export class EvaluationKeySet {
  constructor(
    readonly keys: readonly EvaluationKeys[],
    readonly conversions: readonly ConversionKey[],
  ) {}

  get params(): readonly TfheParameters[] {
    return this.keys.map((k) => k.params);
  }

  partition(i: number): EvaluationKeys {
    const k = this.keys[i];
    if (!k) throw new RangeError(`no partition ${i} in a key set of ${this.keys.length}`);
    return k;
  }

  conversion(from: number, to: number): ConversionKey {
    const c = this.conversions.find((x) => x.spec.from === from && x.spec.to === to);
    if (!c) throw new Error(`the key set has no conversion key from partition ${from} to partition ${to}`);
    return c;
  }
}

// ---- format ----------------------------------------------------------------------------------

function isSet(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).toString("latin1") === MAGIC;
}

function writeSet(kind: number, parts: readonly [bigint, Uint8Array][], conversions: readonly SeededConversionKey[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const head = Buffer.alloc(24);
  head.write(MAGIC, 0, "latin1");
  head.writeUInt32LE(KEY_SET_FORMAT_VERSION, 8);
  head.writeUInt32LE(kind, 12);
  head.writeUInt32LE(parts.length, 16);
  head.writeUInt32LE(conversions.length, 20);
  chunks.push(head);
  for (const [hash, b] of parts) {
    const h = Buffer.alloc(16);
    h.writeBigUInt64LE(hash, 0);
    h.writeBigUInt64LE(BigInt(b.length), 8);
    chunks.push(h, b);
  }
  for (const c of conversions) {
    const h = Buffer.alloc(24 + 16 + 32);
    [c.spec.from, c.spec.to, c.spec.baseLog, c.spec.level, c.inputDimension, c.outputDimension].forEach((v, i) => h.writeUInt32LE(v, 4 * i));
    h.writeBigUInt64LE(c.fromParams.hash(), 24);
    h.writeBigUInt64LE(c.toParams.hash(), 32);
    h.set(c.maskSeed, 40);
    chunks.push(h, new Uint8Array(c.bodies.buffer, c.bodies.byteOffset, c.bodies.byteLength));
  }
  return Buffer.concat(chunks);
}

interface ReadConversion {
  spec: ConversionKeySpec;
  fromHash: bigint;
  toHash: bigint;
  maskSeed: Uint8Array;
  bodies: BigUint64Array;
}

function readSet(bytes: Uint8Array, kind: number, params: readonly TfheParameters[]): { parts: Uint8Array[]; conversions: ReadConversion[] } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => {
    throw new Error(`invalid key set: ${why}`);
  };
  if (b.length < 24) bad("truncated header");
  const version = b.readUInt32LE(8);
  if (version !== KEY_SET_FORMAT_VERSION) bad(`format version ${version}, this build reads ${KEY_SET_FORMAT_VERSION}`);
  if (b.readUInt32LE(12) !== kind) bad(kind === KIND_SECRET ? "it holds evaluation keys, not secret keys" : "it holds secret keys, not evaluation keys");
  const count = b.readUInt32LE(16);
  const nconv = b.readUInt32LE(20);
  if (count !== params.length) bad(`${count} partition(s), the circuit has ${params.length}`);
  let off = 24;
  const need = (n: number) => {
    if (off + n > b.length) bad("truncated");
  };
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    need(16);
    const hash = b.readBigUInt64LE(off);
    const len = Number(b.readBigUInt64LE(off + 8));
    off += 16;
    if (hash !== params[i]!.hash()) bad(`partition ${i} was made for other parameters than the circuit's ${params[i]!.toString()}`);
    need(len);
    parts.push(Uint8Array.prototype.slice.call(b, off, off + len));
    off += len;
  }
  const conversions: ReadConversion[] = [];
  for (let j = 0; j < nconv; j++) {
    need(72);
    const [from, to, baseLog, level, inDim, outDim] = [0, 1, 2, 3, 4, 5].map((i) => b.readUInt32LE(off + 4 * i)) as [number, number, number, number, number, number];
    const fromHash = b.readBigUInt64LE(off + 24);
    const toHash = b.readBigUInt64LE(off + 32);
    const maskSeed = Uint8Array.prototype.slice.call(b, off + 40, off + 72);
    off += 72;
    if (from >= count || to >= count) bad(`conversion #${j} names partition ${Math.max(from, to)} of ${count}`);
    if (inDim !== params[from]!.bigDimension || outDim !== params[to]!.lweDimension) bad(`conversion #${j} has dimensions ${inDim} → ${outDim}`);
    const words = inDim * level;
    need(words * 8);
    const bodies = new BigUint64Array(words);
    new Uint8Array(bodies.buffer).set(b.subarray(off, off + words * 8));
    off += words * 8;
    conversions.push({ spec: { from, to, baseLog, level }, fromHash, toHash, maskSeed, bodies });
  }
  if (off !== b.length) bad(`${b.length - off} trailing bytes`);
  return { parts, conversions };
}
