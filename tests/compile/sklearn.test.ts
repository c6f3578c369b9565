// scikit-learn models as the converters write them, compiled at default options: tree ensembles
// read only 1–2-bit tables (threshold comparisons and leaf selection, behind the comparisons
// pass's rounding), post transforms and labels run on the client, and the two outputs `label`
// (int64) and `probabilities` (float) come back from predict, from the client/server split (equal
// to the clear circuit for an exact linear model) and from the CLI's .npz files under their ONNX
// names and types. Accuracy against float is tested with every fixture in fixtures.test.ts.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { readNpz } from "../../compiler/data/npy.js";
import { serializeClientSpec } from "../../compiler/deploy/artifacts.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";

const take = (x: { shape: readonly number[]; data: Float64Array }, n: number) => ({ shape: [n, ...x.shape.slice(1)], data: x.data.subarray(0, (n * x.data.length) / x.shape[0]!) });

describe("tree ensembles lower to comparisons", () => {
  for (const name of ["sk_decision_tree", "sk_rf_regressor", "sk_gbt"]) {
    it(`${name}: every table reads at most 2 bits, behind exact rounding`, () => {
      const f = loadFixture(name);
      const info = compile(f.model, { calibration: f.calib }).info();
      expect(info.tlus.length).toBeGreaterThan(0);
      for (const t of info.tlus) expect(t.inputPrecision, `${t.op} at ${t.location}`).toBeLessThanOrEqual(2);
      expect(info.roundOps).toBeGreaterThan(0);
    });
  }
  it("the gradient-boosting tail (sigmoid, 1 − p, concat, argmax) runs on the client: no table computes it", () => {
    const f = loadFixture("sk_gbt");
    const circuit = compile(f.model, { calibration: f.calib });
    for (const t of circuit.info().tlus) expect(t.location).toContain("TreeEnsembleRegressor");
    expect(circuit.postprocessText).toMatch(/onnx\.Sigmoid/);
    expect(circuit.postprocessText).toMatch(/onnx\.Concat/);
    expect(circuit.postprocessText).toMatch(/onnx\.ArgMax/);
  });
});

