// Quantization behaviour: more bits bring the simulation closer to float; the seeds' example
// (logistic regression, 4 features, nBits 3) predicts in simulation exactly what the quantized
// model predicts in the clear; options are validated.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { runReference } from "../../backends/reference/index.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import { CompileError } from "../../ir/diagnostics.js";
import type { NDArray } from "../../ir/tensor.js";
import { loadFixture } from "../helpers/fixtures.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FheCircuit } from "../../compiler/circuit.js";
import { buildModel } from "../onnx/graph_builder.js";

function meanAbsError(a: NDArray, b: NDArray): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / a.data.length;
}

describe("error shrinks as nBits grows", () => {
  for (const name of ["mlp", "logreg_std", "cnn_avgpool"]) {
    it(name, () => {
      const f = loadFixture(name);
      const float = runReference(importOnnx(f.model).funcs[0]!, [f.x])[0]!;
      const err = (bits: number) => meanAbsError(compile(f.model, { calibration: f.calib, nBits: bits, roundingThresholdBits: { bits: 10, method: "exact" }, cryptoParameters: false }).predictClear(f.x, { fhe: "disable" })[0]!, float);
      const e = [2, 4, 6, 8].map(err);
      // Each step of two bits at least halves the error (quantization error ~ 2^-bits).
      for (let i = 1; i < e.length; i++) expect(e[i]!).toBeLessThan(e[i - 1]! * 0.5);
    });
  }
});

describe("the seeds' first example", () => {
  it("logistic regression on 4 features with nBits 3: simulation equals the clear quantized model", () => {
    const f = loadFixture("logreg_demo");
    const circuit = compile(f.model, { calibration: f.calib, nBits: 3 });
    const clear = circuit.predictClear(f.x, { fhe: "disable" })[0]!;
    const simulated = circuit.predictClear(f.x, { fhe: "simulate" })[0]!;
    expect(Array.from(simulated.data)).toEqual(Array.from(clear.data));
    // Class = argmax of [1 − p, p]; on this split the quantized model is as accurate as float.
    const n = f.y.data.length;
    let ok = 0;
    for (let s = 0; s < n; s++) if ((clear.data[2 * s + 1]! > clear.data[2 * s]! ? 1 : 0) === f.y.data[s]) ok++;
    expect(ok / n).toBeGreaterThanOrEqual(0.95);
    expect(circuit.inputs[0]!.qmax).toBe(7);
    expect(circuit.info().tluCount).toBe(0);
  });
});

describe("compile options", () => {
  const f = loadFixture("logreg_demo");
  it("rejects out-of-range bit widths", () => {
    expect(() => compile(f.model, { calibration: f.calib, nBits: 0 })).toThrow(/nBits must be an integer in 1\.\.16/);
    expect(() => compile(f.model, { calibration: f.calib, nBits: { weights: 40 } })).toThrow(/nBits\.weights/);
    expect(() => compile(f.model, { calibration: f.calib, roundingThresholdBits: -1 })).toThrow(/roundingThresholdBits/);
    expect(() => compile(f.model, { calibration: f.calib, pError: 2 })).toThrow(/pError/);
  });
  it("needs calibration for a float model", () => {
    expect(() => compile(f.model)).toThrow(/no calibration range/);
  });
  it("rejects calibration data of the wrong shape, and NaN/Inf", () => {
    const bad: NDArray = { shape: [10, 5], data: new Float64Array(50) };
    expect(() => compile(f.model, { calibration: bad })).toThrow(/calibration data for 'input' has shape \[10, 5\]/);
    const nan: NDArray = { shape: [2, 4], data: Float64Array.of(0, 1, NaN, 2, 0, 0, 0, 0) };
    expect(() => compile(f.model, { calibration: nan })).toThrow(CompileError);
    expect(() => compile(f.model, { calibration: nan })).toThrow(/NaN at flat index 2/);
  });
  it("rejects NaN and wrongly shaped inputs at prediction time", () => {
    const circuit = compile(f.model, { calibration: f.calib });
    expect(() => circuit.predictClear({ shape: [1, 4], data: Float64Array.of(0, Infinity, 0, 0) })).toThrow(/Infinity at flat index 1/);
    expect(() => circuit.predictClear({ shape: [1, 3], data: new Float64Array(3) })).toThrow(/has shape \[1, 3\], expected \[N, 4\]/);
  });
  it("finds the smallest rounding width that keeps accuracy (\"auto\")", () => {
    const m = loadFixture("mlp");
    const auto = compile(m.model, { calibration: m.calib, roundingThresholdBits: "auto" });
    const info = auto.info();
    expect(info.maxTluInputPrecision).toBeLessThanOrEqual(8);
    expect(info.maxTluInputPrecision).toBeGreaterThan(1);
  });
});

