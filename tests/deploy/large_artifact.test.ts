// An artifact over 4 GiB (a ciphertext batch under 128-bit parameters) is generated, written to
// disk as a stream, read back as a stream and decrypted. Making it in one Buffer is refused with
// an error (Node cannot create a Buffer that large), not an abort. Needs ~9 GiB of memory and
// 4.5 GB of disk: skipped with a message on machines with less than 16 GiB free.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { freemem, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encryptedBatchParser, encryptedBatchStream } from "../../backends/tfhe/batch_io.js";
import { openFileChunks, writeStreamAtomic } from "../../compiler/stream_io.js";
import { ClientKey, CONCRETE_P8, parseChunks } from "../../runtime/index.js";

const NEED = 16 * 2 ** 30;
const enough = freemem() >= NEED;
if (!enough) console.warn(`skipping the >4 GiB artifact test: ${(freemem() / 2 ** 30).toFixed(1)} GiB free, it needs 16 GiB`);

/** Lets the worker answer vitest's RPC between the long synchronous steps (it times out after 60 s on a loaded machine otherwise). */
const tick = () => new Promise((r) => setImmediate(r));

describe.skipIf(!enough)("an artifact over 4 GiB", () => {
  it("is written, read back and decrypted through streams; one Buffer of it is an error", async () => {
    const params = CONCRETE_P8;
    const count = 34_000; // × (kN + 1) words × 8 bytes = 4.46e9 bytes > 2^32
    const key = ClientKey.generate(params);
    const values = Array.from({ length: count }, (_, i) => (i * 37) % 256);
    const ct = key.encrypt(values, 8, { shape: [count] });
    expect(ct.data.byteLength).toBeGreaterThan(2 ** 32);
    await tick();
    // The real failure path: Node refuses a Buffer this large; the addon throws instead of aborting.
    expect(() => ct.serialize()).toThrow(/cannot create a buffer of \d+ bytes/);
    await tick();
    const dir = mkdtempSync(join(tmpdir(), "fhec-large-"));
    try {
      const path = join(dir, "x.ct");
      const stream = encryptedBatchStream({ batch: count, keyId: "0".repeat(64), values: [ct] });
      writeStreamAtomic(path, stream);
      expect(statSync(path).size).toBe(stream.size);
      await tick();
      expect(stream.size).toBeGreaterThan(2 ** 32);
      const back = parseChunks(encryptedBatchParser(params, path), openFileChunks(path).chunks());
      expect(back.batch).toBe(count);
      await tick();
      expect(back.values[0]!.shape).toEqual([count]);
      expect(key.decrypt(back.values[0]!, 8)).toEqual(values);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
