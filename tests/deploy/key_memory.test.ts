// The server frees the native memory of evaluation keys as soon as it lets them go, without any
// garbage collection: keys expanded from an upload it then refuses, and keys its cache evicts.
// Expanded keys live in native memory; the garbage collector is told their size, but a server
// busy with uploads (synchronous parsing, no turn of the event loop) may not collect for minutes:
// the 10-minute evaluation-keys fuzz run grew by ~0.4 MiB per refused upload, to 13.6 GB.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { messageStream, serializeClientSpec, unpackMessage } from "../../compiler/deploy/artifacts.js";
import { bytesStream, collect } from "../../runtime/index.js";
import { native } from "../../runtime/native.js";
import { take } from "../../bench/fixtures.js";
import { keyUploadMemoryBound } from "../../bench/fuzz_harness.js";
import { loadFixture } from "../helpers/fixtures.js";

const f = loadFixture("logreg_demo");
const circuit = compile(f.model, { calibration: f.calib, nBits: 3 });
const x = take(f.x, 2);
const MiB = 2 ** 20;

async function keyedClient(server: FheModelServer) {
  const client = FheModelClient.load(serializeClientSpec(server.clientSpec()));
  return { client, keys: await client.generateKeys() };
}

/** The same keys under an envelope claiming another key id (checksum intact): refused only once they are expanded. */
function forgedId(evaluationKeys: Uint8Array, circuitId: string, n: number): Uint8Array {
  const { payload } = unpackMessage(evaluationKeys, "evaluation-keys", circuitId);
  return collect(messageStream("evaluation-keys", circuitId, bytesStream(payload), n.toString(16).padStart(64, "f")));
}

const rss = () => process.memoryUsage().rss;

describe("native key memory is freed when the server lets keys go, without garbage collection", () => {
  it("uploads refused after a whole expansion keep resident memory within the key cache's budget", async () => {
    const rss0 = rss();
    const probe = new FheModelServer(circuit);
    const server = new FheModelServer(circuit, { maxKeyCacheBytes: probe.keyBytes });
    const { keys } = await keyedClient(server);
    await server.addEvaluationKeys(keys.evaluationKeys);
    const held = native().nativeHeldBytes();
    // 12 refusals: ~0.9 GB of expanded keys if each were left to the garbage collector.
    const refusals = 12;
    for (let n = 1; n <= refusals; n++) {
      await expect(server.addEvaluationKeys(forgedId(keys.evaluationKeys, server.circuitId, n))).rejects.toThrow(/key id is not the id/);
    }
    expect(native().nativeHeldBytes()).toBe(held);
    // The cache's budget (one key set, kept), one expansion in flight (freed at once, its pages
    // returned: each array is larger than the allocator's mmap threshold), and a margin.
    const bound = keyUploadMemoryBound(server);
    expect(rss() - rss0, `grew ${((rss() - rss0) / MiB).toFixed(0)} MiB, bound ${(bound / MiB).toFixed(0)} MiB`).toBeLessThan(bound);
  }, 120_000);

  it("keys evicted from the cache are freed at once, and a run using them finishes first", async () => {
    const probe = new FheModelServer(circuit);
    const server = new FheModelServer(circuit, { maxKeyCacheBytes: probe.keyBytes });
    const a = await keyedClient(server);
    const b = await keyedClient(server);
    const base = native().nativeHeldBytes();
    const idA = await server.addEvaluationKeys(a.keys.evaluationKeys);
    const one = native().nativeHeldBytes() - base;
    expect(one).toBeGreaterThanOrEqual(server.keyBytes);
    // A's run is under way when B's keys evict A's: A's keys are freed once the run ends.
    const run = server.run(idA, a.client.encrypt(x));
    await server.addEvaluationKeys(b.keys.evaluationKeys);
    expect(server.hasKeys(idA)).toBe(false);
    expect(native().nativeHeldBytes() - base).toBe(2 * one);
    const out = a.client.decrypt(await run);
    expect(Array.from(out[0]!.data)).toEqual(Array.from(circuit.predictClear(x, { fhe: "disable" })[0]!.data));
    expect(native().nativeHeldBytes() - base).toBe(one);
  }, 120_000);
});
