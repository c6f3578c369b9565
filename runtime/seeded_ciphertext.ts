// Seeded (compressed) LWE ciphertexts: what a client sends for its inputs. The mask of value i is
// the CSPRNG stream (seed, i) of a public 32-byte seed drawn fresh for the tensor, so only the
// bodies travel — 8 bytes per value instead of 8·(d + 1) — and the server regenerates the masks
// (expand). The security argument is the seeded evaluation keys' one (docs/tfhe.md).
//
// Format (little-endian, the framing of the native artifacts): "FHEC" "SLWE" u32 version,
// u32 reserved (0), u64 parameter hash, u64 dimension, u32 rank, rank × u64 shape, 32-byte seed,
// u64 count, count × u64 bodies. Written and read as streams of chunks of any size.
import { LweCiphertextTensor, shapeSize } from "./ciphertext.js";
import { native } from "./native.js";
import type { TfheParameters } from "./parameters.js";
import { SEEDED_CIPHERTEXT_PREFIX_BYTES, seededCiphertextTensorBytes } from "./sizes.js";
import { type ByteStream, bytesStream, type ChunkSink, collect, concatStreams, parseChunks } from "./stream.js";

const MAGIC = Buffer.from("FHECSLWE", "latin1");
export const SEEDED_CIPHERTEXT_VERSION = 1;
const SEED_BYTES = 32;
/** Ranks beyond this are refused before anything is allocated. */
const MAX_RANK = 16;

/** Bodies of an immutable tensor of seeded LWE ciphertexts of one dimension. */
export class SeededLweCiphertextTensor {
  readonly shape: readonly number[];

  constructor(
    shape: readonly number[],
    /** LWE dimension of the ciphertexts once expanded (n or kN). */
    readonly dimension: number,
    readonly paramHash: bigint,
    /** The public mask seed. */
    readonly seed: Uint8Array,
    /** One body per value, in the tensor's flat order. */
    readonly bodies: BigUint64Array,
  ) {
    if (!Number.isSafeInteger(dimension) || dimension < 1) throw new RangeError(`invalid LWE dimension ${dimension}`);
    if (seed.length !== SEED_BYTES) throw new RangeError(`a mask seed is ${SEED_BYTES} bytes, got ${seed.length}`);
    if (bodies.length !== shapeSize(shape)) throw new RangeError(`${bodies.length} bodies for shape [${shape.join(", ")}]`);
    this.shape = Object.freeze([...shape]);
  }

  get size(): number {
    return this.bodies.length;
  }

  /** The full ciphertexts: masks regenerated from the seed (on all cores). */
  expand(): LweCiphertextTensor {
    return new LweCiphertextTensor(this.shape, this.dimension, this.paramHash, native().expandSeeded(this.seed, this.dimension, this.bodies));
  }

  /** The serialized form, chunk by chunk (the bodies are read in place). */
  stream(): ByteStream {
    const prefix = Buffer.alloc(SEEDED_CIPHERTEXT_PREFIX_BYTES + 8 * this.shape.length);
    MAGIC.copy(prefix, 0);
    prefix.writeUInt32LE(SEEDED_CIPHERTEXT_VERSION, 8);
    prefix.writeUInt32LE(0, 12);
    prefix.writeBigUInt64LE(this.paramHash, 16);
    prefix.writeBigUInt64LE(BigInt(this.dimension), 24);
    prefix.writeUInt32LE(this.shape.length, 32);
    this.shape.forEach((d, i) => prefix.writeBigUInt64LE(BigInt(d), 36 + 8 * i));
    const tail = Buffer.alloc(SEED_BYTES + 8);
    tail.set(this.seed, 0);
    tail.writeBigUInt64LE(BigInt(this.size), SEED_BYTES);
    const stream = concatStreams([
      bytesStream(new Uint8Array(prefix)),
      bytesStream(new Uint8Array(tail)),
      bytesStream(new Uint8Array(this.bodies.buffer, this.bodies.byteOffset, this.bodies.byteLength)),
    ]);
    if (stream.size !== seededCiphertextTensorBytes(this.shape)) throw new Error("internal error: seeded ciphertext size mismatch");
    return stream;
  }

  serialize(): Uint8Array {
    return collect(this.stream());
  }

  /** Parses a serialized tensor; with `params`, its hash must match and its dimension be n or kN. */
  static deserialize(bytes: Uint8Array | Iterable<Uint8Array>, params?: TfheParameters): SeededLweCiphertextTensor {
    return parseChunks(SeededLweCiphertextTensor.parser(params), bytes instanceof Uint8Array ? [bytes] : bytes);
  }

