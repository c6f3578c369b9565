// The client/server split end to end (the seeds' deployment flow) and every mismatch a user can
// make with keys, ciphertexts and artifacts: each a clear error, exit ≠ 0, nothing written.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { readNpy, writeNpy } from "../../compiler/data/npy.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { serializeClientSpec } from "../../compiler/deploy/artifacts.js";
import { FheCircuit } from "../../compiler/circuit.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";
import { expectWithinSimulation } from "../helpers/simulation_range.js";

const work = mkdtempSync(join(tmpdir(), "fhec-deploy-"));
const f = loadFixture("logreg_demo");
const p = (name: string) => join(work, name);

async function ok(...args: string[]): Promise<void> {
  const r = await cli(...args);
  expect(r.stderr, r.stderr).not.toMatch(/error/);
  expect(r.code).toBe(0);
}

async function fails(args: string[], message: string, output?: string): Promise<void> {
  const r = await cli(...args);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(message);
  if (output) expect(existsSync(output)).toBe(false);
}

beforeAll(async () => {
  // Circuit A (3 bits, the seeds' example) and circuit B (4 bits): different circuits.
  await ok("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", p("a.fhe"), "--n-bits", "3");
  await ok("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", p("b.fhe"), "--n-bits", "4");
  await ok("keygen", p("a.client"), "--out", p("keys_a"));
  await ok("keygen", p("a.client"), "--out", p("keys_a2"));
  await ok("keygen", p("b.client"), "--out", p("keys_b"));
  await ok("encrypt", p("a.client"), "--keys", p("keys_a"), "--input", join(f.dir, "x_test.npy"), "-o", p("x_a.ct"));
  await ok("encrypt", p("b.client"), "--keys", p("keys_b"), "--input", join(f.dir, "x_test.npy"), "-o", p("x_b.ct"));
}, 120_000);

