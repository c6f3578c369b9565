// Tensors of LWE ciphertexts: shape + contiguous u64 words (mask then body per ciphertext).
import { native, type RawCiphertexts } from "./native.js";
import type { TfheParameters } from "./parameters.js";
import { type ByteStream, nativeStream, NativeParser, parseChunks } from "./stream.js";

/** Which key a ciphertext is encrypted under: the big key (kN, between table lookups) or the small key (n). */
export type KeyKind = "big" | "small";

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid shape dimension ${d}`);
    n *= d;
  }
  return n;
}

/** An immutable tensor of LWE ciphertexts of one dimension. */
export class LweCiphertextTensor {
  readonly shape: readonly number[];
  /** LWE dimension (n or kN); each ciphertext is dimension + 1 words. */
  readonly dimension: number;
  /** Hash of the parameters the ciphertexts belong to. */
  readonly paramHash: bigint;
  readonly data: BigUint64Array;

  constructor(shape: readonly number[], dimension: number, paramHash: bigint, data: BigUint64Array) {
    if (!Number.isSafeInteger(dimension) || dimension < 1) throw new RangeError(`invalid LWE dimension ${dimension}`);
    const count = shapeSize(shape);
    if (data.length !== count * (dimension + 1))
      throw new RangeError(`ciphertext data has ${data.length} words; shape [${shape.join(", ")}] with dimension ` +
        `${dimension} needs ${count * (dimension + 1)}`);
    this.shape = Object.freeze([...shape]);
    this.dimension = dimension;
    this.paramHash = paramHash;
    this.data = data;
  }

  /** Number of ciphertexts. */
  get size(): number {
    return shapeSize(this.shape);
  }

  /** Words per ciphertext (dimension + 1). */
  get width(): number {
    return this.dimension + 1;
  }

  /** Which key of `params` this tensor is under (throws if it belongs to other parameters). */
  keyKind(params: TfheParameters): KeyKind {
    this.checkParams(params);
    if (this.dimension === params.bigDimension) return "big";
    if (this.dimension === params.lweDimension) return "small";
    throw new Error(`ciphertext dimension ${this.dimension} matches neither n=${params.lweDimension} nor kN=${params.bigDimension}`);
  }

  checkParams(params: TfheParameters): void {
    if (params.hash() !== this.paramHash)
      throw new Error(`ciphertexts belong to parameters 0x${this.paramHash.toString(16)}, not ${params.toString()}`);
  }

  /** Same ciphertexts viewed with another shape of equal size. */
  reshape(shape: readonly number[]): LweCiphertextTensor {
    if (shapeSize(shape) !== this.size)
      throw new RangeError(`cannot reshape [${this.shape.join(", ")}] to [${shape.join(", ")}]`);
    return new LweCiphertextTensor(shape, this.dimension, this.paramHash, this.data);
  }

  /** Flat slice [start, end) of the ciphertexts as a 1-D tensor. */
  slice(start: number, end: number): LweCiphertextTensor {
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= this.size))
      throw new RangeError(`invalid slice [${start}, ${end}) of ${this.size} ciphertexts`);
    return new LweCiphertextTensor([end - start], this.dimension, this.paramHash,
      this.data.slice(start * this.width, end * this.width));
  }

  /** Concatenates flat tensors of the same dimension into a 1-D tensor. */
  static concat(parts: readonly LweCiphertextTensor[]): LweCiphertextTensor {
    if (parts.length === 0) throw new RangeError("concat needs at least one tensor");
    const first = parts[0]!;
    let words = 0;
    for (const p of parts) {
      if (p.dimension !== first.dimension || p.paramHash !== first.paramHash)
        throw new Error("concat: tensors differ in dimension or parameters");
      words += p.data.length;
    }
    const data = new BigUint64Array(words);
    let off = 0;
    for (const p of parts) {
      data.set(p.data, off);
      off += p.data.length;
    }
    return new LweCiphertextTensor([words / first.width], first.dimension, first.paramHash, data);
  }

  /** Binary form: magic "FHECCTXT", version, parameter hash, dimension, shape, words. */
  serialize(): Uint8Array {
    return native().ciphertextsSerialize(this.paramHash, this.dimension, [...this.shape], this.data);
  }

  /** The same bytes as {@link serialize}, chunk by chunk (the words are read in place). */
  stream(): ByteStream {
    return nativeStream(() => native().sourceOf("ciphertexts", this.paramHash, this.dimension, [...this.shape], this.data));
  }

  /**
   * Parses a serialized tensor. With `params`, the parameter hash must match and the dimension
   * must be n or kN of those parameters.
   */
  static deserialize(bytes: Uint8Array | Iterable<Uint8Array>, params?: TfheParameters): LweCiphertextTensor {
    if (!(bytes instanceof Uint8Array)) return parseChunks(LweCiphertextTensor.parser(params), bytes);
    return LweCiphertextTensor.fromRaw(native().ciphertextsDeserialize(bytes, params?.hash()), params);
  }

  /** An incremental reader (words are written straight into the tensor's array as they arrive). */
  static parser(params?: TfheParameters, totalBytes?: number): NativeParser<RawCiphertexts, LweCiphertextTensor> {
    return new NativeParser("ciphertexts", (r: RawCiphertexts) => LweCiphertextTensor.fromRaw(r, params), params?.hash(), totalBytes);
  }

  private static fromRaw(r: RawCiphertexts, params?: TfheParameters): LweCiphertextTensor {
    const t = new LweCiphertextTensor(r.shape, r.dimension, r.paramHash, r.data);
    if (params) t.keyKind(params);
    return t;
  }
}
