// Inputs that only feed comparisons (trees) are quantized to the fewest bits whose exact circuit
// agrees with the float model on the calibration set as often as at 8 bits, and whose codes
// resolve each feature's thresholds as finely as the calibration values approach them: the detection
// (feedsOnlyComparisons), the choice on the iris GEMM tree (where the search must stop: one bit
// fewer changes a calibration prediction), and the cases it must leave alone.
import { describe, expect, it } from "vitest";
import type { FheCircuit } from "../../compiler/circuit.js";
import { compile, DEFAULT_N_BITS } from "../../compiler/compile.js";
import { argmaxDisagreement } from "../../compiler/output_agreement.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import { runReference } from "../../backends/reference/index.js";
import { feedsOnlyComparisons } from "../../passes/comparisons.js";
import { elementOf } from "../../ir/types.js";
import { extraFixturesRoot, loadFixture } from "../helpers/fixtures.js";

const inputBits = (c: FheCircuit): number => Math.log2(c.inputs[0]!.qmax - c.inputs[0]!.qmin + 1);

/** The tables still read the quantized inputs (no comparison lowering, no rounding, no windows). */
const plain = { roundingThresholdBits: 0, lowerComparisons: false, cryptoParameters: false } as const;

describe("feedsOnlyComparisons", () => {
  it("holds for a GEMM tree: its features reach tables only through the selection matmul, as comparisons", () => {
    const f = loadFixture("gemm_tree");
    const c = compile(f.model, { calibration: f.calib, ...plain, nBits: { inputs: 8 } });
    expect(feedsOnlyComparisons(c.func)).toBe(true);
  });
  it("fails for an MLP: its first tables (activations) are not steps", () => {
    const f = loadFixture("mlp");
    // 4 bits everywhere: the unrounded first layer must fit a table (at most 16 bits).
    const c = compile(f.model, { calibration: f.calib, ...plain, nBits: 4 });
    expect(feedsOnlyComparisons(c.func)).toBe(false);
  });
  it("fails for a linear model: its input reaches the results", () => {
    const f = loadFixture("logreg_std");
    const c = compile(f.model, { calibration: f.calib, ...plain, nBits: { inputs: 8 } });
    expect(feedsOnlyComparisons(c.func)).toBe(false);
  });
});

describe("input bits of comparison-only inputs", () => {
  const f = loadFixture("gemm_tree");
  // The probabilities (the first float output), as compile judges them.
  const func = importOnnx(f.model).funcs[0]!;
  const output = func.resultTypes.findIndex((t) => elementOf(t).kind === "float");
  const float = runReference(func, [f.calib])[output]!;
  const n = f.calib.shape[0]!;
  const miss = (c: FheCircuit) => argmaxDisagreement(c.predictClear(f.calib, { fhe: "disable" })[output]!.data, float.data, n);
  const at = (inputs: number) => compile(f.model, { calibration: f.calib, nBits: { inputs }, cryptoParameters: false });

  it("gemm_tree: the default takes the fewest bits that keep the 8-bit calibration agreement, and one bit fewer would lose it", () => {
    const chosen = compile(f.model, { calibration: f.calib, cryptoParameters: false });
    const bits = inputBits(chosen);
    expect(bits).toBeLessThan(DEFAULT_N_BITS.inputs);
    const budget = miss(at(DEFAULT_N_BITS.inputs));
    expect(miss(chosen)).toBeLessThanOrEqual(budget);
    expect(miss(at(bits - 1))).toBeGreaterThan(budget);
  });
  it("an explicit input width is kept", () => {
    expect(inputBits(compile(f.model, { calibration: f.calib, nBits: { inputs: 8 }, cryptoParameters: false }))).toBe(8);
  });
  it("without calibration-fitted precision (a static rounding width) inputs keep the default width", () => {
    expect(inputBits(compile(f.model, { calibration: f.calib, roundingThresholdBits: 8, cryptoParameters: false }))).toBe(DEFAULT_N_BITS.inputs);
  });
  it("an MLP keeps the default input width", () => {
    const m = loadFixture("mlp");
    const c = compile(m.model, { calibration: m.calib, cryptoParameters: false });
    expect(inputBits(c)).toBe(DEFAULT_N_BITS.inputs);
  });
});

describe("input codes resolve the thresholds", () => {
  it("gemm_tree_iris_c: the chosen codes decide every test row as float does (calibration agreement alone took 3 bits, where 3 of 50 test rows changed sides); one bit fewer moves test rows", () => {
    const f = loadFixture("gemm_tree_iris_c", extraFixturesRoot);
    const func = importOnnx(f.model).funcs[0]!;
    const output = func.resultTypes.findIndex((t) => elementOf(t).kind === "float");
    const n = f.x.shape[0]!;
    const float = runReference(func, [f.x])[output]!;
    const testMiss = (c: FheCircuit) => argmaxDisagreement(c.predictClear(f.x, { fhe: "disable" })[output]!.data, float.data, n);
    const chosen = compile(f.model, { calibration: f.calib, cryptoParameters: false });
    expect(testMiss(chosen)).toBe(0);
    // The grid the calibration agreement alone accepted moves test rows across thresholds.
    const coarse = compile(f.model, { calibration: f.calib, nBits: { inputs: inputBits(chosen) - 1 }, cryptoParameters: false });
    expect(testMiss(coarse)).toBeGreaterThan(0);
  });
});
