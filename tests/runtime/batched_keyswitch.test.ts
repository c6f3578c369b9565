// The keyswitch streams its whole key per pass (tens of MB at the compiler's shapes), so a batch is
// keyswitched in groups that read each key row once for all of their ciphertexts. Subtraction
// modulo 2^64 (or 2^32 for a compact key) does not depend on the order, so a grouped keyswitch
// must equal each ciphertext keyswitched alone, bit for bit: for the evaluation keys' keyswitch,
// the fused keyswitch + PBS, and the conversion keys between partitions, with 64-bit and 32-bit
// key storage, on one thread and on the pool. 19 ciphertexts: two full groups and a partial one.
import { describe, expect, it } from "vitest";
import {
  ClientKey, ClientKeySet, keyswitchKeyWordBytes, LweCiphertextTensor, lookupTables, TfheParameters,
} from "../../runtime/index.js";

// TESTS ONLY: tiny keys; the keyswitch 2^4 × 5 at noise 2^-20 is stored on 32 bits, at 2^-30 on 64.
function insecure(lweNoiseStd: number, tag: string): TfheParameters {
  return new TfheParameters({
    lweDimension: 96, glweDimension: 1, polynomialSize: 512, pbsBaseLog: 15, pbsLevel: 2,
    ksBaseLog: 4, ksLevel: 5, lweNoiseStd, glweNoiseStd: 2 ** -50,
  }, `INSECURE_TEST_BATCHED_KS_${tag}`);
}
const STORAGES = [
  { name: "32-bit key", params: insecure(2 ** -20, "COMPACT"), wordBytes: 4 },
  { name: "64-bit key", params: insecure(2 ** -30, "WIDE"), wordBytes: 8 },
];

const bytes = (x: { serialize(): Uint8Array }): Buffer => Buffer.from(x.serialize());
const messages = Array.from({ length: 19 }, (_, i) => (5 * i + 2) % 8);

describe("grouped keyswitch", () => {
  for (const { name, params, wordBytes } of STORAGES) {
    it(`${name}: a batch of 19 keyswitched (and keyswitched + bootstrapped) in groups equals each ciphertext alone, bit for bit`, async () => {
      expect(keyswitchKeyWordBytes(params.ksBaseLog, params.ksLevel, params.lweNoiseStd)).toBe(wordBytes);
      const client = ClientKey.generate(params);
      const server = await (await client.generateSeededEvaluationKeys()).expand();
      const p = 3;
      const ct = client.encrypt(messages, p);
      const alone = LweCiphertextTensor.concat(messages.map((_, i) => server.keyswitchSync(ct.slice(i, i + 1), { parallel: false })));
      for (const parallel of [false, true]) expect(bytes(server.keyswitchSync(ct, { parallel }))).toEqual(bytes(alone));
      expect(bytes(await server.keyswitch(ct))).toEqual(bytes(alone));

      const table = Array.from({ length: 8 }, (_, i) => (3 * i + 1) % 8);
      const tables = lookupTables(table, p);
      const lookedUp = LweCiphertextTensor.concat(messages.map((_, i) =>
        server.applyLookupTableSync(ct.slice(i, i + 1), tables, { parallel: false })));
      for (const parallel of [false, true]) expect(bytes(server.applyLookupTableSync(ct, tables, { parallel }))).toEqual(bytes(lookedUp));
      expect(client.decrypt(lookedUp, p)).toEqual(messages.map((m) => table[m]));
    });
  }

  it("conversion keys (32-bit and 64-bit storage): a batch of 19 converted in groups equals each ciphertext alone, bit for bit", async () => {
    const [compact, wide] = STORAGES.map((s) => s.params);
    const source = insecure(2 ** -30, "SOURCE");
    const set = ClientKeySet.generate([source, compact!, wide!], [{ from: 0, to: 1, baseLog: 4, level: 5 }, { from: 0, to: 2, baseLog: 4, level: 5 }]);
    const server = await (await set.generateSeededEvaluationKeys()).expand();
    expect(server.conversion(0, 1).bytes).toBe(source.bigDimension * 5 * (compact!.lweDimension + 1) * 4);
    expect(server.conversion(0, 2).bytes).toBe(source.bigDimension * 5 * (wide!.lweDimension + 1) * 8);
    const ct = set.key(0).encrypt(messages, 3);
    for (const to of [1, 2]) {
      const key = server.conversion(0, to);
      const batch = await key.keyswitch(ct);
      const alone = [];
      for (let i = 0; i < messages.length; i++) alone.push(await key.keyswitch(ct.slice(i, i + 1)));
      expect(bytes(batch)).toEqual(bytes(LweCiphertextTensor.concat(alone)));
      expect(set.key(to).decrypt(batch, 3)).toEqual(messages);
    }
  });
});
