// `fhec serve` end to end, as a separate process on a free loopback port: remote keygen and
// predict equal the local encrypted predict; concurrent clients through a bounded queue; every
// error a client can cause, as JSON with its status; SIGTERM while a request is in flight. Every
// wait is bounded and every server is stopped.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNpy, readNpz, writeNpy } from "../../compiler/data/npy.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheHttpClient } from "../../compiler/serve/client.js";
import { take } from "../../bench/fixtures.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";
import { type Served, startServe } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "fhec-serve-"));
const p = (name: string) => join(work, name);
const lr = loadFixture("logreg_demo");
const tree = loadFixture("gemm_tree");
const servers: Served[] = [];
let lrServer: Served;

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  expect(r.stderr, r.stderr).not.toMatch(/error/);
  expect(r.code).toBe(0);
  return r.stdout;
}

const npy = (path: string) => readNpy(readFileSync(path));

/** A raw HTTP request (no client logic): status, headers and body text. */
function raw(url: string, method: string, body?: Uint8Array, headers: Record<string, string | number> = {}): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * A POST whose body stops halfway until `finish` sends the rest: it holds its place on the
 * server (running or queued) for as long as the test wants.
 */
function heldRequest(url: string, body: Uint8Array): { finish(): Promise<{ status: number; body: Buffer }> } {
  const half = body.length >> 1;
  const req = request(url, { method: "POST", headers: { "Content-Type": "application/octet-stream", "Content-Length": body.length } });
  const answer = new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
  });
  req.flushHeaders();
  req.write(body.subarray(0, half));
  return { finish: () => (req.end(body.subarray(half)), answer) };
}

/** The JSON error of a response, checked to be {code, message} and never a stack trace. */
function jsonError(r: { text: string }): { code: string; message: string } {
  const e = JSON.parse(r.text) as { code: string; message: string };
  expect(Object.keys(e).sort()).toEqual(["code", "message"]);
  expect(r.text).not.toMatch(/\n\s+at /);
  return e;
}

beforeAll(async () => {
  writeFileSync(p("lr_x5.npy"), writeNpy(take(lr.x, 5)));
  writeFileSync(p("tree_x5.npy"), writeNpy(take(tree.x, 5)));
  await ok("compile", lr.model, "--calib", join(lr.dir, "calib.npy"), "--n-bits", "3", "-o", p("lr.fhe"));
  await ok("compile", lr.model, "--calib", join(lr.dir, "calib.npy"), "--n-bits", "4", "-o", p("lr4.fhe"));
  await ok("predict", p("lr.fhe"), "--input", p("lr_x5.npy"), "--fhe", "execute", "-o", p("lr_local.npy"));
  // One job at a time, two waiting: 20 concurrent requests must meet a full queue.
  lrServer = await startServe(p("lr.fhe"), "--concurrency", "1", "--queue", "2", "--max-body", "16MiB");
  servers.push(lrServer);
}, 300_000);

afterAll(async () => {
  for (const s of servers) await s.stop(30_000);
});

