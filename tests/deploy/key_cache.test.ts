// The server's evaluation-key cache: ids come from the key bytes (a claimed id that the bytes do
// not bear out is refused and never touches the entry it names), the cache is bounded by bytes
// with least-recently-used eviction, and concurrent adds of the same keys expand them once.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compile } from "../../compiler/compile.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { KeyCache, KeyCacheFullError } from "../../compiler/deploy/key_cache.js";
import { messageStream, serializeClientSpec, unpackMessage } from "../../compiler/deploy/artifacts.js";
import { TfheServer } from "../../backends/tfhe/index.js";
import { bytesStream, collect } from "../../runtime/index.js";
import { take } from "../../bench/fixtures.js";
import { loadFixture } from "../helpers/fixtures.js";

const f = loadFixture("logreg_demo");
const circuit = compile(f.model, { calibration: f.calib, nBits: 3 });
const x = take(f.x, 4);
const expected = Array.from(circuit.predictClear(x, { fhe: "disable" })[0]!.data);

async function keyedClient(server: FheModelServer) {
  const client = FheModelClient.load(serializeClientSpec(server.clientSpec()));
  const keys = await client.generateKeys();
  return { client, keys };
}

/** Chunks delivered asynchronously, as a socket would. */
async function* slowly(bytes: Uint8Array, chunk = 1 << 20): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += chunk) {
    await new Promise((r) => setImmediate(r));
    yield bytes.subarray(off, off + chunk);
  }
}

async function predictsCorrectly(server: FheModelServer, client: FheModelClient, keyId: string): Promise<void> {
  const out = client.decrypt(await server.run(keyId, client.encrypt(x)));
  expect(Array.from(out[0]!.data)).toEqual(expected);
}

afterEach(() => vi.restoreAllMocks());

describe("KeyCache", () => {
  const entry = (bytes: number) => async () => ({ value: bytes, bytes });

  it("evicts the least recently used entries to stay within its byte limit", async () => {
    const c = new KeyCache<number>(100);
    await c.load("a", entry(40));
    await c.load("b", entry(40));
    expect(c.get("a")).toBe(40); // a is now more recent than b
    await c.load("c", entry(40));
    expect(c.ids).toEqual(["a", "c"]);
    expect(c.stats).toMatchObject({ bytes: 80, entries: 2, evictions: 1 });
  });

  it("refuses an entry larger than the whole cache, evicting nothing", async () => {
    const c = new KeyCache<number>(100);
    await c.load("a", entry(60));
    await expect(c.load("big", entry(101))).rejects.toBeInstanceOf(KeyCacheFullError);
    expect(c.ids).toEqual(["a"]);
  });

  it("runs one load per id for concurrent callers, and loads again after a failure", async () => {
    const c = new KeyCache<number>(100);
    let calls = 0;
    const slow = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return { value: 1, bytes: 1 };
    };
    await Promise.all([c.load("k", slow), c.load("k", slow), c.load("k", slow)]);
    expect(calls).toBe(1);
    await expect(c.load("bad", async () => Promise.reject(new Error("bad keys")))).rejects.toThrow("bad keys");
    expect(c.has("bad")).toBe(false);
    await c.load("bad", slow);
    expect(calls).toBe(2);
  });
});

describe("the server's key cache", () => {
  it("attack: keys sent under the victim's id are refused, and the victim's keys keep working", async () => {
    const server = new FheModelServer(circuit);
    const victim = await keyedClient(server);
    const attacker = await keyedClient(server);
    const victimId = victim.client.keyId;
    const payload = unpackMessage(attacker.keys.evaluationKeys, "evaluation-keys", server.circuitId).payload;
    const sha = createHash("sha256").update(payload).digest("hex");
    // The attacker's keys with the victim's id in the envelope (checksum of the real payload), or
    // with the victim's id as the checksum too.
    const forgedId = collect(messageStream("evaluation-keys", server.circuitId, bytesStream(payload), victimId, sha));
    const forgedBoth = collect(messageStream("evaluation-keys", server.circuitId, bytesStream(payload), victimId, victimId));

    // Before the victim's keys arrive, while they arrive, and after.
    await expect(server.addEvaluationKeys(forgedId)).rejects.toThrow("its key id is not the id of the keys it holds");
    const [poison, genuine] = await Promise.allSettled([server.addEvaluationKeys(slowly(forgedBoth)), server.addEvaluationKeys(slowly(victim.keys.evaluationKeys))]);
    expect(poison.status).toBe("rejected");
    expect(String((poison as PromiseRejectedResult).reason)).toContain("checksum mismatch");
    expect(genuine).toEqual({ status: "fulfilled", value: victimId });
    await expect(server.addEvaluationKeys(forgedId)).rejects.toThrow("its key id is not the id of the keys it holds");
    await expect(server.addEvaluationKeys(forgedBoth)).rejects.toThrow("checksum mismatch");
    expect(server.keyIds).toEqual([victimId]);
    await predictsCorrectly(server, victim.client, victimId);
  });

  it("expands a key set once when several requests add it at the same time", async () => {
    const server = new FheModelServer(circuit);
    const { client, keys } = await keyedClient(server);
    const create = vi.spyOn(TfheServer, "create");
    const ids = await Promise.all(Array.from({ length: 4 }, () => server.addEvaluationKeys(slowly(keys.evaluationKeys))));
    expect(ids).toEqual(Array(4).fill(client.keyId));
    expect(create).toHaveBeenCalledTimes(1);
    await server.addEvaluationKeys(keys.evaluationKeys); // held already: hashed, not expanded
    expect(create).toHaveBeenCalledTimes(1);
    await predictsCorrectly(server, client, client.keyId);
  });

  it("holds at most its byte limit, evicting the least recently used key set", async () => {
    const one = new FheModelServer(circuit);
    const first = await keyedClient(one);
    await one.addEvaluationKeys(first.keys.evaluationKeys);
    const setBytes = one.keyCacheStats.bytes;
    expect(setBytes).toBe(one.keyBytes); // the up-front estimate is the real size

    const limit = Math.floor(2.5 * setBytes);
    const server = new FheModelServer(circuit, { maxKeyCacheBytes: limit });
    const [a, b, c] = [first, await keyedClient(server), await keyedClient(server)];
    await server.addEvaluationKeys(a.keys.evaluationKeys);
    await server.addEvaluationKeys(b.keys.evaluationKeys);
    await predictsCorrectly(server, a.client, a.client.keyId); // a used after b: b is the oldest
    await server.addEvaluationKeys(c.keys.evaluationKeys);
    expect(server.keyCacheStats).toMatchObject({ entries: 2, bytes: 2 * setBytes, evictions: 1 });
    expect(server.keyCacheStats.bytes).toBeLessThanOrEqual(limit);
    expect(server.keyIds).toEqual([a.client.keyId, c.client.keyId]);
    await expect(server.run(b.client.keyId, b.client.encrypt(x))).rejects.toThrow("no evaluation keys with id");
    await predictsCorrectly(server, c.client, c.client.keyId);
  });

  it("refuses a limit smaller than one key set of the circuit", () => {
    expect(() => new FheModelServer(circuit, { maxKeyCacheBytes: 1024 })).toThrow("more than the key cache limit");
  });
});
