// Key binding is mandatory: ciphertexts that name no client key are never run, and keys or
// ciphertexts of another client are user errors (one line, exit 1), not internal errors.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { deserializeEncryptedBatch, type EncryptedBatch } from "../../backends/tfhe/index.js";
import { InvalidDataError, collect, SeededLweCiphertextTensor } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";
import { BATCH_FORMAT_VERSION } from "../../backends/tfhe/batch_io.js";
import { frameStream } from "../../runtime/framing.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";
import { batchOf, negationCircuit, parties, programFor } from "../tfhe/helpers.js";

const TEXT = negationCircuit();

describe("a ciphertext without key binding is refused", () => {
  it("by the batch reader: a header without keyId (an older or forged batch) does not parse", async () => {
    const p = await parties(programFor(TEXT, INSECURE_TEST_P2));
    const enc = p.client.encrypt([batchOf(1, [3], [1, -2, 3])]);
    const t = enc.values[0]!;
    // The batch frame written by hand, as an attacker would, minus the key id.
    const form = t instanceof SeededLweCiphertextTensor ? "seeded" : "full";
    const forged = collect(frameStream(Buffer.from("FHECBTCH", "latin1"), BATCH_FORMAT_VERSION, { batch: 1, paramHash: t.paramHash.toString(16), sizes: [t.stream().size], forms: [form] }, t.stream()));
    expect(() => deserializeEncryptedBatch(forged, p.program.params, "forged.ct")).toThrow(InvalidDataError);
    expect(() => deserializeEncryptedBatch(forged, p.program.params, "forged.ct")).toThrow(/'forged\.ct' is not a valid encrypted batch: no key id/);
  });

  it("by the server: a batch object without keyId is not run under the server's keys", async () => {
    const p = await parties(programFor(TEXT, INSECURE_TEST_P2));
    const enc = p.client.encrypt([batchOf(1, [3], [1, -2, 3])]);
    const unbound = { batch: enc.batch, values: enc.values } as unknown as EncryptedBatch;
    await expect(p.server.run(unbound)).rejects.toThrow(/the inputs carry no key id/);
  });
});

describe("another client's keys are a user error (exit 1, one line)", () => {
  const work = mkdtempSync(join(tmpdir(), "fhec-binding-"));
  const q = (name: string) => join(work, name);
  const f = loadFixture("logreg_demo");
  beforeAll(async () => {
    for (const args of [
      ["compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", q("a.fhe"), "--n-bits", "3"],
      ["keygen", q("a.client"), "--out", q("alice")],
      ["keygen", q("a.client"), "--out", q("bob")],
      ["encrypt", q("a.client"), "--keys", q("alice"), "--input", join(f.dir, "x_test.npy"), "-o", q("x.ct")],
      ["run", q("a.fhe"), "--eval-keys", join(q("alice"), "eval.key"), "--input", q("x.ct"), "-o", q("y.ct")],
    ]) {
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 120_000);

  it("decrypting with another client's secret key", async () => {
    const r = await cli("decrypt", q("a.client"), "--keys", q("bob"), "--input", q("y.ct"), "-o", q("never.npy"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fhec decrypt: error: these outputs were computed with the evaluation keys of another client key/);
    expect(r.stderr).not.toMatch(/internal error|please report/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("running with another client's evaluation keys", async () => {
    const r = await cli("run", q("a.fhe"), "--eval-keys", join(q("bob"), "eval.key"), "--input", q("x.ct"), "-o", q("never.ct"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/encrypted under another client key/);
    expect(r.stderr).not.toMatch(/internal error|please report/);
  });

  it("a ciphertext file whose tensor bytes are garbage", async () => {
    writeFileSync(q("junk.key"), Buffer.alloc(64, 7));
    const r = await cli("run", q("a.fhe"), "--eval-keys", q("junk.key"), "--input", q("x.ct"), "-o", q("never.ct"));
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});
