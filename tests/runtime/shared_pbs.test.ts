// A lone PBS (classic at N ≥ 8192, multi-bit at N ≥ 2048) may share its blind rotation with a
// helper thread (runtime/native pbs_split.cpp). Every value is computed by the same kernels either way, so the output must be
// bit-identical to the one-thread PBS — for any split of the tasks between the threads.
import { afterAll, describe, expect, it } from "vitest";
import { ClientKey, LweCiphertextTensor, lookupTables, setSharedPbs, TfheParameters } from "../../runtime/index.js";

// TESTS ONLY: a small n keeps the keys small at N = 8192 (the shared path's threshold) and at
// N = 32768. The small key's noise decides the keyswitching key's word size: σ = 2^-30 gives the
// 64-bit key, 2^-24 the 32-bit one (both keyswitch paths are split between the threads).
function insecureLargeN(k: number, level: number, N = 8192, lweNoiseStd = 2 ** -30): TfheParameters {
  return new TfheParameters({
    lweDimension: 64, glweDimension: k, polynomialSize: N, pbsBaseLog: level === 1 ? 22 : 15, pbsLevel: level,
    ksBaseLog: 4, ksLevel: 5, lweNoiseStd, glweNoiseStd: 2 ** -50,
  }, `INSECURE_TEST_SHARED_PBS_K${k}_L${level}_N${N}`);
}

// TESTS ONLY: multi-bit at the multi-bit sharing threshold, n = 48 (a multiple of 2, 3 and 4).
function insecureMultiBit(k: number, g: number): TfheParameters {
  return new TfheParameters({
    lweDimension: 48, glweDimension: k, polynomialSize: 2048, pbsBaseLog: 15, pbsLevel: 2, pbsGroupingFactor: g,
    ksBaseLog: 4, ksLevel: 5, lweNoiseStd: 2 ** -30, glweNoiseStd: 2 ** -50,
  }, `INSECURE_TEST_SHARED_MULTIBIT_K${k}_G${g}`);
}

function bytes(x: { serialize(): Uint8Array }): number[] {
  return Array.from(x.serialize());
}

describe("shared lone PBS", () => {
  afterAll(() => setSharedPbs("auto"));

  const shapes = [
    ...([[1, 2], [2, 1]] as const).map(([k, level]) => ({ name: `classic k = ${k}, ℓ = ${level}`, params: insecureLargeN(k, level) })),
    { name: "classic k = 1, ℓ = 2, N = 32768, 32-bit keyswitching key", params: insecureLargeN(1, 2, 32768, 2 ** -24) },
    // k = 1 and 2 run the AVX-512 multi-bit products, k = 3 the portable ones.
    ...([[1, 4], [2, 3], [3, 2]] as const).map(([k, g]) => ({ name: `multi-bit k = ${k}, g = ${g}`, params: insecureMultiBit(k, g) })),
  ];
  for (const { name, params } of shapes) {
    it(`${name}: two-thread KS+PBS and PBS equal the one-thread results bit for bit`, async () => {
      const client = ClientKey.generate(params);
      const server = await (await client.generateSeededEvaluationKeys()).expand();
      const p = 6;
      const table = Array.from({ length: 64 }, (_, i) => (5 * i + 11) % 64);
      const tables = lookupTables(table, p);
      const one = client.encrypt([37], p);
      setSharedPbs("never");
      const alone = server.applyLookupTableSync(one, tables, { parallel: true });
      const small = server.keyswitchSync(one, { parallel: false });
      const aloneBs = server.bootstrapSync(small, tables, { parallel: true });
      setSharedPbs("always");
      for (let rep = 0; rep < 3; rep++) {
        expect(bytes(server.applyLookupTableSync(one, tables, { parallel: true }))).toEqual(bytes(alone));
        expect(bytes(server.bootstrapSync(small, tables, { parallel: true }))).toEqual(bytes(aloneBs));
      }
      expect(bytes(await server.applyLookupTable(one, tables))).toEqual(bytes(alone));
      expect(client.decrypt(alone, p)).toEqual([table[37]]);
    });
  }

  it("multi-bit: groups whose mask bits are all zero (skipped) at the start, middle and end leave the two-thread PBS bit-identical", async () => {
    // A skipped group runs no phase, so the inverse transform of the last group run is still
    // pending when the next group's column tasks (or the closing phase) pick it up.
    const params = insecureMultiBit(1, 4);
    const client = ClientKey.generate(params);
    const server = await (await client.generateSeededEvaluationKeys()).expand();
    const tables = lookupTables(Array.from({ length: 16 }, (_, i) => (3 * i + 5) % 16), 4);
    const small = server.keyswitchSync(client.encrypt([9], 4), { parallel: false });
    const data = small.data.slice();
    for (const group of [0, 1, 5, 10, 11]) data.fill(0n, 4 * group, 4 * group + 4);
    const zeroed = new LweCiphertextTensor(small.shape, small.dimension, small.paramHash, data);
    setSharedPbs("never");
    const alone = bytes(server.bootstrapSync(zeroed, tables, { parallel: true }));
    setSharedPbs("always");
    for (let rep = 0; rep < 3; rep++) expect(bytes(server.bootstrapSync(zeroed, tables, { parallel: true }))).toEqual(alone);
  });

  it("refuses an unknown mode", () => {
    expect(() => setSharedPbs("sometimes" as "auto")).toThrow(/auto, always or never/);
  });
});
