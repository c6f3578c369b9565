// Every deployment artifact read from chunks of 1 byte, 7 bytes and 64 KiB: the circuit, the
// client spec, the secret-key and evaluation-key messages, encrypted inputs and outputs. The
// streams written are byte-identical to the in-memory forms, and a corrupted or truncated stream
// is refused with the same error as the whole file.
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { FheCircuit } from "../../compiler/circuit.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { deserializeClientSpec, messageParser, messageStream, serializeClientSpec } from "../../compiler/deploy/artifacts.js";
import { printModule } from "../../ir/printer.js";
import { ClientKey, collect, parseChunks, SeededEvaluationKeys } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";
import { loadFixture } from "../helpers/fixtures.js";

const SIZES = [1, 7, 65536];
const f = loadFixture("logreg_demo");

function* chunked(bytes: Uint8Array, n: number): Generator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += n) yield bytes.subarray(off, Math.min(bytes.length, off + n));
}
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

let circuit: FheCircuit;
let server: FheModelServer;
let client: FheModelClient;
let secretKey: Uint8Array;
let evaluationKeys: Uint8Array;
let inputs: Uint8Array;

beforeAll(async () => {
  circuit = compile(f.model, { calibration: f.calib, nBits: 3 });
  server = new FheModelServer(circuit);
  client = new FheModelClient(server.clientSpec());
  const keys = await client.generateKeyStreams();
  secretKey = collect(keys.secretKey);
  evaluationKeys = collect(keys.evaluationKeys);
  inputs = client.encrypt(f.x);
}, 60_000);

describe.each(SIZES)("deployment artifacts read in %i-byte chunks", (n) => {
  it("the circuit and the client spec", () => {
    const bytes = circuit.serialize();
    expect(printModule(FheCircuit.deserialize(chunked(bytes, n)).module)).toBe(printModule(circuit.module));
    const spec = serializeClientSpec(server.clientSpec());
    expect(deserializeClientSpec(chunked(spec, n))).toEqual(deserializeClientSpec(spec));
    expect(deserializeClientSpec(chunked(spec, n)).circuitId).toBe(server.circuitId);
  });

  it("the secret key, encrypted inputs and encrypted outputs", async () => {
    const c2 = new FheModelClient(server.clientSpec());
    c2.loadSecretKey(chunked(secretKey, n));
    const id = await server.addEvaluationKeys(evaluationKeys); // held already after the first size: only hashed
    const out = await server.run(id, chunked(inputs, n));
    const y = c2.decrypt(chunked(out, n))[0]!;
    expect(Array.from(y.data)).toEqual(Array.from(circuit.predictClear(f.x, { fhe: "disable" })[0]!.data));
  }, 60_000);

  it("evaluation-key messages, expanded while read", async () => {
    // The circuit's keys at 64 KiB (12 MB: smaller chunks only cost time); the envelope at every
    // size with the small test parameters.
    if (n === 65536) {
      const fresh = new FheModelServer(circuit);
      const id = await fresh.addEvaluationKeys(chunked(evaluationKeys, n));
      expect(fresh.keyIds).toEqual([id]);
    }
    const seeded = await ClientKey.generate(INSECURE_TEST_P2).generateSeededEvaluationKeys();
    const msg = collect(messageStream("evaluation-keys", "c", seeded.stream(), seeded.sha256()));
    const r = parseChunks(messageParser("evaluation-keys", "c", "k.bin", (total) => SeededEvaluationKeys.expandingParser(INSECURE_TEST_P2, total)), chunked(msg, n));
    expect(r.sha256).toBe(seeded.sha256());
    expect(same(r.value.serialize(), (await seeded.expand()).serialize())).toBe(true);
  }, 60_000);
});

describe("streams and errors", () => {
  it("streams write the same bytes as the in-memory forms", async () => {
    const keys = await client.generateKeyStreams();
    expect(same(collect(keys.evaluationKeys), collect(keys.evaluationKeys))).toBe(true); // a stream re-reads
    const inStream = client.encryptStream(f.x);
    expect(inStream.size).toBe(inputs.length);
  });

  it("a corrupted or truncated message read in chunks gets the whole-file error", async () => {
    const bad = Uint8Array.from(evaluationKeys);
    bad[bad.length - 100] ^= 1;
    await expect(new FheModelServer(circuit).addEvaluationKeys(chunked(bad, 65536), "k.bin")).rejects.toThrow(/'k.bin' is corrupted \(checksum mismatch\)/);
    await expect(new FheModelServer(circuit).addEvaluationKeys(chunked(evaluationKeys.subarray(0, evaluationKeys.length - 5), 65536), "k.bin"))
      .rejects.toThrow(/'k.bin' is truncated/);
    await expect(server.run("0".repeat(64), inputs)).rejects.toThrow(/no evaluation keys with id 0000000000000000… on this server/);
    await expect(server.addEvaluationKeys(chunked(secretKey, 7), "s.key")).rejects.toThrow(/holds secret key, not evaluation keys/);
  });
});