  /** An incremental reader; with `totalBytes` (a known length) impossible sizes fail before allocation. */
  static parser(params?: TfheParameters, totalBytes?: number): ChunkSink<SeededLweCiphertextTensor> {
    return new SeededParser(params, totalBytes);
  }
}

class SeededParser implements ChunkSink<SeededLweCiphertextTensor> {
  private head: Uint8Array[] = [];
  private headBytes = 0;
  /** Prefix bytes still needed before the header can be decoded further. */
  private want = SEEDED_CIPHERTEXT_PREFIX_BYTES;
  private header: { hash: bigint; dimension: number; shape: number[]; seed: Uint8Array } | undefined;
  private bodies: BigUint64Array | undefined;
  private view: Uint8Array | undefined;
  private filled = 0;

  constructor(private readonly params: TfheParameters | undefined, private readonly totalBytes: number | undefined) {}

  private bad(why: string): never {
    throw new Error(`not a valid seeded ciphertext tensor: ${why}`);
  }

  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.view) {
        const n = Math.min(chunk.length - off, this.view.length - this.filled);
        if (n === 0) this.bad("trailing bytes");
        this.view.set(chunk.subarray(off, off + n), this.filled);
        this.filled += n;
        off += n;
        continue;
      }
      const n = Math.min(chunk.length - off, this.want - this.headBytes);
      this.head.push(chunk.subarray(off, off + n));
      this.headBytes += n;
      off += n;
      if (this.headBytes === this.want) this.decodeHeader();
    }
  }

  /** Decodes as much of the buffered header as has arrived; allocates the bodies at its end. */
  private decodeHeader(): void {
    const b = Buffer.concat(this.head);
    this.head = [b];
    if (!b.subarray(0, 8).equals(MAGIC)) this.bad("wrong magic");
    const version = b.readUInt32LE(8);
    if (version !== SEEDED_CIPHERTEXT_VERSION) this.bad(`format version ${version}, this fhec reads version ${SEEDED_CIPHERTEXT_VERSION}`);
    if (b.readUInt32LE(12) !== 0) this.bad("reserved field is not zero");
    const hash = b.readBigUInt64LE(16);
    if (this.params && this.params.hash() !== hash) {
      this.bad(`it belongs to parameters 0x${hash.toString(16)}, expected ${this.params.toString()} (0x${this.params.hash().toString(16)})`);
    }
    const dimension = Number(b.readBigUInt64LE(24));
    if (!Number.isSafeInteger(dimension) || dimension < 1) this.bad("bad dimension");
    if (this.params && dimension !== this.params.bigDimension && dimension !== this.params.lweDimension) {
      this.bad(`dimension ${dimension} matches neither n=${this.params.lweDimension} nor kN=${this.params.bigDimension}`);
    }
    const rank = b.readUInt32LE(32);
    if (rank > MAX_RANK) this.bad(`rank ${rank}`);
    const shapeEnd = SEEDED_CIPHERTEXT_PREFIX_BYTES + 8 * rank;
    if (b.length < shapeEnd + SEED_BYTES + 8) {
      this.want = shapeEnd + SEED_BYTES + 8;
      return;
    }
    const shape = Array.from({ length: rank }, (_, i) => Number(b.readBigUInt64LE(36 + 8 * i)));
    if (shape.some((d) => !Number.isSafeInteger(d))) this.bad("bad shape");
    const count = shapeSize(shape);
    if (Number(b.readBigUInt64LE(shapeEnd + SEED_BYTES)) !== count) this.bad(`the count does not match shape [${shape.join(", ")}]`);
    const total = seededCiphertextTensorBytes(shape);
    if (this.totalBytes !== undefined && this.totalBytes !== total) this.bad(`${this.totalBytes} bytes, shape [${shape.join(", ")}] needs ${total}`);
    this.header = { hash, dimension, shape, seed: new Uint8Array(b.subarray(shapeEnd, shapeEnd + SEED_BYTES)) };
    this.bodies = new BigUint64Array(count);
    this.view = new Uint8Array(this.bodies.buffer); // little-endian words, as the native formats
    this.head = [];
  }

  finish(): SeededLweCiphertextTensor {
    if (!this.header || !this.view || this.filled !== this.view.length) this.bad("truncated");
    const { shape, dimension, hash, seed } = this.header;
    return new SeededLweCiphertextTensor(shape, dimension, hash, seed, this.bodies!);
  }
}
