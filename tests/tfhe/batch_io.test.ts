// The encrypted-batch container: round trip (the server runs on deserialized inputs), and every
// truncation or header corruption is a clear error, never a crash or a wrong shape.
import { describe, expect, it } from "vitest";
import { deserializeEncryptedBatch, serializeEncryptedBatch } from "../../backends/tfhe/index.js";
import { FHEC_P1 } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";
import { batchOf, negationCircuit, parties, programFor } from "./helpers.js";

const TEXT = negationCircuit(true);

describe("encrypted batch container", () => {
  it("round-trips inputs and outputs through bytes", async () => {
    const p = await parties(programFor(TEXT, INSECURE_TEST_P2));
    const enc = p.client.encrypt([batchOf(2, [3], [1, -2, 3, 4, -5, 6]), batchOf(2, [2], [0, 1, 1, 1])]);
    const bytes = serializeEncryptedBatch(enc);
    const back = deserializeEncryptedBatch(bytes, p.program.params, "inputs.bin");
    expect(back.batch).toBe(2);
    expect(back.keyId).toBe(enc.keyId);
    expect(back.values.map((t) => t.shape)).toEqual([[2, 3], [2, 2]]);
    const out = deserializeEncryptedBatch(serializeEncryptedBatch(await p.server.run(back)), p.program.params);
    expect(Array.from(p.client.decrypt(out)[0]!.data, (v) => v + 0)).toEqual([-1, 2, -3, -4, 5, -6]);
  });

  it("rejects truncations, corrupt headers and other parameters with a clear error", async () => {
    const p = await parties(programFor(TEXT, INSECURE_TEST_P2));
    const bytes = serializeEncryptedBatch(p.client.encrypt([batchOf(1, [3], [1, 2, 3]), batchOf(1, [2], [0, 1])]));
    for (let n = 0; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 97))) {
      expect(() => deserializeEncryptedBatch(bytes.subarray(0, n), undefined, "x.bin")).toThrow(/'x.bin' is not a valid encrypted batch/);
    }
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
    for (let i = 0; i < 16 + headerLength; i++) {
      const c = bytes.slice();
      c[i] ^= 0x5a;
      let r: ReturnType<typeof deserializeEncryptedBatch> | undefined;
      try {
        r = deserializeEncryptedBatch(c, INSECURE_TEST_P2);
      } catch (e) {
        expect((e as Error).message).toMatch(/not a valid encrypted batch/);
      }
      // A flip that still parses can only have changed the key id's hex digits.
      if (r) expect(r.values.map((t) => t.size)).toEqual([3, 2]);
    }
    expect(() => deserializeEncryptedBatch(bytes, FHEC_P1, "x.bin")).toThrow(/encrypted for parameters 0x[0-9a-f]+, expected TfheParameters\(FHEC_P1\)/);
    expect(() => deserializeEncryptedBatch(new Uint8Array([...bytes, 0]), undefined, "x.bin")).toThrow(/truncated or padded/);
  });
});
