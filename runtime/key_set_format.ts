// The key set format (runtime/key_set.ts describes it), written and read as streams: the writer
// emits every partition key's own stream in turn, and the reader forwards each partition's bytes
// to a sink chosen by the caller (a key parser, or one that expands seeded keys as they arrive),
// so a set of any size passes with one chunk of extra memory plus what the keys themselves hold.
import type { TfheParameters } from "./parameters.js";
import { type ByteStream, bytesStream, type ChunkSink, concatStreams } from "./stream.js";

export const KEY_SET_MAGIC = "FHECKSET";
export const KEY_SET_FORMAT_VERSION = 1;
export const KIND_SECRET = 1;
export const KIND_SEEDED = 2;
const HEAD_BYTES = 24;
const PART_BYTES = 16;
const CONVERSION_BYTES = 72;

/** A conversion keyswitch: big key of partition `from` → small key of partition `to`. */
export interface ConversionKeySpec {
  readonly from: number;
  readonly to: number;
  readonly baseLog: number;
  readonly level: number;
}

/** A conversion key's fields as they travel. */
export interface ConversionEntry {
  readonly spec: ConversionKeySpec;
  readonly fromHash: bigint;
  readonly toHash: bigint;
  readonly inputDimension: number;
  readonly outputDimension: number;
  readonly maskSeed: Uint8Array;
  readonly bodies: BigUint64Array;
}

export function isKeySet(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).toString("latin1") === KEY_SET_MAGIC;
}

function setHeader(kind: number, parts: number, conversions: number): Uint8Array {
  const head = Buffer.alloc(HEAD_BYTES);
  head.write(KEY_SET_MAGIC, 0, "latin1");
  head.writeUInt32LE(KEY_SET_FORMAT_VERSION, 8);
  head.writeUInt32LE(kind, 12);
  head.writeUInt32LE(parts, 16);
  head.writeUInt32LE(conversions, 20);
  return new Uint8Array(head);
}

function partHeader(hash: bigint, length: number): Uint8Array {
  const h = Buffer.alloc(PART_BYTES);
  h.writeBigUInt64LE(hash, 0);
  h.writeBigUInt64LE(BigInt(length), 8);
  return new Uint8Array(h);
}

function conversionHeader(c: ConversionEntry): Uint8Array {
  const h = Buffer.alloc(CONVERSION_BYTES);
  [c.spec.from, c.spec.to, c.spec.baseLog, c.spec.level, c.inputDimension, c.outputDimension].forEach((v, i) => h.writeUInt32LE(v, 4 * i));
  h.writeBigUInt64LE(c.fromHash, 24);
  h.writeBigUInt64LE(c.toHash, 32);
  h.set(c.maskSeed, 40);
  return new Uint8Array(h);
}

const bodyBytes = (c: ConversionEntry): Uint8Array => new Uint8Array(c.bodies.buffer, c.bodies.byteOffset, c.bodies.byteLength);

/** The set as a stream: header, every partition (hash, length, its own stream), every conversion. */
export function keySetStream(kind: number, parts: readonly [bigint, ByteStream][], conversions: readonly ConversionEntry[]): ByteStream {
  const streams: ByteStream[] = [bytesStream(setHeader(kind, parts.length, conversions.length))];
  for (const [hash, s] of parts) streams.push(bytesStream(partHeader(hash, s.size)), s);
  for (const c of conversions) streams.push(bytesStream(conversionHeader(c)), bytesStream(bodyBytes(c)));
  return concatStreams(streams);
}

/**
 * Writes a set piece by piece, each piece as soon as it exists (keygen: one partition's keys at a
 * time), in the bytes {@link keySetStream} gives for the same pieces. A set of one partition and no
 * conversion is that partition's own bytes, as everywhere. Pieces come in set order: every
 * partition, then every conversion; `finish` checks they all came.
 */
export class KeySetWriter {
  private parts = 0;
  private convs = 0;
  private written = 0;

  constructor(kind: number, private readonly partCount: number, private readonly convCount: number,
    private readonly write: (chunk: Uint8Array) => void) {
    if (!this.bare) this.out(setHeader(kind, partCount, convCount));
  }

  private get bare(): boolean {
    return this.partCount === 1 && this.convCount === 0;
  }

  private out(chunk: Uint8Array): void {
    this.write(chunk);
    this.written += chunk.length;
  }

  /** Partition i's serialized keys (i = the partitions written so far). */
  part(hash: bigint, stream: ByteStream): void {
    if (this.parts >= this.partCount) throw new Error(`internal error: key set writer got partition ${this.parts + 1} of ${this.partCount}`);
    if (!this.bare) this.out(partHeader(hash, stream.size));
    let n = 0;
    for (const c of stream.chunks()) {
      this.out(c);
      n += c.length;
    }
    if (n !== stream.size) throw new Error(`internal error: partition ${this.parts} announced ${stream.size} bytes but produced ${n}`);
    this.parts++;
  }

  conversion(c: ConversionEntry): void {
    if (this.parts !== this.partCount || this.convs >= this.convCount) throw new Error("internal error: key set writer got a conversion key out of order");
    this.out(conversionHeader(c));
    this.out(bodyBytes(c));
    this.convs++;
  }

  /** Bytes written; throws unless every announced piece was. */
  finish(): number {
    if (this.parts !== this.partCount || this.convs !== this.convCount) {
      throw new Error(`internal error: key set writer finished after ${this.parts}/${this.partCount} partitions and ${this.convs}/${this.convCount} conversions`);
    }
    return this.written;
  }
}

/**
 * Reads a set pushed in chunks of any size. Partition i's bytes go to `part(i, length)`; each
 * conversion is collected (its bodies are small next to the keys) and checked against `params`.
 */
