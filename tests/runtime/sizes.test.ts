// The size functions of runtime/sizes.ts against real keys and ciphertexts: serialized lengths and
// the byte counts the addon reports for the keys it holds, for a keyswitching key stored in 64-bit
// words and one stored rounded to 32 bits.
import { describe, expect, it } from "vitest";
import {
  ciphertextBytes, ciphertextTensorBytes, ClientKey, evaluationKeySize, type EvaluationKeySizes, type KeyPairSize, secretKeySize,
  seededEvaluationKeySize, TfheParameters,
} from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";

// TESTS ONLY: tiny sets. The second has enough LWE noise for the runtime's 32-bit keyswitching key.
const SETS = [
  INSECURE_TEST_P2,
  new TfheParameters({ ...INSECURE_TEST_P2.raw(), glweDimension: 2, pbsLevel: 3, ksBaseLog: 3, ksLevel: 6, lweNoiseStd: 2 ** -20 }, "INSECURE_TEST_COMPACT_KSK"),
  // Multi-bit bootstrapping key: (n/4)·15 GGSWs instead of n.
  new TfheParameters({ ...INSECURE_TEST_P2.raw(), pbsGroupingFactor: 4 }, "INSECURE_TEST_MULTIBIT_G4"),
];

/** A key pair's serialized length and the addon's byte counts equal the formulas; returns the addon's report. */
function expectKeySizes(keys: { serialize(): Uint8Array; sizes(): EvaluationKeySizes }, want: KeyPairSize): EvaluationKeySizes {
  expect(keys.serialize().length).toBe(want.serialized);
  const reported = keys.sizes();
  expect(reported.keyswitchingKey).toBe(want.keyswitchKey);
  expect(reported.bootstrappingKey).toBe(want.bootstrapKey);
  return reported;
}

describe("runtime sizes match real serializations", () => {
  it("covers both keyswitching-key word sizes", () => {
    expect([...new Set(SETS.map((p) => p.keyswitchKeyWordBytes))].sort()).toEqual([4, 8]);
  });

  for (const params of SETS) {
    it(`${params.name}: secret key, seeded and expanded evaluation keys, ciphertexts`, async () => {
      const client = ClientKey.generate(params);
      expect(client.serialize().length).toBe(secretKeySize(params).serialized);

      const seeded = await client.generateSeededEvaluationKeys();
      expectKeySizes(seeded, seededEvaluationKeySize(params));

      const server = await seeded.expand();
      const e = evaluationKeySize(params);
      expect(expectKeySizes(server, e).total).toBe(e.inMemory);

      for (const shape of [[1], [3, 2], [2, 1, 4]]) {
        const count = shape.reduce((a, b) => a * b, 1);
        const big = client.encrypt(Array.from({ length: count }, (_, i) => i % 4), 2, { shape });
        expect(big.serialize().length).toBe(ciphertextTensorBytes(params.bigDimension, shape));
        const small = client.encrypt(Array.from({ length: count }, (_, i) => i % 4), 2, { shape, key: "small" });
        expect(small.serialize().length).toBe(ciphertextTensorBytes(params.lweDimension, shape));
      }
      // One more value adds exactly one ciphertext.
      expect(ciphertextTensorBytes(params.bigDimension, [5]) - ciphertextTensorBytes(params.bigDimension, [4])).toBe(ciphertextBytes(params.bigDimension));
    });
  }
});