describe("fhec serve with the logistic regression", () => {
  it("remote keygen and remote predict on 5 samples equal the local predict --fhe execute", async () => {
    await ok("remote", "keygen", "--server", lrServer.url, "--out", p("lr_keys"));
    await ok("remote", "predict", "--server", lrServer.url, "--keys", p("lr_keys"), "--input", p("lr_x5.npy"), "-o", p("lr_remote.npy"));
    expect(Array.from(npy(p("lr_remote.npy")).data)).toEqual(Array.from(npy(p("lr_local.npy")).data));
    // Predicting again reuses the keys the server holds: one upload in the log.
    await ok("remote", "predict", "--server", lrServer.url, "--keys", p("lr_keys"), "--input", p("lr_x5.npy"), "-o", p("lr_remote2.npy"));
    expect(lrServer.log().match(/POST \/keys 200/g)).toHaveLength(1);
  });

  it("20 concurrent predicts from 2 clients are all correct", async () => {
    const expected = Array.from(npy(p("lr_local.npy")).data);
    const http = new FheHttpClient(lrServer.url, { retries: 100 });
    const clients = await Promise.all([0, 1].map(async (i) => {
      const client = await http.modelClient();
      const keys = await client.generateKeys();
      return { client, keys, i };
    }));
    // Each client posts its keys once, then predicts (FheHttpClient.predict skips the upload).
    for (const { client, keys } of clients) expect(await http.uploadKeys(keys.evaluationKeys)).toBe(client.keyId);
    // The 5 samples repeated 80 times. Whether the queue overflows here depends on timing (the
    // next test fills it on purpose); every answer must be right either way.
    const five = take(lr.x, 5);
    const copies = 80;
    const x = { shape: [5 * copies, ...five.shape.slice(1)], data: new Float64Array(five.data.length * copies) };
    for (let c = 0; c < copies; c++) x.data.set(five.data, c * five.data.length);
    const results = await Promise.all(Array.from({ length: 20 }, (_, k) => {
      const { client, keys } = clients[k % 2]!;
      return http.predict(client, client.keyId, keys.evaluationKeys, x);
    }));
    const expectedAll = Array.from({ length: copies }, () => expected).flat();
    for (const r of results) expect(Array.from(r[0]!.data)).toEqual(expectedAll);
    const metrics = await (await fetch(`${lrServer.url}/metrics`)).text();
    expect(metrics).toMatch(/fhec_requests_total\{route="\/predict",status="200"\} \d+/);
    expect(metrics).toMatch(/^fhec_key_cache_entries 3$/m); // the CLI's key set and the two clients'
    expect(metrics).toMatch(/^fhec_queue_length 0$/m);
  });

  it("a full queue answers 503 with Retry-After; the client waits, retries and gets its answer", async () => {
    const expected = Array.from(npy(p("lr_local.npy")).data);
    const http = new FheHttpClient(lrServer.url);
    const client = await http.modelClient();
    const keys = await client.generateKeys();
    await http.uploadKeys(keys.evaluationKeys);
    const ct = client.encrypt(take(lr.x, 5));
    // Three requests whose bodies stop halfway: the one running job waits for the rest of its
    // body and the two others wait in the queue (the server takes a slot when the headers come).
    const held = [0, 1, 2].map(() => heldRequest(`${lrServer.url}/predict?key=${client.keyId}`, ct));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const h = await http.health();
      if (h.running === 1 && h.queue === 2) break;
      if (Date.now() > deadline) throw new Error(`the queue never filled: ${JSON.stringify(h)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const full = await raw(`${lrServer.url}/predict?key=${client.keyId}`, "POST", ct);
    expect(full.status).toBe(503);
    expect(full.headers["retry-after"]).toBe("1");
    expect(jsonError(full).code).toBe("busy");

    // The client is answered 503 too; once it has been, the held bodies are sent in full and the
    // queue drains, so its retry (after the 1 s the server asked for) finds a free slot.
    const waits: number[] = [];
    let release!: () => void;
    const refused = new Promise<void>((r) => (release = r));
    const retrying = new FheHttpClient(lrServer.url, { onRetry: (status, wait) => {
      if (status === 503) waits.push(wait);
      release();
    } });
    const answer = retrying.predict(client, client.keyId, keys.evaluationKeys, take(lr.x, 5));
    await refused;
    const outcomes = await Promise.all(held.map((h) => h.finish()));
    for (const o of outcomes) {
      expect(o.status).toBe(200);
      expect(Array.from(client.decrypt(o.body)[0]!.data)).toEqual(expected);
    }
    expect(Array.from((await answer)[0]!.data)).toEqual(expected);
    expect(waits[0]).toBe(1);
    const metrics = await (await fetch(`${lrServer.url}/metrics`)).text();
    expect(metrics).toMatch(/fhec_requests_total\{route="\/predict",status="503"\} [1-9]/);
    expect(metrics).toMatch(/^fhec_queue_length 0$/m);
  });

  it("answers a wrong key id with 404, a ciphertext of another circuit with 409, a truncated body with 400", async () => {
    const unknownId = "f".repeat(64);
    const client = FheModelClient.load(readFileSync(p("lr_keys/circuit.client")));
    client.loadSecretKey(readFileSync(p("lr_keys/secret.key")));
    const ct = client.encrypt(take(lr.x, 5));

    const unknown = await raw(`${lrServer.url}/predict?key=${unknownId}`, "POST", ct);
    expect(unknown.status).toBe(404);
    expect(jsonError(unknown).code).toBe("not_found");

    await ok("keygen", p("lr4.client"), "--out", p("lr4_keys"));
    await ok("encrypt", p("lr4.client"), "--keys", p("lr4_keys"), "--input", p("lr_x5.npy"), "-o", p("lr4.ct"));
    const other = await raw(`${lrServer.url}/predict?key=${client.keyId}`, "POST", readFileSync(p("lr4.ct")));
    expect(other.status).toBe(409);
    expect(jsonError(other)).toMatchObject({ code: "wrong_circuit", message: expect.stringContaining("belongs to another circuit") });

    const truncated = await raw(`${lrServer.url}/predict?key=${client.keyId}`, "POST", ct.subarray(0, ct.length - 100));
    expect(truncated.status).toBe(400);
    expect(jsonError(truncated).message).toContain("is truncated");

    const noKey = await raw(`${lrServer.url}/predict`, "POST", ct);
    expect(noKey.status).toBe(400);
    const wrongMethod = await raw(`${lrServer.url}/predict?key=${client.keyId}`, "GET");
    expect(wrongMethod.status).toBe(405);
  });

  it("answers a body over --max-body with 413, announced or streamed", async () => {
    const announced = await raw(`${lrServer.url}/keys`, "POST", new Uint8Array(0), { "Content-Length": 17 * 2 ** 20 }).catch((e: Error) => e);
    // The server answers before reading (and closes): the status is what matters.
    expect(announced).not.toBeInstanceOf(Error);
    expect((announced as { status: number }).status).toBe(413);
    // A chunked body with no length, a valid key message followed by more bytes: refused once it
    // passes the limit (bounded: at most 32 MiB sent).
    const keys = readFileSync(p("lr_keys/eval.key"));
    const streamed = await new Promise<number>((resolve, reject) => {
      let answered = false;
      const req = request(`${lrServer.url}/keys`, { method: "POST" }, (res) => {
        answered = true;
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", (e) => (answered ? undefined : reject(e)));
      const chunk = new Uint8Array(2 ** 20);
      let sent = 0;
      const pump = () => {
        while (sent < 32 && !answered) {
          const part = sent * chunk.length < keys.length ? keys.subarray(sent * chunk.length, (sent + 1) * chunk.length) : chunk;
          sent++;
          if (!req.write(part)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    expect(streamed).toBe(413);
    expect(lrServer.log()).toMatch(/POST \/keys 413/);
  });

  it("refuses a secret key posted to /keys and keeps nothing", async () => {
    const before = await (await fetch(`${lrServer.url}/metrics`)).text();
    const r = await raw(`${lrServer.url}/keys`, "POST", readFileSync(p("lr_keys/secret.key")));
    expect(r.status).toBe(400);
    expect(jsonError(r).message).toContain("holds secret key, not evaluation keys");
    const after = await (await fetch(`${lrServer.url}/metrics`)).text();
    const entries = (m: string) => /^fhec_key_cache_entries (\d+)$/m.exec(m)![1];
    expect(entries(after)).toBe(entries(before));
  });

  it("logs one line per request, with no key or ciphertext material", () => {
    const lines = lrServer.log().trim().split("\n").slice(1); // after the "listening" line
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) {
      expect(l).toMatch(/^\S+Z (GET|POST) \/\S* \d{3} [\d.]+ms in=\d+B out=\d+B/);
      expect(l).not.toMatch(/[0-9a-f]{13,}/); // key ids appear shortened to 12 hex digits, nothing longer
    }
  });
});

describe("fhec serve with the GEMM tree", () => {
  it("remote predict equals the local predict, and SIGTERM mid-request lets it finish, then stops the server", async () => {
    await ok("compile", tree.model, "--calib", join(tree.dir, "calib.npy"), "-o", p("tree.fhe"));
    const local = ok("predict", p("tree.fhe"), "--input", p("tree_x5.npy"), "--fhe", "execute", "-o", p("tree_local.npz"));
    const server = await startServe(p("tree.fhe"));
    servers.push(server);
    await ok("remote", "keygen", "--server", server.url, "--out", p("tree_keys"));
    // Keys uploaded first, so that the only job the server runs next is the prediction.
    const treeKeys = readFileSync(p("tree_keys/eval.key"));
    await new FheHttpClient(server.url).uploadKeys(treeKeys);
    const remote = cli("remote", "predict", "--server", server.url, "--keys", p("tree_keys"), "--input", p("tree_x5.npy"), "-o", p("tree_remote.npz"));
    // Wait (bounded) until the prediction is running, then ask the server to stop.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const h = (await (await fetch(`${server.url}/health`)).json()) as { running: number };
      if (h.running > 0) break;
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    server.terminate();
    const r = await remote;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await server.stop(120_000)).toBe(0);
    expect(server.log()).toMatch(/SIGTERM: finishing the requests in flight[\s\S]*POST \/predict 200[\s\S]*stopped/);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    await local;
    const a = readNpz(readFileSync(p("tree_remote.npz")));
    const b = readNpz(readFileSync(p("tree_local.npz")));
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const k of a.keys()) expect(Array.from(a.get(k)!.data)).toEqual(Array.from(b.get(k)!.data));
  }, 600_000);
});
