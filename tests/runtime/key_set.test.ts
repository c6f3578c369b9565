// Key sets of partitioned circuits: conversion keyswitching keys between two secret keys of
// different geometry, and the set format (seeded as sent, expanded on the server).
import { describe, expect, it } from "vitest";
import {
  ClientKey, ClientKeySet, EvaluationKeys, keyswitchKeyWordBytes, lookupTables, SeededEvaluationKeys, SeededEvaluationKeySet,
  TfheParameters,
} from "../../runtime/index.js";
import { INSECURE_TEST_P2, INSECURE_TEST_P2_N512 } from "../helpers/insecure_parameters.js";

/** Tiny INSECURE sets (test-only) with different geometries. */
const A = INSECURE_TEST_P2;
const B = INSECURE_TEST_P2_N512;

const conversions = [{ from: 0, to: 1, baseLog: 4, level: 5 }, { from: 1, to: 0, baseLog: 3, level: 6 }];

describe("key sets", () => {
  it("a conversion key moves big-key ciphertexts of one partition to the other's small key (then its PBS)", async () => {
    const set = ClientKeySet.generate([A, B], conversions);
    const server = await (await set.generateSeededEvaluationKeys()).expand();
    const values = [0, 1, 2, 3, 2, 1];
    for (const [from, to] of [[0, 1], [1, 0]] as const) {
      const ct = set.key(from).encrypt(values, 2);
      const small = await server.conversion(from, to).keyswitch(ct);
      expect(small.dimension).toBe(set.key(to).params.lweDimension);
      expect(small.paramHash).toBe(set.key(to).params.hash());
      expect(set.key(to).decrypt(small, 2)).toEqual(values);
      // …and the target partition's bootstrap reads it: table v → 3 − v under the target's big key.
      const out = await server.partition(to).bootstrap(small, lookupTables([3, 2, 1, 0], 2));
      expect(set.key(to).decrypt(out, 2)).toEqual(values.map((v) => 3 - v));
    }
    await expect(server.conversion(0, 1).keyswitch(set.key(1).encrypt([1], 2))).rejects.toThrow(/expects big-key ciphertexts of partition 0/);
    expect(() => server.conversion(1, 1)).toThrow(/no conversion key from partition 1 to partition 1/);
  });

  it("serializes secret and evaluation key sets; checks partitions, conversions and integrity", async () => {
    const set = ClientKeySet.generate([A, B], conversions);
    const seeded = await set.generateSeededEvaluationKeys();
    const bytes = seeded.serialize();
    const back = SeededEvaluationKeySet.deserialize(bytes, [A, B], conversions);
    expect(Buffer.from(back.serialize()).equals(Buffer.from(bytes))).toBe(true);
    const secret = ClientKeySet.deserialize(set.serialize(), [A, B], conversions);
    const server = await back.expand();
    const small = await server.conversion(0, 1).keyswitch(set.key(0).encrypt([3, 1], 2));
    expect(secret.key(1).decrypt(small, 2)).toEqual([3, 1]);
    expect(() => SeededEvaluationKeySet.deserialize(bytes, [B, A], conversions)).toThrow(/partition 0 was made for other parameters/);
    expect(() => SeededEvaluationKeySet.deserialize(bytes, [A, B], [conversions[0]!])).toThrow(/1 conversion key\(s\)|holds 2 conversion/);
    expect(() => SeededEvaluationKeySet.deserialize(bytes.subarray(0, bytes.length - 8), [A, B], conversions)).toThrow(/truncated/);
    expect(() => ClientKeySet.deserialize(bytes, [A, B], conversions)).toThrow(/holds evaluation keys, not secret keys/);
  });

  it("a one-partition set is exactly the single key (same bytes, same types)", async () => {
    const seed = new Uint8Array(32).fill(7);
    const set = ClientKeySet.generate([A], [], { insecureTestSeed: seed });
    const single = ClientKey.generate(A, { insecureTestSeed: seed });
    expect(Buffer.from(set.serialize()).equals(Buffer.from(single.serialize()))).toBe(true);
    const ms = new Uint8Array(32).fill(1);
    const ns = new Uint8Array(32).fill(2);
    const a = await set.generateSeededEvaluationKeys({ insecureTestMaskSeed: ms, insecureTestNoiseSeed: ns });
    const b = await single.generateSeededEvaluationKeys({ insecureTestMaskSeed: ms, insecureTestNoiseSeed: ns });
    expect(Buffer.from(a.serialize()).equals(Buffer.from(b.serialize()))).toBe(true);
    const parsed = SeededEvaluationKeySet.deserialize(b.serialize(), [A]);
    expect(parsed.keys[0]).toBeInstanceOf(SeededEvaluationKeys);
    expect((await parsed.expand()).keys[0]).toBeInstanceOf(EvaluationKeys);
  });

  it("conversion keys use 32-bit storage exactly when the keyswitching key rule allows it, and both keyswitch correctly", async () => {
    // Same geometry as B, with a target noise ≥ 2^−28 (still INSECURE: test-only).
    const C = new TfheParameters({ ...B.raw(), lweNoiseStd: 2 ** -20 }, "INSECURE_TEST_P2_N512_NOISY");
    const set = ClientKeySet.generate([A, C, B], [{ from: 0, to: 1, baseLog: 4, level: 5 }, { from: 0, to: 2, baseLog: 4, level: 5 }]);
    const server = await (await set.generateSeededEvaluationKeys()).expand();
    const rows = A.bigDimension * 5;
    expect(keyswitchKeyWordBytes(4, 5, C.lweNoiseStd)).toBe(4);
    expect(keyswitchKeyWordBytes(4, 5, B.lweNoiseStd)).toBe(8);
    expect(server.conversion(0, 1).bytes).toBe(rows * (C.lweDimension + 1) * 4);
    expect(server.conversion(0, 2).bytes).toBe(rows * (B.lweDimension + 1) * 8);
    const values = [0, 1, 2, 3, 3, 0];
    for (const to of [1, 2]) {
      const small = await server.conversion(0, to).keyswitch(set.key(0).encrypt(values, 2));
      expect(set.key(to).decrypt(small, 2)).toEqual(values);
    }
  });

  it("rejects malformed conversion lists", () => {
    expect(() => ClientKeySet.generate([A, B], [{ from: 0, to: 0, baseLog: 4, level: 5 }])).toThrow(/does not join two partitions/);
    expect(() => ClientKeySet.generate([A, B], [{ from: 0, to: 2, baseLog: 4, level: 5 }])).toThrow(/does not join two partitions/);
    expect(() => ClientKeySet.generate([A, B], [{ from: 0, to: 1, baseLog: 40, level: 2 }])).toThrow(/invalid decomposition/);
  });
});