describe("more compile paths", () => {
  it("saves and loads a circuit", () => {
    const f = loadFixture("logreg_demo");
    const c = compile(f.model, { calibration: f.calib, nBits: 3 });
    const path = join(mkdtempSync(join(tmpdir(), "fhec-save-")), "c.fhe");
    c.save(path);
    const back = FheCircuit.load(path);
    expect(Array.from(back.predictClear(f.x)[0]!.data)).toEqual(Array.from(c.predictClear(f.x)[0]!.data));
    expect(() => FheCircuit.load(path + ".missing")).toThrow(/cannot read circuit/);
  });

  it("compiles a fully QDQ model without calibration data, keeping its scales", () => {
    const f = loadFixture("qdq_mlp");
    const c = compile(f.model);
    const float = runReference(importOnnx(f.model).funcs[0]!, [f.x])[0]!;
    const out = c.predictClear(f.x, { fhe: "disable" })[0]!;
    const argmax = (a: NDArray, s: number) => (a.data[2 * s + 1]! > a.data[2 * s]! ? 1 : 0);
    let agree = 0;
    for (let s = 0; s < f.x.shape[0]!; s++) if (argmax(out, s) === argmax(float, s)) agree++;
    expect(agree / f.x.shape[0]!).toBeGreaterThanOrEqual(0.97);
    // The graph's own input quantizer (QuantizeLinear + Clip) is the client's.
    expect(c.inputs[0]!.qmin).toBeLessThan(0);
  });

  it("narrows widths to calibration bounds on request", () => {
    const f = loadFixture("mlp");
    const wide = compile(f.model, { calibration: f.calib }).info();
    const narrow = compile(f.model, { calibration: f.calib, bounds: "calibration" }).info();
    expect(narrow.maxWidth).toBeLessThanOrEqual(wide.maxWidth);
  });

  it("lowers two encrypted operands: Mul and Max through tables", () => {
    const model = buildModel({
      inputs: [{ name: "a", shape: ["N", 3] }, { name: "b", shape: ["N", 3] }],
      outputs: [{ name: "y" }],
      nodes: [
        { op: "Mul", inputs: ["a", "b"], outputs: ["p"], name: "mul" },
        { op: "Max", inputs: ["p", "a"], outputs: ["y"], name: "max" },
      ],
    });
    const rand = (seed: number) => Float64Array.from({ length: 60 }, (_, i) => Math.sin(seed * 97 + i * 13.1) * 2);
    const a: NDArray = { shape: [20, 3], data: rand(1) };
    const b: NDArray = { shape: [20, 3], data: rand(2) };
    // A 3-output regression: the default precision search would judge it by argmax agreement, so
    // this test of the lowering keeps 8 static bits per table.
    const c = compile(model, { calibration: [a, b], nBits: 8, roundingThresholdBits: 8, cryptoParameters: false });
    const out = c.predictClear([a, b], { fhe: "disable" })[0]!;
    const want = a.data.map((x, i) => Math.max(x * b.data[i]!, x));
    const err = Math.max(...Array.from(out.data, (v, i) => Math.abs(v - want[i]!)));
    expect(err).toBeLessThan(0.15);
    const ops = c.info().ops;
    expect(ops["fhe.apply_lookup_table"] ?? 0).toBeGreaterThanOrEqual(3);
  });
});