describe("label and probabilities", () => {
  it("predict returns both; their layout keeps the ONNX names and types", () => {
    const f = loadFixture("sk_logreg_multi");
    const circuit = compile(f.model, { calibration: f.calib });
    const [label, proba] = circuit.predictClear(f.x, { fhe: "simulate" });
    expect(label!.shape).toEqual([f.x.shape[0]]);
    expect(proba!.shape).toEqual([f.x.shape[0], 10]);
    expect(circuit.outputLayout).toEqual({ names: ["label", "probabilities"], dtypes: ["int64", "float32"] });
    // The label is the argmax of the scores the probabilities come from (softmax then L1 normalizer, on the client).
    for (let s = 0; s < f.x.shape[0]!; s++) {
      const row = proba!.data.subarray(s * 10, s * 10 + 10);
      expect(label!.data[s]).toBe(row.indexOf(Math.max(...row)));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
  it("the client/server split returns both, equal to the clear circuit (linear model: exact)", async () => {
    const f = loadFixture("sk_scaler_logreg");
    const x = take(f.x, 20);
    const circuit = compile(f.model, { calibration: f.calib });
    const server = new FheModelServer(circuit);
    const client = FheModelClient.load(serializeClientSpec(server.clientSpec()));
    const keys = await client.generateKeys();
    const [label, proba] = client.decrypt(await server.run(keys.evaluationKeys, client.encrypt(x)));
    const [clearLabel, clearProba] = circuit.predictClear(x, { fhe: "disable" });
    expect([...label!.data]).toEqual([...clearLabel!.data]);
    expect([...proba!.data]).toEqual([...clearProba!.data]);
    expect(client.outputLayout.names).toEqual(["label", "probabilities"]);
  }, 120_000);
  it("fhec predict -o y.npz writes label (int64) and probabilities (float32)", async () => {
    const f = loadFixture("sk_decision_tree");
    const dir = mkdtempSync(join(tmpdir(), "fhec-sk-"));
    expect((await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", join(dir, "tree.fhe"))).code).toBe(0);
    const r = await cli("predict", join(dir, "tree.fhe"), "--input", join(f.dir, "x_test.npy"), "--fhe", "disable", "-o", join(dir, "y.npz"));
    expect(r.code).toBe(0);
    const npz = readNpz(readFileSync(join(dir, "y.npz")));
    expect([...npz.keys()]).toEqual(["label", "probabilities"]);
    expect(npz.get("label")!.dtype).toBe("int64");
    expect(npz.get("probabilities")!.dtype).toBe("float32");
    expect(npz.get("probabilities")!.shape).toEqual([f.x.shape[0], 2]);
  }, 120_000);
});

describe("preprocessing ops compile", () => {
  it("OneHotEncoder → Reshape → LinearRegressor: one-hot comparisons and a matmul", async () => {
    const { buildModel, A, tensorProto } = await import("../onnx/graph_builder.js");
    const w = [1, 2, 3, 4, 5, 6];
    const bytes = buildModel({
      opset: 17,
      mlOpset: 1,
      inputs: [{ name: "x", dtype: "float", shape: ["N", 2] }],
      outputs: [{ name: "y", dtype: "float" }],
      initializers: [tensorProto("shape", "int64", [2], [-1, 6])],
      nodes: [
        { op: "OneHotEncoder", domain: "ai.onnx.ml", inputs: ["x"], outputs: ["h"], attrs: { cats_int64s: A.ints([0, 1, 2]) } },
        { op: "Reshape", inputs: ["h", "shape"], outputs: ["r"] },
        { op: "LinearRegressor", domain: "ai.onnx.ml", inputs: ["r"], outputs: ["y"], attrs: { coefficients: A.floats(w), intercepts: A.floats([0.5]) } },
      ],
    });
    const x = { shape: [6, 2], data: Float64Array.from([0, 1, 2, 0, 1, 2, 2, 2, 0, 0, 1, 1]) };
    const circuit = compile(bytes, { calibration: x });
    const y = circuit.predictClear(x, { fhe: "disable" })[0]!;
    for (const t of circuit.info().tlus) expect(t.inputPrecision).toBeLessThanOrEqual(2);
    // Two weights are active per row, each within half a weight step (max |w| / 127) of its value.
    const tolerance = Math.max(...w) / 127 + 0.01;
    for (let s = 0; s < 6; s++) {
      const want = w[x.data[2 * s]!]! + w[3 + x.data[2 * s + 1]!]! + 0.5;
      expect(Math.abs(y.data[s]! - want)).toBeLessThanOrEqual(tolerance);
    }
  });
});

describe("errors", () => {
  it("fhec import of an unsupported ai.onnx.ml op: one line, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fhec-sk-"));
    const { buildModel, A } = await import("../onnx/graph_builder.js");
    const bytes = buildModel({
      opset: 17,
      mlOpset: 1,
      inputs: [{ name: "x", dtype: "float", shape: ["N", 2] }],
      outputs: [{ name: "y", dtype: "float" }],
      nodes: [{ op: "SVMRegressor", domain: "ai.onnx.ml", inputs: ["x"], outputs: ["y"], name: "svm", attrs: { kernel_type: A.s("LINEAR") } }],
    });
    const path = join(dir, "svm.onnx");
    (await import("node:fs")).writeFileSync(path, bytes);
    const r = await cli("import", path);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")[0]).toMatch(/error\[E0501\]: unsupported ai\.onnx\.ml operator 'SVMRegressor' \(node 'svm', ai\.onnx\.ml opset 1\)/);
    expect(r.stderr.match(/error\[/g)?.length).toBe(1);
  });
});