describe("client/server with the CLI", () => {
  it("keygen → encrypt → run → decrypt equals the clear quantized model", async () => {
    await ok("run", p("a.fhe"), "--eval-keys", join(p("keys_a"), "eval.key"), "--input", p("x_a.ct"), "-o", p("y_a.ct"));
    await ok("decrypt", p("a.client"), "--keys", p("keys_a"), "--input", p("y_a.ct"), "-o", p("y_a.npy"));
    await ok("predict", p("a.fhe"), "--input", join(f.dir, "x_test.npy"), "--fhe", "disable", "-o", p("y_clear.npy"));
    expect(Array.from(readNpy(readFileSync(p("y_a.npy"))).data)).toEqual(Array.from(readNpy(readFileSync(p("y_clear.npy"))).data));
  });

  it("the client spec carries no weights, the circuit does", () => {
    const client = readFileSync(p("a.client"), "utf8");
    const circuit = readFileSync(p("a.fhe"), "utf8");
    expect(circuit).toContain("fhe.matmul_eint_int");
    expect(client).not.toContain("matmul");
    expect(client).not.toContain("arith.constant");
  });

  it("rejects evaluation keys of another client key", async () => {
    await fails(["run", p("a.fhe"), "--eval-keys", join(p("keys_a2"), "eval.key"), "--input", p("x_a.ct"), "-o", p("never1.ct")], "encrypted under another client key", p("never1.ct"));
  });

  it("rejects evaluation keys and ciphertexts of another circuit", async () => {
    await fails(["run", p("a.fhe"), "--eval-keys", join(p("keys_b"), "eval.key"), "--input", p("x_a.ct"), "-o", p("never2.ct")], "belongs to another circuit", p("never2.ct"));
    await fails(["run", p("a.fhe"), "--eval-keys", join(p("keys_a"), "eval.key"), "--input", p("x_b.ct"), "-o", p("never3.ct")], "belongs to another circuit", p("never3.ct"));
  });

  it("never takes a secret key on the server side", async () => {
    await fails(["run", p("a.fhe"), "--eval-keys", join(p("keys_a"), "secret.key"), "--input", p("x_a.ct"), "-o", p("never4.ct")], "holds secret key, not evaluation keys", p("never4.ct"));
  });

  it("rejects truncated and corrupted ciphertexts", async () => {
    const bytes = readFileSync(p("x_a.ct"));
    writeFileSync(p("trunc.ct"), bytes.subarray(0, bytes.length - 100));
    await fails(["run", p("a.fhe"), "--eval-keys", join(p("keys_a"), "eval.key"), "--input", p("trunc.ct"), "-o", p("never5.ct")], "is truncated", p("never5.ct"));
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1000] ^= 1;
    writeFileSync(p("flip.ct"), flipped);
    await fails(["run", p("a.fhe"), "--eval-keys", join(p("keys_a"), "eval.key"), "--input", p("flip.ct"), "-o", p("never6.ct")], "checksum mismatch", p("never6.ct"));
    await fails(["run", p("a.fhe"), "--eval-keys", join(p("keys_a"), "eval.key"), "--input", join(f.dir, "x_test.npy"), "-o", p("never7.ct")], "wrong magic");
  });

  it("rejects inputs of the wrong shape at encryption", async () => {
    writeFileSync(p("x5.npy"), writeNpy({ shape: [3, 5], data: new Float64Array(15) }));
    await fails(["encrypt", p("a.client"), "--keys", p("keys_a"), "--input", p("x5.npy"), "-o", p("never8.ct")], "has shape [3, 5], expected [N, 4]", p("never8.ct"));
  });

  it("rejects a client spec that does not match the circuit or the keys", async () => {
    await fails(["encrypt", p("b.client"), "--keys", p("keys_a"), "--input", join(f.dir, "x_test.npy"), "-o", p("never9.ct")], "belongs to another circuit", p("never9.ct"));
    await ok("run", p("a.fhe"), "--eval-keys", join(p("keys_a"), "eval.key"), "--input", p("x_a.ct"), "-o", p("y_a2.ct"));
    await fails(["decrypt", p("b.client"), "--keys", p("keys_b"), "--input", p("y_a2.ct"), "-o", p("never10.npy")], "belongs to another circuit", p("never10.npy"));
    await fails(["keygen", p("a.fhe"), "--out", p("keys_x")], "not a valid fhec client spec");
  });

  it("explains missing keys", async () => {
    await fails(["encrypt", p("a.client"), "--keys", p("no_such_dir"), "--input", join(f.dir, "x_test.npy"), "-o", p("never11.ct")], "cannot read secret key");
  });
});

describe("client/server with the API", () => {
  it("FheModelClient and FheModelServer exchange only bytes", async () => {
    const circuit = compile(f.model, { calibration: f.calib, nBits: 3 });
    const server = new FheModelServer(circuit);
    const client = FheModelClient.load(serializeClientSpec(server.clientSpec()));
    const keys = await client.generateKeys();
    const result = await server.run(keys.evaluationKeys, client.encrypt(f.x));
    const decrypted = client.decrypt(result)[0]!;
    expect(Array.from(decrypted.data)).toEqual(Array.from(circuit.predictClear(f.x, { fhe: "disable" })[0]!.data));
    // The secret key is not an evaluation key: the server refuses it.
    await expect(server.run(keys.secretKey, client.encrypt(f.x))).rejects.toThrow(/holds secret key, not evaluation keys/);
  });
});

