import { describe, expect, it } from "vitest";
import { randomness } from "../../runtime/index.js";

const hex = (s: string) => Uint8Array.from(s.replace(/[^0-9a-f]/gi, "").match(/../g)!.map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("ChaCha20 block function (RFC 8439 known answers)", () => {
  it("matches the §2.3.2 test vector", () => {
    const key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const nonce = hex("000000090000004a00000000");
    const out = randomness.chacha20Block(key, 1, nonce);
    expect(toHex(out)).toBe(
      "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e" +
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
    );
  });

  it("matches the Appendix A.1 vectors", () => {
    const byteAt = (length: number, at: number, value: number) => {
      const b = new Uint8Array(length);
      b[at] = value;
      return b;
    };
    const vectors = [
      { key: new Uint8Array(32), counter: 0, nonce: new Uint8Array(12), block:
        "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586" },
      { key: new Uint8Array(32), counter: 1, nonce: new Uint8Array(12), block:
        "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f" },
      { key: byteAt(32, 31, 1), counter: 1, nonce: new Uint8Array(12), block:
        "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0" },
      { key: byteAt(32, 1, 0xff), counter: 2, nonce: new Uint8Array(12), block:
        "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096" },
      { key: new Uint8Array(32), counter: 0, nonce: byteAt(12, 11, 2), block:
        "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c78a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d" },
    ];
    for (const v of vectors) expect(toHex(randomness.chacha20Block(v.key, v.counter, v.nonce))).toBe(v.block);
  });

  it("rejects malformed inputs with clear errors", () => {
    expect(() => randomness.chacha20Block(new Uint8Array(31), 0, new Uint8Array(12))).toThrow(/key must be 32 bytes/);
    expect(() => randomness.chacha20Block(new Uint8Array(32), 0, new Uint8Array(8))).toThrow(/nonce must be 12 bytes/);
  });
});

describe("CSPRNG streams", () => {
  it("expands a seed deterministically and separates streams", () => {
    const seed = hex("11".repeat(32));
    const a = randomness.csprngWords(64, 5, seed);
    const b = randomness.csprngWords(64, 5, seed);
    const c = randomness.csprngWords(64, 6, seed);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("stream words are the ChaCha20 keystream (counter in word 12, stream id in words 14-15)", () => {
    const seed = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    // 20 blocks: crosses the generator's 4-block-parallel refills and its 8-block buffer.
    const words = randomness.csprngWords(8 * 20, 0, seed);
    const blocks = Array.from({ length: 20 }, (_, i) => toHex(randomness.chacha20Block(seed, i, new Uint8Array(12))));
    const bytes = new Uint8Array(words.buffer, words.byteOffset, 64 * 20);
    expect(toHex(bytes)).toBe(blocks.join(""));
    // stream id 2^32 + 5 lands in words 14-15 of the state (nonce words 2-3 of the RFC layout)
    const nonce = new Uint8Array(12);
    nonce.set([5, 0, 0, 0, 1, 0, 0, 0], 4);
    const streamed = randomness.csprngWords(8, 2 ** 32 + 5, seed);
    expect(toHex(new Uint8Array(streamed.buffer, streamed.byteOffset, 64))).toBe(toHex(randomness.chacha20Block(seed, 0, nonce)));
  });

  it("OS-seeded streams differ between calls and look uniform", () => {
    const a = randomness.csprngWords(4096);
    const b = randomness.csprngWords(4096);
    expect(a).not.toEqual(b);
    let ones = 0;
    for (const w of a) for (let i = 0n; i < 64n; i++) ones += Number((w >> i) & 1n);
    const bits = 4096 * 64;
    // mean bits/2, sd sqrt(bits)/2 = 256: a 6-sigma window
    expect(Math.abs(ones - bits / 2)).toBeLessThan(6 * 256);
  });
});

describe("torus Gaussian sampler", () => {
  for (const log2Std of [-15, -40, -60]) {
    it(`has mean 0 and std 2^${log2Std} (fraction of q)`, () => {
      const std = 2 ** log2Std;
      const n = 200_000;
      const s = randomness.torusGaussian(std, n);
      let sum = 0;
      let sq = 0;
      let within1 = 0;
      for (const v of s) {
        const x = Number(BigInt.asIntN(64, v)) / 2 ** 64 / std;
        sum += x;
        sq += x * x;
        if (Math.abs(x) <= 1) within1++;
      }
      const mean = sum / n;
      const variance = sq / n - mean * mean;
      expect(Math.abs(mean)).toBeLessThan(6 / Math.sqrt(n));
      expect(Math.abs(variance - 1)).toBeLessThan(6 * Math.sqrt(2 / n));
      // P(|Z| ≤ 1) = 0.6827 (checks the shape, not only the second moment); at 2^-60 the
      // samples are integers of std 16, too coarse for this check.
      if (log2Std > -50) expect(Math.abs(within1 / n - 0.682689)).toBeLessThan(6 * Math.sqrt(0.2166 / n));
    });
  }

  it("rejects invalid standard deviations", () => {
    expect(() => randomness.torusGaussian(Number.NaN, 1)).toThrow(/std/);
    expect(() => randomness.torusGaussian(0.7, 1)).toThrow(/std/);
  });
});