describe("key sets as streams", () => {
  it.each([1, 7, 65536])("a seeded set read in %i-byte chunks expands to the keys of the whole-buffer path, and streams its own bytes", async (n) => {
    const set = ClientKeySet.generate([A, B], conversions);
    const seeded = await set.generateSeededEvaluationKeys();
    const bytes = seeded.serialize();
    // The stream is the serialization, in chunks of at most n bytes.
    const parts = [...seeded.stream().chunks(n)];
    expect(parts.every((c) => c.length <= n)).toBe(true);
    expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    const parser = SeededEvaluationKeySet.expandingParser([A, B], conversions);
    for (let off = 0; off < bytes.length; off += n) parser.push(bytes.subarray(off, Math.min(bytes.length, off + n)));
    const streamed = parser.finish();
    const whole = await SeededEvaluationKeySet.deserialize(bytes, [A, B], conversions).expand();
    streamed.keys.forEach((k, i) => expect(Buffer.from(k.serialize()).equals(Buffer.from(whole.keys[i]!.serialize()))).toBe(true));
    // Conversion keys: same size, and they keyswitch a ciphertext identically.
    const ct = set.key(0).encrypt([1, 2, 3], 2);
    expect(streamed.conversion(0, 1).bytes).toBe(whole.conversion(0, 1).bytes);
    expect((await streamed.conversion(0, 1).keyswitch(ct)).data).toEqual((await whole.conversion(0, 1).keyswitch(ct)).data);
  });

  it("a streamed set is refused when truncated, padded, or made for other partitions", async () => {
    const seeded = await ClientKeySet.generate([A, B], conversions).generateSeededEvaluationKeys();
    const bytes = seeded.serialize();
    const feed = (b: Uint8Array, params = [A, B]) => {
      const p = SeededEvaluationKeySet.expandingParser(params, conversions);
      for (let off = 0; off < b.length; off += 7) p.push(b.subarray(off, Math.min(b.length, off + 7)));
      return p.finish();
    };
    expect(() => feed(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    expect(() => feed(Buffer.concat([bytes, Buffer.alloc(1)]))).toThrow(/trailing/);
    expect(() => feed(bytes, [B, A])).toThrow(/partition 0 was made for other parameters/);
  });
});
