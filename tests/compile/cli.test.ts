// `fhec compile / simulate / predict / info` from the user's side, including the artifact
// checks and every rejected input (exit ≠ 0, nothing written).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readNpy, writeNpy } from "../../compiler/data/npy.js";
import { cli } from "../helpers/cli.js";
import { buildModel } from "../onnx/graph_builder.js";
import { loadFixture } from "../helpers/fixtures.js";
import { expectWithinSimulation } from "../helpers/simulation_range.js";
import { FheCircuit } from "../../compiler/circuit.js";

const work = mkdtempSync(join(tmpdir(), "fhec-compile-"));
const f = loadFixture("logreg_demo");
const circuitPath = join(work, "logreg.fhe");
const xPath = join(f.dir, "x_test.npy");

describe("fhec compile → simulate / predict / info", () => {
  it("compiles to an artifact and reports what it wrote", async () => {
    const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", circuitPath, "--n-bits", "3");
    expect(r.stderr).toContain(`wrote ${circuitPath}`);
    expect(r.code).toBe(0);
    expect(readFileSync(circuitPath).subarray(0, 7).toString("latin1")).toBe("FHECIRC");
  });

  it("simulates and predicts with the same float outputs as the API", async () => {
    const out = join(work, "y.npy");
    expect((await cli("simulate", circuitPath, "--input", xPath, "-o", out)).code).toBe(0);
    const y = readNpy(readFileSync(out));
    expect(y.shape).toEqual([20, 2]);
    const out2 = join(work, "y2.npy");
    expect((await cli("predict", circuitPath, "--input", xPath, "-o", out2, "--fhe", "disable")).code).toBe(0);
    expect(Array.from(readNpy(readFileSync(out2)).data)).toEqual(Array.from(y.data));
    const printed = await cli("predict", circuitPath, "--input", xPath);
    expect(printed.stdout).toMatch(/^output 0: \[20, 2\] = \[/);
  });

  it("executes encrypted in one process with --fhe execute, equal to the clear model", async () => {
    const enc = join(work, "y_fhe.npy");
    const clear = join(work, "y_clear.npy");
    expect((await cli("predict", circuitPath, "--input", xPath, "--fhe", "execute", "-o", enc)).code).toBe(0);
    expect((await cli("predict", circuitPath, "--input", xPath, "--fhe", "disable", "-o", clear)).code).toBe(0);
    expect(Array.from(readNpy(readFileSync(enc)).data)).toEqual(Array.from(readNpy(readFileSync(clear)).data));
  });

  it("on a model with tables and approximate rounding (mlp, 4 samples), --fhe execute is within simulate's range of the clear model", async () => {
    const m = loadFixture("mlp");
    const samples = 4;
    const x = { shape: [samples, ...m.x.shape.slice(1)], data: m.x.data.slice(0, (samples * m.x.data.length) / m.x.shape[0]!) };
    const mlpPath = join(work, "mlp.fhe");
    const xMlp = join(work, "mlp_x.npy");
    writeFileSync(xMlp, writeNpy(x));
    expect((await cli("compile", m.model, "--calib", join(m.dir, "calib.npy"), "--rounding-bits", "4:approximate", "-o", mlpPath)).code).toBe(0);
    const enc = join(work, "mlp_fhe.npy");
    expect((await cli("predict", mlpPath, "--input", xMlp, "--fhe", "execute", "-o", enc)).code).toBe(0);
    expectWithinSimulation(FheCircuit.load(mlpPath), x, [readNpy(readFileSync(enc))]);
  }, 300_000);

  it("describes the circuit, also as JSON", async () => {
    const text = await cli("info", circuitPath);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("codes 0..7");
    expect(text.stdout).toContain("table lookups: 0 op(s)");
    const json = JSON.parse((await cli("info", circuitPath, "--json")).stdout) as { tluCount: number; inputs: { qmax: number }[]; ops: Record<string, number> };
    expect(json.tluCount).toBe(0);
    expect(json.inputs[0]!.qmax).toBe(7);
    expect(json.ops["fhe.matmul_eint_int"]).toBe(1);
  });

  it("emits IR text instead of a circuit with --emit", async () => {
    const fhe = join(work, "c.mlir");
    expect((await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", fhe, "--emit", "fhe")).code).toBe(0);
    expect(readFileSync(fhe, "utf8")).toContain("fhe.matmul_eint_int");
    const reparsed = await cli("opt", fhe);
    expect(reparsed.code).toBe(0);
    const onnx = join(work, "o.mlir");
    expect((await cli("compile", f.model, "-o", onnx, "--emit", "onnx")).code).toBe(0);
    expect(readFileSync(onnx, "utf8")).toContain("onnx.Gemm");
  });

  it("dumps the IR after every stage", async () => {
    const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", join(work, "d.fhe"), "--dump-ir", "after-all");
    expect(r.code).toBe(0);
    for (const stage of ["import", "calibrate", "canonicalize", "quantize", "bitwidth"]) expect(r.stderr).toContain(`IR after ${stage} -----`);
  });

  it("dumps the IR after one pass only when that pass is asked for", async () => {
    const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", join(work, "d1.fhe"), "--dump-ir", "quantize");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("IR after quantize -----");
    // (Twice for a model with tables: compile quantizes again with narrower weights.)
    expect(new Set(r.stderr.match(/IR after \S+ -----/g))).toEqual(new Set(["IR after quantize -----"]));
  });
});

describe("rejected inputs", () => {
  async function expectFailure(args: string[], message: string, output?: string) {
    const r = await cli(...args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
    if (output) expect(existsSync(output)).toBe(false);
  }

  it("calibration data of the wrong shape", async () => {
    const bad = join(work, "bad_calib.npy");
    writeFileSync(bad, writeNpy({ shape: [8, 5], data: new Float64Array(40) }));
    const out = join(work, "never1.fhe");
    await expectFailure(["compile", f.model, "--calib", bad, "-o", out], "calibration data for 'input' has shape [8, 5]", out);
  });

  it("NaN or Inf in calibration data and in inputs", async () => {
    const nan = join(work, "nan.npy");
    writeFileSync(nan, writeNpy({ shape: [2, 4], data: Float64Array.of(1, 2, NaN, 0, 0, 0, 0, 0) }));
    await expectFailure(["compile", f.model, "--calib", nan, "-o", join(work, "never2.fhe")], "NaN at flat index 2");
    const inf = join(work, "inf.npy");
    writeFileSync(inf, writeNpy({ shape: [1, 4], data: Float64Array.of(1, Infinity, 0, 0) }, "float64"));
    await expectFailure(["simulate", circuitPath, "--input", inf, "-o", join(work, "never.npy")], "Infinity at flat index 1", join(work, "never.npy"));
  });

  it("an input of the wrong shape", async () => {
    const bad = join(work, "x3.npy");
    writeFileSync(bad, writeNpy({ shape: [2, 3], data: new Float64Array(6) }));
    await expectFailure(["simulate", circuitPath, "--input", bad], "has shape [2, 3], expected [N, 4]");
  });

  it("an unsupported pattern: a product of two encrypted matrices", async () => {
    const model = join(work, "enc_x_enc.onnx");
    writeFileSync(
      model,
      buildModel({
        inputs: [{ name: "a", shape: ["N", 2] }, { name: "b", shape: [2, 2] }],
        outputs: [{ name: "y" }],
        nodes: [{ op: "MatMul", inputs: ["a", "b"], outputs: ["y"], name: "mm" }],
      }),
    );
    const a = join(work, "a.npy");
    const b = join(work, "b.npy");
    writeFileSync(a, writeNpy({ shape: [3, 2], data: Float64Array.of(1, 2, 3, 4, 5, 6) }));
    writeFileSync(b, writeNpy({ shape: [2, 2], data: Float64Array.of(1, 0, 0, 1) }));
    await expectFailure(["compile", model, "--calib", `a=${a}`, "--calib", `b=${b}`, "-o", join(work, "never3.fhe")], "MatMul of two encrypted values has no FHE lowering");
  });

  it("a model that needs calibration data", async () => {
    await expectFailure(["compile", f.model, "-o", join(work, "never4.fhe")], "no calibration range");
  });

  it("corrupted, truncated and foreign artifacts", async () => {
    const bytes = readFileSync(circuitPath);
    const truncated = join(work, "truncated.fhe");
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 10));
    await expectFailure(["info", truncated], "is not a valid fhec circuit: truncated");
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 5] ^= 0xff;
    const corrupt = join(work, "corrupt.fhe");
    writeFileSync(corrupt, flipped);
    await expectFailure(["info", corrupt], "checksum mismatch");
    await expectFailure(["info", f.model], "wrong magic");
    const future = Buffer.from(bytes);
    future.writeUInt32LE(99, 8);
    const v99 = join(work, "v99.fhe");
    writeFileSync(v99, future);
    await expectFailure(["info", v99], "format version 99");
    await expectFailure(["info", join(work, "missing.fhe")], "cannot read circuit");
  });

  it("bad option values", async () => {
    await expectFailure(["compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", join(work, "x.fhe"), "--n-bits", "weights=x"], "--n-bits: expected N or role=N");
    await expectFailure(["compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", join(work, "x.fhe"), "--rounding-bits", "eight"], "--rounding-bits");
    await expectFailure(["compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", join(work, "x.fhe"), "--p-error", "1.5"], "--p-error must be a probability");
    await expectFailure(["predict", circuitPath, "--input", xPath, "--fhe", "maybe"], "--fhe must be disable, simulate or execute");
    await expectFailure(["compile", f.model, "--calib", join(f.dir, "calib.npy")], "missing -o/--output");
  });
});
