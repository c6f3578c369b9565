// Chunked serialization of every runtime artifact: the chunks of a stream are exactly the bytes of
// serialize(), a reader fed 1-byte, 7-byte or 64 KiB chunks rebuilds an object that re-serializes
// to the same bytes and works, seeded keys expand while being read, and a buffer the addon cannot
// create is a thrown error (never an abort).
import { beforeAll, describe, expect, it } from "vitest";
import {
  type ByteStream, type ChunkSink, ClientKey, EvaluationKeys, lookupTables, LweCiphertextTensor,
  SeededEvaluationKeys, SeededLweCiphertextTensor, setBufferLimitForTests,
} from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";

const params = INSECURE_TEST_P2;
const SIZES = [1, 7, 65536];

let client: ClientKey;
let seeded: SeededEvaluationKeys;
let server: EvaluationKeys;
let ct: LweCiphertextTensor;
let seededCt: SeededLweCiphertextTensor;

beforeAll(async () => {
  client = ClientKey.generate(params);
  seeded = await client.generateSeededEvaluationKeys();
  server = await seeded.expand();
  ct = client.encrypt([0, 1, 2, 3, 3, 2], 2, { shape: [2, 3] });
  seededCt = client.encryptSeeded(ct.data.slice(0, 6), [2, 3]);
});

function* chunked(bytes: Uint8Array, n: number): Generator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += n) yield bytes.subarray(off, Math.min(bytes.length, off + n));
}

function streamed(s: ByteStream, n: number): Uint8Array {
  const out = new Uint8Array(s.size);
  let off = 0;
  let largest = 0;
  for (const c of s.chunks(n)) {
    largest = Math.max(largest, c.length);
    out.set(c, off);
    off += c.length;
  }
  expect(largest).toBeLessThanOrEqual(n);
  expect(off).toBe(s.size);
  return out;
}

function feed<T>(sink: ChunkSink<T>, bytes: Uint8Array, n: number): T {
  for (const c of chunked(bytes, n)) sink.push(c);
  return sink.finish();
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

interface Kind {
  name: string;
  bytes: () => Uint8Array;
  stream: () => ByteStream;
  parser: () => ChunkSink<{ serialize(): Uint8Array }>;
}

const kinds: Kind[] = [
  { name: "secret key", bytes: () => client.serialize(), stream: () => client.stream(), parser: () => ClientKey.parser(params) },
  { name: "seeded evaluation keys", bytes: () => seeded.serialize(), stream: () => seeded.stream(), parser: () => SeededEvaluationKeys.parser(params) },
  { name: "evaluation keys", bytes: () => server.serialize(), stream: () => server.stream(), parser: () => EvaluationKeys.parser(params) },
  { name: "ciphertext tensor", bytes: () => ct.serialize(), stream: () => ct.stream(), parser: () => LweCiphertextTensor.parser(params) },
  { name: "seeded ciphertext tensor", bytes: () => seededCt.serialize(), stream: () => seededCt.stream(), parser: () => SeededLweCiphertextTensor.parser(params) },
];

describe.each(kinds)("streaming the $name", (k) => {
  it.each(SIZES)("chunks of %i bytes concatenate to serialize() and parse back to the same bytes", (n) => {
    const whole = k.bytes();
    const s = k.stream();
    expect(s.size).toBe(whole.length);
    expect(same(streamed(s, n), whole)).toBe(true);
    expect(same(feed(k.parser(), whole, n).serialize(), whole)).toBe(true);
  });

  it("a truncated stream fails at finish, extra bytes fail at once", () => {
    const whole = k.bytes();
    expect(() => feed(k.parser(), whole.subarray(0, whole.length - 1), 7)).toThrow(/truncated/);
    const p = k.parser();
    expect(() => p.push(new Uint8Array([...whole, 0]))).toThrow(/trailing/);
  });
});

describe("streamed keys and ciphertexts work", () => {
  it("a chunk-read client key decrypts, chunk-read evaluation keys bootstrap", async () => {
    const key = ClientKey.deserialize(chunked(client.serialize(), 7), params);
    const ek = EvaluationKeys.deserialize(server.stream().chunks(65536), params);
    const x = LweCiphertextTensor.deserialize(chunked(ct.serialize(), 1), params);
    const table = [3, 0, 2, 1];
    const out = await ek.applyLookupTable(x, lookupTables(table, 2));
    expect(key.decrypt(out, 2)).toEqual([0, 1, 2, 3, 3, 2].map((m) => table[m]));
  });

  it.each(SIZES)("seeded keys expand while read in %i-byte chunks, equal to expanding after reading", (n) => {
    const expanded = feed(SeededEvaluationKeys.expandingParser(params), seeded.serialize(), n);
    expect(same(expanded.serialize(), server.serialize())).toBe(true);
  });

  it("the key id is the sha256 of the serialized seeded keys, computed chunk by chunk", async () => {
    const { createHash } = await import("node:crypto");
    expect(seeded.sha256()).toBe(createHash("sha256").update(seeded.serialize()).digest("hex"));
  });

  it("an expanding reader rejects a truncated input and keys of other parameters", () => {
    const whole = seeded.serialize();
    expect(() => feed(SeededEvaluationKeys.expandingParser(params), whole.subarray(0, whole.length - 9), 65536)).toThrow(/truncated/);
    const other = ClientKey.generate(params).encrypt([1], 2); // a ciphertext is not a key
    expect(() => feed(SeededEvaluationKeys.expandingParser(params), other.serialize(), 7)).toThrow(/expected a seeded evaluation keys artifact/);
  });

  it("a released key cannot be used and says so", async () => {
    const k = ClientKey.generate(params);
    const s = await k.generateSeededEvaluationKeys();
    s.release();
    expect(() => s.serialize()).toThrow(/was released/);
  });
});

describe("a buffer the addon cannot create", () => {
  it("is a thrown error, and the same artifact still streams", () => {
    const whole = server.serialize();
    setBufferLimitForTests(1000);
    try {
      expect(() => server.serialize()).toThrow(/cannot create a buffer of \d+ bytes .*serialize this artifact in chunks/);
      expect(() => ct.serialize()).toThrow(/cannot create a buffer/);
      expect(same(streamed(server.stream(), 999), whole)).toBe(true);
    } finally {
      setBufferLimitForTests(0);
    }
    expect(same(server.serialize(), whole)).toBe(true);
  });
});
