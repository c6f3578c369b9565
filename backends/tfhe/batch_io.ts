// Binary container for an EncryptedBatch (what travels between client and server): magic,
// format version, a JSON header (batch, key id, parameter hash, byte length of every tensor), then
// the runtime's own tensor serializations (each with its magic and parameter hash). Every
// malformed, truncated or mismatched input is a clear error naming the source and what differs.
import { LweCiphertextTensor, type TfheParameters } from "../../runtime/index.js";
import type { EncryptedBatch } from "./server.js";

const MAGIC = Buffer.from("FHECBTCH", "latin1");
export const BATCH_FORMAT_VERSION = 1;

interface Header {
  readonly batch: number;
  readonly keyId?: string;
  readonly paramHash: string;
  /** Partitioned circuits: each tensor's parameter hash, when they differ (paramHash = the first's). */
  readonly paramHashes?: readonly string[];
  readonly sizes: readonly number[];
}

export function serializeEncryptedBatch(b: EncryptedBatch): Uint8Array {
  if (b.values.length === 0) throw new RangeError("an encrypted batch needs at least one tensor");
  const parts = b.values.map((t) => Buffer.from(t.serialize()));
  const hash = b.values[0]!.paramHash;
  const mixed = b.values.some((t) => t.paramHash !== hash);
  const header: Header = {
    batch: b.batch,
    ...(b.keyId !== undefined ? { keyId: b.keyId } : {}),
    paramHash: hash.toString(16),
    ...(mixed ? { paramHashes: b.values.map((t) => t.paramHash.toString(16)) } : {}),
    sizes: parts.map((p) => p.length),
  };
  const h = Buffer.from(JSON.stringify(header), "utf8");
  const fixed = Buffer.alloc(16);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt32LE(BATCH_FORMAT_VERSION, 8);
  fixed.writeUInt32LE(h.length, 12);
  return new Uint8Array(Buffer.concat([fixed, h, ...parts]));
}

/**
 * Parses a batch; with `params`, every tensor must belong to them (hash and dimension) — one set
 * for all, or one per tensor (partitioned circuits, whose values live under different keys).
 */
export function deserializeEncryptedBatch(bytes: Uint8Array, expected?: TfheParameters | readonly TfheParameters[], source = "<memory>"): EncryptedBatch {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => {
    throw new Error(`'${source}' is not a valid encrypted batch: ${why}`);
  };
  if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC)) bad("wrong magic (not an fhec encrypted batch)");
  const version = buf.readUInt32LE(8);
  if (version !== BATCH_FORMAT_VERSION) bad(`format version ${version}, this fhec reads version ${BATCH_FORMAT_VERSION}`);
  const hl = buf.readUInt32LE(12);
  if (16 + hl > buf.length) bad("truncated header");
  let header: Partial<Header>;
  try {
    header = JSON.parse(buf.subarray(16, 16 + hl).toString("utf8")) as Partial<Header>;
  } catch {
    return bad("corrupt header");
  }
  const { batch, keyId, paramHash, sizes, paramHashes } = header;
  if (!Number.isInteger(batch) || (batch as number) < 1) bad("bad batch size");
  if (keyId !== undefined && (typeof keyId !== "string" || !/^[0-9a-f]{64}$/.test(keyId))) bad("bad key id");
  if (typeof paramHash !== "string" || !/^[0-9a-f]{1,16}$/.test(paramHash)) bad("bad parameter hash");
  if (!Array.isArray(sizes) || sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 1)) bad("bad tensor table");
  if (paramHashes !== undefined && (!Array.isArray(paramHashes) || paramHashes.length !== (sizes as number[]).length || paramHashes.some((h) => typeof h !== "string" || !/^[0-9a-f]{1,16}$/.test(h)))) bad("bad parameter hashes");
  const hashes = (sizes as number[]).map((_, i) => BigInt(`0x${paramHashes?.[i] ?? paramHash}`));
  const paramsOf = (i: number): TfheParameters | undefined => (Array.isArray(expected) ? expected[i] : (expected as TfheParameters | undefined));
  if (Array.isArray(expected) && expected.length !== hashes.length) bad(`${hashes.length} tensor(s), expected ${expected.length}`);
  hashes.forEach((hash, i) => {
    const params = paramsOf(i);
    if (params && params.hash() !== hash) {
      bad(`it was encrypted for parameters 0x${hash.toString(16)}, expected ${params.toString()} (0x${params.hash().toString(16)})`);
    }
  });
  const total = (sizes as number[]).reduce((a, b) => a + b, 0);
  if (buf.length !== 16 + hl + total) bad(`${buf.length - 16 - hl} ciphertext bytes, the header announces ${total} (truncated or padded)`);
  let off = 16 + hl;
  const values = (sizes as number[]).map((size, i) => {
    const part = new Uint8Array(buf.buffer, buf.byteOffset + off, size);
    off += size;
    let t: LweCiphertextTensor;
    try {
      t = LweCiphertextTensor.deserialize(part.slice(), paramsOf(i));
    } catch (e) {
      return bad(`tensor #${i}: ${(e as Error).message}`);
    }
    if (t.paramHash !== hashes[i]) bad(`tensor #${i} belongs to other parameters than the header says`);
    if (t.size % (batch as number) !== 0) bad(`tensor #${i} holds ${t.size} ciphertexts, not a multiple of the batch ${batch}`);
    return t;
  });
  return keyId !== undefined ? { batch: batch as number, keyId, values } : { batch: batch as number, values };
}
