// Multi-bit PBS (grouping factor g = 2, 3, 4): exhaustive table lookups, keys that survive the
// streaming (expanding) reader, and the measured output noise against the model of
// crypto-model/noise.ts (multiBitBlindRotationVariance) within a factor 2.
import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ClientKey, delta, type EvaluationKeys, lookupTables, minNoiseStd, noise, parseChunks, SeededEvaluationKeys,
  TfheParameters, torusError,
} from "../../runtime/index.js";

const GROUPING_FACTORS = [2, 3, 4] as const;

// TESTS ONLY: a tiny set (n = 96 divides by 2, 3 and 4) so that every precision 1..6 runs in
// milliseconds. Its noise is far too small for security; the secure shapes are below. N = 2048:
// the modulus switch to 2N rounds n + 1 coefficients, a standard deviation of about
// √(n/2 + 1) / (2N·√12) of the torus, against half a step of 2^−(p+2) at p = 6. At N = 1024 that
// margin was 4σ, so about one run in a hundred misread one of its ~400 lookups; at 2048 it is 8σ.
function insecureMultiBit(g: number): TfheParameters {
  return new TfheParameters({
    lweDimension: 96, glweDimension: 1, polynomialSize: 2048, pbsBaseLog: 15, pbsLevel: 2, ksBaseLog: 4, ksLevel: 5,
    pbsGroupingFactor: g, lweNoiseStd: 2 ** -30, glweNoiseStd: 2 ** -50,
  }, `INSECURE_TEST_MULTIBIT_G${g}`);
}

async function evaluationKeys(client: ClientKey): Promise<EvaluationKeys> {
  return (await client.generateSeededEvaluationKeys()).expand();
}

describe("multi-bit PBS: exhaustive table lookups", () => {
  for (const g of GROUPING_FACTORS) {
    it(`g = ${g}: every message of a random table at p = 1..6 (KS + PBS, batched and one by one)`, async () => {
      const params = insecureMultiBit(g);
      const client = ClientKey.generate(params);
      const server = await evaluationKeys(client);
      for (let p = 1; p <= 6; p++) {
        const size = 2 ** p;
        const table = Array.from({ length: size }, () => randomInt(size));
        const msgs = Array.from({ length: size }, (_, m) => m);
        const tables = lookupTables(table, p);
        const batched = client.decrypt(await server.applyLookupTable(client.encrypt(msgs, p), tables), p);
        expect({ p, got: batched }).toEqual({ p, got: table });
        // One ciphertext per call takes the single-ciphertext path of the blind rotation.
        const m = randomInt(size);
        const one = client.decrypt(server.applyLookupTableSync(client.encrypt([m], p), tables, { parallel: false }), p);
        expect(one).toEqual([table[m]]);
      }
    });
  }

  it("a multi-bit key read back by the expanding stream reader computes the same lookups", async () => {
    const params = insecureMultiBit(3);
    const client = ClientKey.generate(params);
    const seeded = await client.generateSeededEvaluationKeys();
    const bytes = seeded.serialize();
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
    const server = parseChunks(SeededEvaluationKeys.expandingParser(params, bytes.length), chunks);
    const table = Array.from({ length: 16 }, (_, i) => (7 * i + 5) % 16);
    const msgs = Array.from({ length: 16 }, (_, m) => m);
    expect(client.decrypt(await server.applyLookupTable(client.encrypt(msgs, 4), lookupTables(table, 4)), 4)).toEqual(table);
  });

  it("refuses a grouping factor that does not divide n, and one above 4", () => {
    expect(() => new TfheParameters({ ...insecureMultiBit(2).raw(), lweDimension: 97 })).toThrow(/multiple of pbsGroupingFactor/);
    expect(() => new TfheParameters({ ...insecureMultiBit(2).raw(), pbsGroupingFactor: 5 })).toThrow(/pbsGroupingFactor/);
  });
});

// Secure shapes (noise on the 128-bit curve for n and kN): n = 804 divides by 2, 3 and 4.
function secureMultiBit(g: number): TfheParameters {
  const p = new TfheParameters({
    lweDimension: 804, glweDimension: 1, polynomialSize: 2048, pbsBaseLog: 22, pbsLevel: 1, ksBaseLog: 3, ksLevel: 5,
    pbsGroupingFactor: g, lweNoiseStd: minNoiseStd(804), glweNoiseStd: minNoiseStd(2048),
  }, `multi-bit g=${g} n=804 N=2048`);
  p.assertSecure();
  return p;
}

const SAMPLES = 400;

describe("multi-bit PBS: measured output noise against the model", () => {
  for (const g of GROUPING_FACTORS) {
    it(`g = ${g}: PBS output variance = σ²_BR(multi-bit) within a factor 2 (constant table, ${SAMPLES} inputs)`, async () => {
      const params = secureMultiBit(g);
      const client = ClientKey.generate(params);
      const server = await evaluationKeys(client);
      const precision = 3;
      const msgs = Array.from({ length: SAMPLES }, () => randomInt(2 ** precision));
      const small = client.encrypt(msgs, precision, { key: "small" });
      const c = 5;
      const out = await server.bootstrap(small, lookupTables(new Array<number>(2 ** precision).fill(c), precision));
      const expected = BigInt(c) * delta(precision);
      const ph = client.phases(out);
      let s = 0;
      for (const x of ph) s += torusError(x, expected) ** 2;
      const ratio = s / ph.length / noise.pbsOutputVariance(params);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
      server.release();
    });
  }
});