export class KeySetParser<P> implements ChunkSink<{ parts: P[]; conversions: ConversionEntry[] }> {
  private buf: Uint8Array[] = [];
  private buffered = 0;
  /** What the next bytes are: a fixed-size header (buffered) or a partition's payload (forwarded). */
  private state: { kind: "head" | "part" | "conv"; want: number } = { kind: "head", want: HEAD_BYTES };
  private partCount = 0;
  private convCount = 0;
  private readonly parts: P[] = [];
  private readonly conversions: ConversionEntry[] = [];
  private sink: ChunkSink<P> | undefined;
  private remaining = 0;
  private conv: Omit<ConversionEntry, "bodies"> | undefined;
  private bodies: Uint8Array | undefined;
  private bodiesFilled = 0;
  private done = false;

  constructor(
    private readonly kind: number,
    /** The keys stored in the set, in order. */
    private readonly params: readonly TfheParameters[],
    private readonly part: (index: number, length: number) => ChunkSink<P>,
    /** Every key a conversion may name (the stored ones plus an output key, which has no evaluation keys). */
    private readonly targets: readonly TfheParameters[] = params,
  ) {}

  private bad(why: string): never {
    throw new Error(`invalid key set: ${why}`);
  }

  /** Drops the partition being read (its sink may hold native memory). */
  abort(): void {
    this.sink?.abort?.();
  }

  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.done) this.bad(`${chunk.length - off} trailing bytes`);
      if (this.sink) {
        const n = Math.min(this.remaining, chunk.length - off);
        this.sink.push(chunk.subarray(off, off + n));
        off += n;
        this.remaining -= n;
        if (this.remaining === 0) this.closePart();
        continue;
      }
      if (this.bodies) {
        const n = Math.min(this.bodies.length - this.bodiesFilled, chunk.length - off);
        this.bodies.set(chunk.subarray(off, off + n), this.bodiesFilled);
        this.bodiesFilled += n;
        off += n;
        if (this.bodiesFilled === this.bodies.length) this.closeConversion();
        continue;
      }
      const n = Math.min(this.state.want - this.buffered, chunk.length - off);
      this.buf.push(chunk.subarray(off, off + n));
      this.buffered += n;
      off += n;
      if (this.buffered === this.state.want) {
        const b = Buffer.concat(this.buf);
        this.buf = [];
        this.buffered = 0;
        this.header(b);
      }
    }
  }

  private header(b: Buffer): void {
    if (this.state.kind === "head") {
      if (b.subarray(0, 8).toString("latin1") !== KEY_SET_MAGIC) this.bad("wrong magic");
      const version = b.readUInt32LE(8);
      if (version !== KEY_SET_FORMAT_VERSION) this.bad(`format version ${version}, this build reads ${KEY_SET_FORMAT_VERSION}`);
      if (b.readUInt32LE(12) !== this.kind) this.bad(this.kind === KIND_SECRET ? "it holds evaluation keys, not secret keys" : "it holds secret keys, not evaluation keys");
      this.partCount = b.readUInt32LE(16);
      this.convCount = b.readUInt32LE(20);
      if (this.partCount !== this.params.length) this.bad(`${this.partCount} partition(s), the circuit has ${this.params.length}`);
      return this.next();
    }
    if (this.state.kind === "part") {
      const i = this.parts.length;
      const hash = b.readBigUInt64LE(0);
      const len = Number(b.readBigUInt64LE(8));
      if (hash !== this.params[i]!.hash()) this.bad(`partition ${i} was made for other parameters than the circuit's ${this.params[i]!.toString()}`);
      if (!Number.isSafeInteger(len) || len < 1) this.bad(`partition ${i} has a bad length`);
      this.sink = this.part(i, len);
      this.remaining = len;
      return;
    }
    const j = this.conversions.length;
    const [from, to, baseLog, level, inDim, outDim] = [0, 1, 2, 3, 4, 5].map((i) => b.readUInt32LE(4 * i)) as [number, number, number, number, number, number];
    if (from >= this.partCount || to >= this.targets.length) this.bad(`conversion #${j} names partition ${from >= this.partCount ? from : to} of ${this.partCount}`);
    if (inDim !== this.params[from]!.bigDimension || outDim !== this.targets[to]!.lweDimension) this.bad(`conversion #${j} has dimensions ${inDim} → ${outDim}`);
    if (!(level >= 1 && level <= 64)) this.bad(`conversion #${j} has ${level} levels`);
    this.conv = {
      spec: { from, to, baseLog, level }, fromHash: b.readBigUInt64LE(24), toHash: b.readBigUInt64LE(32),
      inputDimension: inDim, outputDimension: outDim, maskSeed: new Uint8Array(b.subarray(40, 72)),
    };
    this.bodies = new Uint8Array(inDim * level * 8);
    this.bodiesFilled = 0;
  }

  private closePart(): void {
    this.parts.push(this.sink!.finish());
    this.sink = undefined;
    this.next();
  }

  private closeConversion(): void {
    const words = new BigUint64Array(this.bodies!.buffer);
    this.conversions.push({ ...this.conv!, bodies: words });
    this.conv = undefined;
    this.bodies = undefined;
    this.next();
  }

  /** Picks what comes after a finished piece. */
  private next(): void {
    if (this.parts.length < this.partCount) this.state = { kind: "part", want: PART_BYTES };
    else if (this.conversions.length < this.convCount) this.state = { kind: "conv", want: CONVERSION_BYTES };
    else this.done = true;
  }

  finish(): { parts: P[]; conversions: ConversionEntry[] } {
    if (!this.done) this.bad("truncated");
    return { parts: this.parts, conversions: this.conversions };
  }
}
