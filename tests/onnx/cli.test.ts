// `fhec import` / `fhec reference` through runCli: successful runs and one clear error (exit ≠ 0)
// for each kind of malformed model.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../compiler/cli/main.js";
import { readNpy } from "../../compiler/data/npy.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { verifyModule } from "../../ir/verifier.js";
import { A, buildModel, encodeModel, type ModelSpec, modelProto, tensorProto } from "./graph_builder.js";

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTTY: false });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), "fhec-onnx-"));
const fixture = (name: string, file: string) => new URL(`../fixtures/models/${name}/${file}`, import.meta.url).pathname;
function save(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const base = (): ModelSpec => ({
  opset: 17,
  inputs: [{ name: "x", shape: ["N", 3] }],
  outputs: [{ name: "y" }],
  nodes: [
    { op: "Relu", inputs: ["x"], outputs: ["h"], name: "relu" },
    { op: "Neg", inputs: ["h"], outputs: ["y"], name: "neg" },
  ],
});

/** Runs `fhec import` on a bad model: exit 1, nothing on stdout, exactly one error containing `message`. */
async function expectImportError(bytes: Uint8Array, message: string): Promise<string> {
  const r = await cli("import", save("bad.onnx", bytes));
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain(message);
  expect(r.stderr.match(/error\[/g)?.length).toBe(1);
  return r.stderr;
}

describe("fhec import", () => {
  it("prints IR that re-parses and verifies, to stdout or -o", async () => {
    const r = await cli("import", fixture("cnn_avgpool", "model.onnx"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("onnx.Reshape");
    const parsed = parseModule(r.stdout, "out.mlir", defaultRegistry);
    expect(parsed.diagnostics).toEqual([]);
    expect(verifyModule(parsed.module!, defaultRegistry).diagnostics).toEqual([]);
    const out = join(dir, "mlp.mlir");
    const w = await cli("import", fixture("mlp", "model.onnx"), "-o", out, "--batch-size", "4");
    expect(w.code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("func.func @main(%input: tensor<4x64xf32>) -> tensor<4x10xf32>");
  });
  it("--list-ops lists the supported operators", async () => {
    const r = await cli("import", "--list-ops");
    expect(r.code).toBe(0);
    for (const op of ["Gemm", "Conv", "QuantizeLinear", "Softmax", "Where"]) expect(r.stdout).toMatch(new RegExp(`^  ${op} `, "m"));
  });
  it("rejects a truncated protobuf", async () => {
    const bytes = readFileSync(fixture("mlp", "model.onnx"));
    await expectImportError(bytes.subarray(0, Math.floor(bytes.length / 2)), "not a valid ONNX model (truncated or corrupt protobuf");
  });
  it("rejects an empty or missing file", async () => {
    await expectImportError(new Uint8Array(0), "empty file, not an ONNX model");
    const r = await cli("import", join(dir, "does-not-exist.onnx"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot read ONNX model");
  });
  it("rejects a node reading an unknown value", async () => {
    const spec = base();
    spec.nodes[1]!.inputs = ["missing"];
    await expectImportError(buildModel(spec), "ONNX node 'neg' (Neg): error[E0500]: node 'neg' (Neg) reads 'missing', which is not a graph input, an initializer or the output of any node");
  });
  it("rejects an unknown op, naming op type, node, opset and the supported list", async () => {
    const spec = base();
    spec.nodes[1] = { op: "Mish", inputs: ["h"], outputs: ["y"], name: "act" };
    await expectImportError(buildModel(spec), "error[E0501]: unsupported ONNX operator 'Mish' (node 'act', opset 17); see `fhec import --list-ops`");
  });
  it("rejects a node in another opset domain and a model without the default domain", async () => {
    const spec = base();
    spec.nodes[0]!.domain = "com.microsoft";
    await expectImportError(buildModel(spec), "node 'relu' (Relu) is in opset domain 'com.microsoft'; fhec supports the default ONNX domain ('ai.onnx') and 'ai.onnx.ml'");
    await expectImportError(buildModel({ ...base(), domain: "ai.onnx.ml" }), "the model imports no opset for the default ONNX domain");
  });
  it("rejects opsets outside 11–21", async () => {
    await expectImportError(buildModel({ ...base(), opset: 9 }), "opset 9 is not supported; fhec imports opsets 11 to 21");
    await expectImportError(buildModel({ ...base(), opset: 22 }), "opset 22 is not supported");
  });
  it("rejects external-data tensors", async () => {
    const spec = base();
    const w = tensorProto("w", "float", [3], [1, 2, 3]);
    delete w.rawData;
    w.dataLocation = 1;
    w.externalData = [{ key: "location", value: "weights.bin" }];
    spec.initializers = [w];
    spec.nodes[1] = { op: "Add", inputs: ["h", "w"], outputs: ["y"], name: "add" };
    await expectImportError(buildModel(spec), "initializer 'w' stores its data in an external file ('weights.bin'); external-data tensors are not supported");
  });
  it("rejects a cycle", async () => {
    const spec = base();
    spec.nodes = [
      { op: "Add", inputs: ["x", "b"], outputs: ["a"], name: "first" },
      { op: "Relu", inputs: ["a"], outputs: ["b"], name: "second" },
      { op: "Neg", inputs: ["b"], outputs: ["y"], name: "third" },
    ];
    await expectImportError(buildModel(spec), "ONNX node 'first' (Add): error[E0500]: the graph has a cycle through node(s) 'first' → 'second' → 'first'");
  });
  it("rejects duplicate output names and duplicate node names", async () => {
    const spec = base();
    spec.nodes[1]!.outputs = ["h"];
    spec.nodes.push({ op: "Neg", inputs: ["h"], outputs: ["y"], name: "neg2" });
    await expectImportError(buildModel(spec), "value 'h' is produced by several nodes: 'relu' (Relu) and 'neg' (Neg)");
    const dup = base();
    dup.nodes[1]!.name = "relu";
    await expectImportError(buildModel(dup), "duplicate node name 'relu'");
  });
  it("rejects missing graph outputs and graphs without inputs", async () => {
    await expectImportError(buildModel({ ...base(), outputs: [{ name: "nowhere" }] }), "graph output 'nowhere' is not produced by any node, input or initializer");
    const m = modelProto(base());
    m.graph!.input = [];
    await expectImportError(encodeModel(m), "the graph has no inputs");
  });
  it("rejects a used secondary output and shape errors with the node's name", async () => {
    const spec: ModelSpec = {
      opset: 17,
      inputs: [{ name: "x", shape: [1, 1, 4, 4] }],
      outputs: [{ name: "y" }, { name: "idx", dtype: "int64" }],
      nodes: [{ op: "MaxPool", inputs: ["x"], outputs: ["y", "idx"], name: "pool", attrs: { kernel_shape: A.ints([2, 2]) } }],
    };
    await expectImportError(buildModel(spec), "ONNX node 'pool' (MaxPool): error[E0502]: output #1 ('idx') of MaxPool is used");
    const bad: ModelSpec = {
      opset: 17,
      inputs: [{ name: "x", shape: [2, 3] }, { name: "w", shape: [4, 5] }],
      outputs: [{ name: "y" }],
      nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"], name: "mm" }],
    };
    await expectImportError(buildModel(bad), "ONNX node 'mm' (MatMul): error[E0500]: cannot multiply shapes [2, 3] and [4, 5]");
  });
  it("rejects graph outputs declared with another type or shape", async () => {
    await expectImportError(buildModel({ ...base(), outputs: [{ name: "y", dtype: "int64" }] }), "graph output 'y' is declared as INT64 but computes tensor<?x3xf32>");
    await expectImportError(buildModel({ ...base(), outputs: [{ name: "y", shape: ["N", 4] }] }), "graph output 'y' is declared with shape [?, 4] but computes tensor<?x3xf32>");
  });
  it("rejects dynamic non-batch dimensions and unsupported attributes", async () => {
    await expectImportError(buildModel({ ...base(), inputs: [{ name: "x", shape: ["N", "C"] }] }), "graph input 'x' has a dynamic dimension at axis 1 ('C')");
    const spec = base();
    spec.nodes[0]!.attrs = { bogus: A.i(1) };
    await expectImportError(buildModel(spec), "attribute 'bogus' of Relu is not supported (node 'relu', opset 17)");
  });
  it("never mutates the input protobuf", async () => {
    const m = modelProto(base());
    const before = JSON.stringify(m);
    const bytes = encodeModel(m);
    const r = await cli("import", save("ok.onnx", bytes));
    expect(r.code).toBe(0);
    expect(JSON.stringify(m)).toBe(before);
  });
});

describe("fhec reference", () => {
  const model = fixture("logreg_std", "model.onnx");
  const x = fixture("logreg_std", "x_test.npy");
  it("writes the reference output (.npy) and the onnxruntime output with --ort", async () => {
    const out = join(dir, "y.npy");
    const r = await cli("reference", model, "--input", x, "-o", out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const y = readNpy(readFileSync(out));
    const yRef = readNpy(readFileSync(fixture("logreg_std", "y_ref.npy")));
    expect(y.dtype).toBe("float32");
    expect(y.shape).toEqual(yRef.shape);
    const outOrt = join(dir, "y_ort.npy");
    expect((await cli("reference", model, "--input", `input=${x}`, "--ort", "-o", outOrt)).code).toBe(0);
    const yOrt = readNpy(readFileSync(outOrt));
    y.data.forEach((v, i) => expect(Math.abs(v - yOrt.data[i]!)).toBeLessThan(1e-5));
  });
  it("--check reports the differences", async () => {
    const r = await cli("reference", fixture("cnn_maxpool", "model.onnx"), "--input", fixture("cnn_maxpool", "x_test.npy"), "--check");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^logits: max abs diff \S+, max rel diff \S+ \(1000 values\) ok$/m);
  });
  it("writes every output of a multi-output model to .npz and prints a summary without -o", async () => {
    const out = join(dir, "tree.npz");
    const r = await cli("reference", fixture("gemm_tree", "model.onnx"), "-i", fixture("gemm_tree", "x_test.npy"), "-o", out);
    expect(r.code).toBe(0);
    const { readNpz } = await import("../../compiler/data/npy.js");
    const arrays = readNpz(readFileSync(out));
    expect(arrays.get("label")!.dtype).toBe("int64");
    expect(arrays.get("probabilities")!.shape).toEqual([50, 3]);
    const s = await cli("reference", fixture("gemm_tree", "model.onnx"), "-i", fixture("gemm_tree", "x_test.npy"));
    expect(s.stdout).toMatch(/^label: int64\[50\] = \[/m);
  });
  it("rejects bad input data with one clear error", async () => {
    const wrong = await cli("reference", model, "--input", fixture("mlp", "x_test.npy"));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("input #0 'input' has shape [100, 64], expected tensor<?x30xf32>");
    const missing = await cli("reference", model);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing --input");
    const notNpy = await cli("reference", model, "--input", model);
    expect(notNpy.code).toBe(1);
    expect(notNpy.stderr).toContain("not a .npy file");
  });
});
