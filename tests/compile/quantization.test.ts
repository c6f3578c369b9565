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
