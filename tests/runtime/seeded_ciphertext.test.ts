// Seeded (compressed) input ciphertexts: they decrypt exactly as full encryptions do, carry fresh
// Gaussian noise of the key's σ, never share a mask between values or tensors, cost 8 bytes per
// value on the wire, and their reader refuses what does not belong to the parameters.
import { randomBytes, randomInt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ClientKey, CONCRETE_P4, encode, type KeyKind, SeededLweCiphertextTensor, seededCiphertextTensorBytes } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";

const params = CONCRETE_P4;
let client: ClientKey;

beforeAll(() => {
  client = ClientKey.generate(params);
});

describe("seeded input ciphertexts", () => {
  it("decrypt identically to full encryptions of the same values (random precisions, sizes and keys)", () => {
    for (let trial = 0; trial < 40; trial++) {
      const precision = randomInt(1, 9);
      const count = randomInt(1, 200);
      const key: KeyKind = trial % 2 === 0 ? "big" : "small";
      const values = Array.from({ length: count }, () => randomInt(2 ** precision));
      const plain = encode(values, precision);
      const seeded = client.encryptSeeded(plain, [count], key).expand();
      const full = client.encryptEncoded(plain, [count], key);
      expect(seeded.dimension).toBe(full.dimension);
      expect(client.decrypt(seeded, precision)).toEqual(client.decrypt(full, precision));
      expect(client.decrypt(seeded, precision)).toEqual(values);
    }
  });

  it("carry Gaussian noise of the key's σ (sample variance within its 99.9% chi-square interval)", () => {
    const count = 4000;
    const t = client.encryptSeeded(new BigUint64Array(count), [count], "small").expand();
    const phases = client.phases(t);
    let sum2 = 0;
    for (const ph of phases) {
      const e = Number(BigInt.asIntN(64, ph)) / 2 ** 64;
      sum2 += e * e;
    }
    const ratio = sum2 / count / params.lweNoiseStd ** 2;
    // Var(s²)/σ⁴ = 2/count for a zero-mean Gaussian; 3.29 standard deviations is the two-sided 99.9% point.
    const half = 3.29 * Math.sqrt(2 / count);
    expect(ratio).toBeGreaterThan(1 - half);
    expect(ratio).toBeLessThan(1 + half);
  });

  it("give every value its own mask and every tensor a fresh seed", () => {
    const a = client.encryptSeeded(new BigUint64Array(3), [3]);
    const b = client.encryptSeeded(new BigUint64Array(3), [3]);
    expect(Buffer.from(a.seed).equals(Buffer.from(b.seed))).toBe(false);
    const full = a.expand();
    const d = full.dimension;
    const mask = (i: number) => Buffer.from(full.data.buffer, full.data.byteOffset + i * (d + 1) * 8, d * 8);
    expect(mask(0).equals(mask(1))).toBe(false);
    expect(mask(1).equals(mask(2))).toBe(false);
  });

  it("regenerate the same masks from the same seed, and the noise is not derived from it", () => {
    const maskSeed = randomBytes(32);
    const plain = encode([1, 2, 3], 4);
    const x = client.encryptSeeded(plain, [3], "big", { insecureTestMaskSeed: maskSeed });
    const y = client.encryptSeeded(plain, [3], "big", { insecureTestMaskSeed: maskSeed });
    const mx = x.expand().data;
    const my = y.expand().data;
    const d = params.bigDimension;
    for (let i = 0; i < 3; i++) {
      expect(Buffer.from(mx.buffer, i * (d + 1) * 8, d * 8).equals(Buffer.from(my.buffer, i * (d + 1) * 8, d * 8))).toBe(true);
    }
    // Same masks, same messages: the bodies differ only by the (secret, fresh) noise.
    expect([...x.bodies]).not.toEqual([...y.bodies]);
  });

  it("cost 8 bytes per value on the wire, whatever the LWE dimension", () => {
    const shape = [5, 64];
    const t = client.encryptSeeded(new BigUint64Array(320), shape);
    const bytes = t.serialize();
    expect(bytes.length).toBe(seededCiphertextTensorBytes(shape));
    expect(bytes.length - 8 * 320).toBeLessThan(128);
    const back = SeededLweCiphertextTensor.deserialize(bytes, params);
    expect(Buffer.from(back.serialize()).equals(Buffer.from(bytes))).toBe(true);
  });

  it("are refused by a reader for other parameters, with a wrong length, truncated or padded", () => {
    const bytes = client.encryptSeeded(encode([1, 2], 4), [2]).serialize();
    expect(() => SeededLweCiphertextTensor.deserialize(bytes, INSECURE_TEST_P2)).toThrow(/belongs to parameters/);
    expect(() => SeededLweCiphertextTensor.parser(params, bytes.length + 8).push(bytes)).toThrow(/bytes, shape \[2\] needs/);
    expect(() => SeededLweCiphertextTensor.deserialize(bytes.subarray(0, bytes.length - 1), params)).toThrow(/truncated/);
    expect(() => SeededLweCiphertextTensor.deserialize(Buffer.concat([bytes, Buffer.alloc(1)]), params)).toThrow(/trailing/);
    const wrongMagic = Uint8Array.from(bytes);
    wrongMagic[5] ^= 1;
    expect(() => SeededLweCiphertextTensor.deserialize(wrongMagic)).toThrow(/wrong magic/);
    for (let i = 0; i < 200; i++) {
      const m = Uint8Array.from(bytes);
      m[randomInt(Math.min(m.length, 96))] = randomInt(256);
      try {
        SeededLweCiphertextTensor.deserialize(m, params);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/seeded ciphertext tensor/);
      }
    }
  });
});
