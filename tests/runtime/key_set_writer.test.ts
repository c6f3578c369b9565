// Key sets written as they are generated (ClientKeySet.writeSeededEvaluationKeys, what `fhec keygen`
// uses): the bytes are those of the set generated whole and serialized, for the same test seeds,
// one partition's keys at a time; and the secret key set's reader fed 1-byte, 7-byte and 64 KiB chunks.
import { describe, expect, it } from "vitest";
import { ClientKey, ClientKeySet, parseChunks, SeededEvaluationKeySet, seededKeySetBytes } from "../../runtime/index.js";
import { INSECURE_TEST_P2, INSECURE_TEST_P2_N512 } from "../helpers/insecure_parameters.js";
import { KeySetParser, KIND_SECRET } from "../../runtime/key_set_format.js";

const A = INSECURE_TEST_P2;
const B = INSECURE_TEST_P2_N512;
const conversions = [{ from: 0, to: 1, baseLog: 4, level: 5 }, { from: 1, to: 0, baseLog: 3, level: 6 }];
const seeds = { insecureTestMaskSeed: new Uint8Array(32).fill(3), insecureTestNoiseSeed: new Uint8Array(32).fill(9) };

/** Writes the set's seeded keys as they are generated; returns the bytes and the size of every write. */
async function written(set: ClientKeySet): Promise<{ bytes: Uint8Array; count: number; writes: number[] }> {
  const parts: Uint8Array[] = [];
  const count = await set.writeSeededEvaluationKeys((c) => void parts.push(Uint8Array.from(c)), seeds);
  return { bytes: new Uint8Array(Buffer.concat(parts)), count, writes: parts.map((p) => p.length) };
}

function* chunked(bytes: Uint8Array, n: number): Generator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += n) yield bytes.subarray(off, Math.min(bytes.length, off + n));
}

describe("seeded key sets written as they are generated", () => {
  it("are the bytes of the set generated whole, for partitions and conversion keys, of the announced size", async () => {
    const set = ClientKeySet.generate([A, B], conversions);
    const w = await written(set);
    const whole = (await set.generateSeededEvaluationKeys(seeds)).serialize();
    expect(Buffer.from(w.bytes).equals(Buffer.from(whole))).toBe(true);
    expect(w.count).toBe(whole.length);
    expect(ClientKeySet.seededEvaluationKeyBytes([A, B], conversions)).toBe(whole.length);
    expect(w.count).toBe(seededKeySetBytes([A, B], conversions.map((c) => ({ from: c.from, to: c.to, ksBaseLog: c.baseLog, ksLevel: c.level }))));
    // Chunks, never the set: no write is larger than one stream chunk (4 MiB).
    expect(Math.max(...w.writes)).toBeLessThanOrEqual(4 * 2 ** 20);
    // …and the server reads them as any set.
    const server = await SeededEvaluationKeySet.deserialize(w.bytes, [A, B], conversions).expand();
    const ct = set.key(0).encrypt([1, 2, 3], 2);
    expect(set.key(1).decrypt(await server.conversion(0, 1).keyswitch(ct), 2)).toEqual([1, 2, 3]);
  });

  it("a set with an output key (no evaluation keys of its own, only conversion keys to it) writes the bytes of the whole set", async () => {
    const toOut = [{ from: 0, to: 2, baseLog: 4, level: 5 }, { from: 1, to: 2, baseLog: 4, level: 5 }];
    const set = ClientKeySet.generate([A, B, B], toOut, {}, 2);
    const w = await written(set);
    const whole = (await set.generateSeededEvaluationKeys(seeds)).serialize();
    expect(Buffer.from(w.bytes).equals(Buffer.from(whole))).toBe(true);
    expect(w.count).toBe(ClientKeySet.seededEvaluationKeyBytes([A, B, B], toOut, 2));
    const server = await SeededEvaluationKeySet.deserialize(w.bytes, [A, B, B], toOut, 2).expand();
    expect(server.keys).toHaveLength(2);
    const ct = set.key(1).encrypt([2, 0, 1], 2);
    expect(set.key(2).decrypt(await server.conversion(1, 2).keyswitch(ct), 2)).toEqual([2, 0, 1]);
  });

  it("a one-partition set is the single key's own bytes", async () => {
    const seed = new Uint8Array(32).fill(5);
    const set = ClientKeySet.generate([A], [], { insecureTestSeed: seed });
    const w = await written(set);
    const single = await ClientKey.generate(A, { insecureTestSeed: seed }).generateSeededEvaluationKeys(seeds);
    expect(Buffer.from(w.bytes).equals(Buffer.from(single.serialize()))).toBe(true);
  });

  it("fresh seeds (the default) give fresh keys: the writer does not replay a fixed stream", async () => {
    const set = ClientKeySet.generate([A, B], conversions);
    const one: Uint8Array[] = [];
    const two: Uint8Array[] = [];
    await set.writeSeededEvaluationKeys((c) => void one.push(Uint8Array.from(c)));
    await set.writeSeededEvaluationKeys((c) => void two.push(Uint8Array.from(c)));
    const a = Buffer.concat(one);
    const b = Buffer.concat(two);
    expect(a.length).toBe(b.length);
    expect(a.equals(b)).toBe(false);
  });

  it("a failing sink stops generation with its error", async () => {
    const set = ClientKeySet.generate([A, B], conversions);
    let calls = 0;
    await expect(set.writeSeededEvaluationKeys(() => {
      if (++calls === 3) throw new Error("disk full");
    })).rejects.toThrow("disk full");
    expect(calls).toBe(3);
  });
});

describe.each([1, 7, 65536])("a secret key set read in %i-byte chunks", (n) => {
  it("parses back to keys that re-serialize to the same bytes and decrypt", () => {
    const set = ClientKeySet.generate([A, B], conversions);
    const bytes = set.serialize();
    const r = parseChunks(new KeySetParser(KIND_SECRET, [A, B], (i, len) => ClientKey.parser([A, B][i], len)), chunked(bytes, n));
    const back = ClientKeySet.of(r.parts, conversions);
    expect(Buffer.from(back.serialize()).equals(Buffer.from(bytes))).toBe(true);
    expect(back.key(1).decrypt(set.key(1).encrypt([3, 0, 2], 2), 2)).toEqual([3, 0, 2]);
    expect(() => parseChunks(new KeySetParser(KIND_SECRET, [A, B], (i, len) => ClientKey.parser([A, B][i], len)), chunked(bytes.subarray(0, bytes.length - 1), n)))
      .toThrow(/truncated/);
  });
});
