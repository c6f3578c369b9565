// Keys generated straight to disk (FheModelClient.writeKeys, what `fhec keygen` does): the
// evaluation-key message is written as the keys are made, its envelope rewritten in place at the
// end with the payload's checksum (= the key id), so the file is a valid message of exactly the
// announced size; a partitioned circuit's secret key set reads back in 1-byte, 7-byte and 64 KiB
// chunks; a key generation that fails midway leaves no file behind; the client spec is made without
// a server (whose key cache bounds the keys it holds, not the circuits fhec compile writes).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { openFileChunks, writeArtifactSetAsync } from "../../compiler/stream_io.js";
import type { ByteStream } from "../../runtime/index.js";
import { tinyPartitioned } from "./tiny_partitioned.js";

function* chunked(bytes: Uint8Array, n: number): Generator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += n) yield bytes.subarray(off, Math.min(bytes.length, off + n));
}

/** The JSON header and payload of a frame (8-byte magic, u32 version, u32 header length, header). */
function frame(bytes: Buffer): { header: Record<string, unknown>; payload: Buffer } {
  const len = bytes.readUInt32LE(12);
  return { header: JSON.parse(bytes.subarray(16, 16 + len).toString("utf8")) as Record<string, unknown>, payload: bytes.subarray(16 + len) };
}

const dir = mkdtempSync(join(tmpdir(), "fhec-keygen-"));
const t = tinyPartitioned(3);
let server: FheModelServer;
let client: FheModelClient;
let keyId: string;

beforeAll(async () => {
  server = new FheModelServer(t.circuit);
  expect(server.clientSpec().partitions?.length ?? 1).toBeGreaterThanOrEqual(2);
  client = new FheModelClient(server.clientSpec());
  let secretKey: ByteStream | undefined;
  const size = client.evaluationKeyMessageBytes;
  const progress: number[] = [];
  await writeArtifactSetAsync([
    { path: join(dir, "eval.key"), size, onProgress: (done) => void progress.push(done), produce: async (o) => void ({ secretKey, keyId } = await client.writeKeys(o)) },
    { path: join(dir, "secret.key"), data: () => secretKey!, mode: 0o600 },
  ]);
  expect(progress[progress.length - 1]).toBe(size);
}, 120_000);

describe("keys written as they are generated", () => {
  it("the evaluation-key file is a message of the announced size whose checksum and key id are its payload's sha256", async () => {
    const bytes = readFileSync(join(dir, "eval.key"));
    expect(bytes.length).toBe(client.evaluationKeyMessageBytes);
    const { header, payload } = frame(bytes);
    const digest = createHash("sha256").update(payload).digest("hex");
    expect(header["sha256"]).toBe(digest);
    expect(header["keyId"]).toBe(digest);
    expect(header["bytes"]).toBe(payload.length);
    expect(keyId).toBe(digest);
    expect(client.keyId).toBe(digest);
    expect(statSync(join(dir, "secret.key")).mode & 0o777).toBe(0o600);
    // The server verifies the checksum while expanding, and names the keys by the same id.
    expect(await server.addEvaluationKeys(openFileChunks(join(dir, "eval.key")).chunks(65536))).toBe(digest);
  }, 120_000);

  it.each([1, 7, 65536])("the secret key set reads back in %i-byte chunks and decrypts the server's results", async (n) => {
    const again = new FheModelClient(server.clientSpec());
    again.loadSecretKey(chunked(readFileSync(join(dir, "secret.key")), n));
    expect(again.keyId).toBe(keyId);
    const result = await server.run(keyId, client.encrypt(t.x));
    expect(Array.from(again.decrypt(result)[0]!.data)).toEqual(Array.from(t.circuit.predictClear(t.x, { fhe: "disable" })[0]!.data));
  }, 120_000);

  it("the client spec needs no server: fhec compile writes it for keys over any key cache's limit", () => {
    expect(FheModelServer.clientSpecOf(t.circuit)).toEqual(server.clientSpec());
    expect(() => new FheModelServer(t.circuit, { maxKeyCacheBytes: 1024 })).toThrow(/more than the key cache limit/);
  });

  it("a key generation that fails midway leaves the targets as they were and no temporary", async () => {
    const target = join(dir, "failing");
    mkdirSync(target);
    writeFileSync(join(target, "eval.key"), "old keys");
    const fresh = new FheModelClient(server.clientSpec());
    let written = 0;
    const failing = writeArtifactSetAsync([
      {
        path: join(target, "eval.key"), size: fresh.evaluationKeyMessageBytes,
        produce: (o) => fresh.writeKeys({
          write(chunk) {
            if ((written += chunk.length) > 100_000) throw new Error("disk full");
            o.write(chunk);
          },
          rewrite: (at, b) => o.rewrite(at, b),
        }).then(() => undefined),
      },
      { path: join(target, "secret.key"), data: "never" },
    ]);
    await expect(failing).rejects.toThrow("disk full");
    expect(readFileSync(join(target, "eval.key"), "utf8")).toBe("old keys");
    expect(readdirSync(target)).toEqual(["eval.key"]);
    expect(existsSync(join(target, "secret.key"))).toBe(false);
  }, 120_000);
});
