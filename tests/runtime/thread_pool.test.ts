// The addon's thread pool under concurrent use: resizing never waits for a running batch (the JS
// thread would freeze for the whole batch), and its size is readable from any thread while a
// resize happens (it used to read the worker list unlocked).
import { describe, expect, it } from "vitest";
import { ClientKey, FHEC_P1, lookupTables, runtimeInfo, setThreads } from "../../runtime/index.js";

describe("thread pool", () => {
  it("setThreads during an async batch returns before the batch ends, and the batch stays correct", async () => {
    const before = runtimeInfo().threads;
    const client = ClientKey.generate(FHEC_P1);
    const server = await client.generateEvaluationKeys();
    const ct = client.encrypt(new Array<number>(512).fill(1), 1);
    try {
      setThreads(2);
      let finished = false;
      const batch = server.applyLookupTable(ct, lookupTables([1, 0], 1)).then((r) => {
        finished = true;
        return r;
      });
      // Give the batch time to take the pool (one turn of the loop for the work to be queued).
      await new Promise((r) => setImmediate(r));
      setThreads(1);
      // A resize that waited for the batch would return after it: its completion callback would
      // then run in the very next poll phase, before this check phase's setImmediate.
      const first = await Promise.race([batch.then(() => "batch"), new Promise((r) => setImmediate(() => r("loop")))]);
      expect(first).toBe("loop");
      expect(runtimeInfo().threads).toBe(1);
      const out = await batch;
      expect(finished).toBe(true);
      expect(client.decrypt(out, 1).every((v) => v === 0)).toBe(true);
    } finally {
      setThreads(before);
    }
  }, 120_000);

  it("resizing while batches run and the size is read concurrently keeps every result right", async () => {
    const before = runtimeInfo().threads;
    const client = ClientKey.generate(FHEC_P1);
    const server = await client.generateEvaluationKeys();
    try {
      const runs = [0, 1, 2, 3].map((k) => server.applyLookupTable(client.encrypt(new Array<number>(64).fill(k % 2), 1), lookupTables([1, 0], 1)));
      for (let t = 0; t < 50; t++) {
        setThreads(1 + (t % 3));
        expect(runtimeInfo().threads).toBe(1 + (t % 3));
      }
      const outs = await Promise.all(runs);
      outs.forEach((o, k) => expect(client.decrypt(o, 1).every((v) => v === 1 - (k % 2))).toBe(true));
    } finally {
      setThreads(before);
    }
  }, 120_000);
});