// The same flows on a model with tables and approximate rounding, where FHE may legitimately differ
// from the exact circuit near ties: the decrypted outputs must be a plausible draw of simulate
// (tests/helpers/simulation_range.ts), and the CLI's clear modes must equal the API's bit for bit.
describe("client/server on a model with tables and approximate rounding (mlp, 4-bit approximate rounding, 4 samples)", () => {
  const m = loadFixture("mlp");
  const samples = 4;
  const x = { shape: [samples, ...m.x.shape.slice(1)], data: m.x.data.slice(0, (samples * m.x.data.length) / m.x.shape[0]!) };
  const options = { calibration: m.calib, roundingThresholdBits: { bits: 4, method: "approximate" } } as const;

  it("CLI keygen → encrypt → run → decrypt is within simulate's range; fhec simulate and predict --fhe disable equal the API", async () => {
    writeFileSync(p("mlp_x.npy"), writeNpy(x));
    await ok("compile", m.model, "--calib", join(m.dir, "calib.npy"), "--rounding-bits", "4:approximate", "-o", p("mlp.fhe"));
    const circuit = FheCircuit.load(p("mlp.fhe"));
    expect(circuit.info().tluCount).toBeGreaterThan(0);
    expect(circuit.func.body.ops.some((op) => op.name === "fhe.round" && (op.attr("method") as { value: string }).value === "approximate")).toBe(true);
    await ok("keygen", p("mlp.client"), "--out", p("keys_mlp"));
    await ok("encrypt", p("mlp.client"), "--keys", p("keys_mlp"), "--input", p("mlp_x.npy"), "-o", p("mlp_x.ct"));
    await ok("run", p("mlp.fhe"), "--eval-keys", join(p("keys_mlp"), "eval.key"), "--input", p("mlp_x.ct"), "-o", p("mlp_y.ct"));
    await ok("decrypt", p("mlp.client"), "--keys", p("keys_mlp"), "--input", p("mlp_y.ct"), "-o", p("mlp_y.npy"));
    expectWithinSimulation(circuit, x, [readNpy(readFileSync(p("mlp_y.npy")))]);
    // The clear modes are deterministic (simulate: seed 0 by default), so the CLI equals the API exactly.
    await ok("predict", p("mlp.fhe"), "--input", p("mlp_x.npy"), "--fhe", "disable", "-o", p("mlp_clear.npy"));
    expect(Array.from(readNpy(readFileSync(p("mlp_clear.npy"))).data)).toEqual(Array.from(circuit.predictClear(x, { fhe: "disable" })[0]!.data));
    await ok("simulate", p("mlp.fhe"), "--input", p("mlp_x.npy"), "-o", p("mlp_sim.npy"));
    expect(Array.from(readNpy(readFileSync(p("mlp_sim.npy"))).data)).toEqual(Array.from(circuit.predictClear(x, { fhe: "simulate" })[0]!.data));
  }, 300_000);

  it("API: predict --fhe execute and FheModelClient/FheModelServer (the demo's flows) are within simulate's range", async () => {
    const circuit = compile(m.model, options);
    expectWithinSimulation(circuit, x, await circuit.predict(x, { fhe: "execute" }));
    const server = new FheModelServer(circuit);
    const client = FheModelClient.load(serializeClientSpec(server.clientSpec()));
    const keys = await client.generateKeys();
    const deployed = FheModelServer.load(circuit.serialize());
    expectWithinSimulation(circuit, x, client.decrypt(await deployed.run(keys.evaluationKeys, client.encrypt(x))));
  }, 300_000);
});

describe("real fixtures in FHE equal the clear quantized model exactly (20 samples)", () => {
  const take = (x: { shape: readonly number[]; data: Float64Array }, n: number) => ({ shape: [n, ...x.shape.slice(1)], data: x.data.subarray(0, (n * x.data.length) / x.shape[0]!) });
  for (const [name, options] of [
    ["logreg_std", {}],
    // Exact rounding: the tree's comparisons are lowered behind a round, and approximate rounding
    // would let inputs a few codes from a threshold flip (passes/comparisons.ts).
    ["gemm_tree", { nBits: { inputs: 6, weights: 5, activations: 5, outputs: 6 }, roundingThresholdBits: { bits: 6, method: "exact" }, pError: 1e-6 }],
  ] as const) {
    it(name, async () => {
      const fx = loadFixture(name);
      const x = take(fx.x, 20);
      const circuit = compile(fx.model, { calibration: fx.calib, ...options });
      const fhe = (await circuit.predict(x, { fhe: "execute" }))[0]!;
      expect(Array.from(fhe.data)).toEqual(Array.from(circuit.predictClear(x, { fhe: "disable" })[0]!.data));
    }, 120_000);
  }
});
