// A batch of ciphertexts is blind-rotated in groups that share each key entry; where a group's
// decompositions fit together, the products run span by span over the whole group. Each
// ciphertext still goes through the same arithmetic as alone, so a batched PBS must equal the
// one-by-one PBS bit for bit. The shapes are the compiler's small-N ones (k = 5 also runs the
// AVX-512 products with 6 accumulator pairs) and large-N ones that keep one decomposition at a
// time. Above 2048 Fourier points a lone ciphertext takes the block-by-block CMux (forward
// blocks, products and inverse blocks per block of points) while a batch keeps the whole-
// transform loop, so there the comparison also checks the two orders of the same butterflies.
// The multi-bit loop holds its group's decompositions the same way (several at ℓ = 1, two at
// ℓ = 3, one at N = 8192) and runs the products span by span over them.
import { describe, expect, it } from "vitest";
import { ClientKey, LweCiphertextTensor, lookupTables, TfheParameters } from "../../runtime/index.js";

// TESTS ONLY: n = 64 (96 multi-bit: a multiple of 2, 3 and 4) keeps the keys small; the GLWE
// shapes are what the kernels see.
function insecure(k: number, N: number, baseLog: number, level: number, g = 1): TfheParameters {
  return new TfheParameters({
    lweDimension: g === 1 ? 64 : 96, glweDimension: k, polynomialSize: N, pbsBaseLog: baseLog, pbsLevel: level,
    ksBaseLog: 4, ksLevel: 5, pbsGroupingFactor: g, lweNoiseStd: 2 ** -30, glweNoiseStd: 2 ** -50,
  }, `INSECURE_TEST_BATCHED_PBS_K${k}_N${N}_L${level}_G${g}`);
}

function bytes(x: { serialize(): Uint8Array }): number[] {
  return Array.from(x.serialize());
}

describe("batched classic PBS", () => {
  const shapes = [
    { name: "k = 5, N = 256, ℓ = 2", params: insecure(5, 256, 10, 2) },
    { name: "k = 2, N = 1024, ℓ = 1", params: insecure(2, 1024, 23, 1) },
    { name: "k = 1, N = 2048, ℓ = 1", params: insecure(1, 2048, 23, 1) },
    { name: "k = 1, N = 4096, ℓ = 1", params: insecure(1, 4096, 22, 1) },
    { name: "k = 1, N = 8192, ℓ = 2", params: insecure(1, 8192, 15, 2) },
    { name: "k = 1, N = 16384, ℓ = 3", params: insecure(1, 16384, 11, 3) },
  ];
  for (const { name, params } of shapes) it(`${name}: a batch of 9 on one thread equals each ciphertext bootstrapped alone, bit for bit`, () => batchEqualsAlone(params));
});

describe("batched multi-bit PBS", () => {
  const shapes = [
    { name: "g = 2, k = 1, N = 2048, ℓ = 1", params: insecure(1, 2048, 22, 1, 2) },
    { name: "g = 2, k = 1, N = 2048, ℓ = 3", params: insecure(1, 2048, 11, 3, 2) },
    { name: "g = 4, k = 2, N = 1024, ℓ = 2", params: insecure(2, 1024, 15, 2, 4) },
    { name: "g = 3, k = 1, N = 8192, ℓ = 2", params: insecure(1, 8192, 15, 2, 3) },
  ];
  for (const { name, params } of shapes) it(`${name}: a batch of 9 on one thread equals each ciphertext bootstrapped alone, bit for bit`, () => batchEqualsAlone(params));
});

async function batchEqualsAlone(params: TfheParameters): Promise<void> {
  const client = ClientKey.generate(params);
  const server = await (await client.generateSeededEvaluationKeys()).expand();
  const p = 4;
  const table = Array.from({ length: 16 }, (_, i) => (7 * i + 3) % 16);
  const tables = lookupTables(table, p);
  const messages = [0, 1, 5, 9, 15, 2, 12, 7, 11];
  const small = server.keyswitchSync(client.encrypt(messages, p), { parallel: false });
  const batch = server.bootstrapSync(small, tables, { parallel: false });
  const alone = LweCiphertextTensor.concat(messages.map((_, i) =>
    server.bootstrapSync(small.slice(i, i + 1), tables, { parallel: false })));
  expect(bytes(batch)).toEqual(bytes(alone));
  expect(client.decrypt(batch, p)).toEqual(messages.map((m) => table[m]));
}
