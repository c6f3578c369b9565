// Binary container for an EncryptedBatch (what travels between client and server): the common
// frame (magic, format version, a JSON header with batch, key id, parameter hash, the byte
// length and the form of every tensor), then the runtime's own tensor serializations (each with
// its magic and parameter hash), written and read as streams. A tensor is "full" (ciphertexts
// with their masks: outputs) or "seeded" (bodies and a mask seed: inputs, expanded on reading). Every malformed, truncated or mismatched input is
// a clear error naming the source and what differs.
import {
  type ByteStream, type ChunkSink, collect, concatStreams, InvalidDataError, LweCiphertextTensor, parseChunks, SeededLweCiphertextTensor, type TfheParameters,
} from "../../runtime/index.js";
import { FrameParser, frameStream } from "../../runtime/framing.js";
import type { EncryptedBatch, EncryptedInputs } from "./server.js";

const MAGIC = Buffer.from("FHECBTCH", "latin1");
export const BATCH_FORMAT_VERSION = 2;

/** How a tensor travels: whole ciphertexts, or seeded bodies whose masks the reader regenerates. */
export type TensorForm = "full" | "seeded";

interface Header {
  readonly batch: number;
  readonly keyId: string;
  readonly paramHash: string;
  /** Partitioned circuits: each tensor's parameter hash, when they differ (paramHash = the first's). */
  readonly paramHashes?: readonly string[];
  readonly sizes: readonly number[];
  readonly forms: readonly TensorForm[];
}

/** The batch as a stream: header, then every tensor's own serialization read in place. */
export function encryptedBatchStream(b: EncryptedBatch | EncryptedInputs): ByteStream {
  if (b.values.length === 0) throw new RangeError("an encrypted batch needs at least one tensor");
  const hash = b.values[0]!.paramHash;
  const mixed = b.values.some((t) => t.paramHash !== hash);
  const parts = b.values.map((t) => t.stream());
  const header: Header = {
    batch: b.batch,
    keyId: b.keyId,
    paramHash: hash.toString(16),
    ...(mixed ? { paramHashes: b.values.map((t) => t.paramHash.toString(16)) } : {}),
    sizes: parts.map((p) => p.size),
    forms: b.values.map((t) => (t instanceof SeededLweCiphertextTensor ? "seeded" : "full")),
  };
  return frameStream(MAGIC, BATCH_FORMAT_VERSION, header, concatStreams(parts));
}

export function serializeEncryptedBatch(b: EncryptedBatch | EncryptedInputs): Uint8Array {
  return collect(encryptedBatchStream(b));
}

/**
 * An incremental batch reader: each tensor is parsed as its bytes arrive (its words written in
 * place; seeded tensors are expanded as soon as their bodies are in); with `expected`, every tensor must belong to them (hash and dimension) — one set for
 * all, or one per tensor (partitioned circuits, whose values live under different keys).
 */
export function encryptedBatchParser(expected?: TfheParameters | readonly TfheParameters[], source = "<memory>"): ChunkSink<EncryptedBatch> {
  const bad = (why: string): never => {
    throw new InvalidDataError(`'${source}' is not a valid encrypted batch: ${why}`);
  };
  return new FrameParser({ magic: MAGIC, version: BATCH_FORMAT_VERSION, what: "fhec encrypted batch", bad }, (h) => {
    const { batch, keyId, paramHash, sizes, paramHashes, forms } = h as Partial<Header>;
    if (!Number.isInteger(batch) || (batch as number) < 1) bad("bad batch size");
    // Key binding is mandatory: a batch that names no key is never run or decrypted.
    if (keyId === undefined) bad("no key id (ciphertexts must name the client key they were encrypted under)");
    if (typeof keyId !== "string" || !/^[0-9a-f]{64}$/.test(keyId)) bad("bad key id");
    if (typeof paramHash !== "string" || !/^[0-9a-f]{1,16}$/.test(paramHash)) bad("bad parameter hash");
    if (!Array.isArray(sizes) || sizes.length === 0 || sizes.some((s) => !Number.isSafeInteger(s) || s < 1)) bad("bad tensor table");
    if (!Array.isArray(forms) || forms.length !== (sizes as number[]).length || forms.some((f) => f !== "full" && f !== "seeded")) bad("bad tensor forms");
    if (
      paramHashes !== undefined &&
      (!Array.isArray(paramHashes) || paramHashes.length !== (sizes as number[]).length || paramHashes.some((x) => typeof x !== "string" || !/^[0-9a-f]{1,16}$/.test(x)))
    ) {
      bad("bad parameter hashes");
    }
    const hashes = (sizes as number[]).map((_, i) => BigInt(`0x${paramHashes?.[i] ?? paramHash}`));
    const paramsOf = (i: number): TfheParameters | undefined => (Array.isArray(expected) ? expected[i] : (expected as TfheParameters | undefined));
    if (Array.isArray(expected) && expected.length !== hashes.length) bad(`${hashes.length} tensor(s), expected ${expected.length}`);
    hashes.forEach((hash, i) => {
      const params = paramsOf(i);
      if (params && params.hash() !== hash) {
        bad(`it was encrypted for parameters 0x${hash.toString(16)}, expected ${params.toString()} (0x${params.hash().toString(16)})`);
      }
    });
    const table = sizes as number[];
    const total = table.reduce((a, b) => a + b, 0);
    const values: LweCiphertextTensor[] = [];
    let index = 0;
    let filled = 0; // bytes of tensor #index received
    let seen = 0;
    let current: ChunkSink<LweCiphertextTensor | SeededLweCiphertextTensor> | undefined;
    const guarded = <R>(f: () => R): R => {
      try {
        return f();
      } catch (e) {
        return bad(`tensor #${index}: ${(e as Error).message}`);
      }
    };
    const close = (): void => {
      const read = guarded(() => current!.finish());
      const t = read instanceof SeededLweCiphertextTensor ? guarded(() => read.expand()) : read;
      if (t.paramHash !== hashes[index]) bad(`tensor #${index} belongs to other parameters than the header says`);
      if (t.size % (batch as number) !== 0) bad(`tensor #${index} holds ${t.size} ciphertexts, not a multiple of the batch ${batch}`);
      values.push(t);
      current = undefined;
      index++;
      filled = 0;
    };
    const announced = (): never => bad(`${seen} ciphertext bytes, the header announces ${total} (truncated or padded)`);
    return {
      push(chunk: Uint8Array) {
        seen += chunk.length;
        if (seen > total) announced();
        let off = 0;
        while (off < chunk.length) {
          const size = table[index]!;
          current ??= forms![index] === "seeded" ? SeededLweCiphertextTensor.parser(paramsOf(index), size) : LweCiphertextTensor.parser(paramsOf(index), size);
          const n = Math.min(chunk.length - off, size - filled);
          guarded(() => current!.push(chunk.subarray(off, off + n)));
          off += n;
          filled += n;
          if (filled === size) close();
        }
      },
      finish() {
        if (seen !== total) announced();
        return { batch: batch as number, keyId: keyId as string, values };
      },
    };
  });
}

/** Parses a batch; with `expected`, every tensor must belong to them (see encryptedBatchParser). */
export function deserializeEncryptedBatch(
  bytes: Uint8Array | Iterable<Uint8Array>,
  expected?: TfheParameters | readonly TfheParameters[],
  source = "<memory>",
): EncryptedBatch {
  return parseChunks(encryptedBatchParser(expected, source), bytes instanceof Uint8Array ? [bytes] : bytes);
}
