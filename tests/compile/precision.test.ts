// Precision from data, the default with a calibration set: per-table widths are chosen and
// reported, and the circuit keeps the float model's accuracy.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readNpy } from "../../compiler/data/npy.js";
import { compile } from "../../compiler/compile.js";
import { CELLS_PER_STEP, DEFAULT_TOLERANCE, lossWithParameters, MIN_DESCENT_BITS, precisionSummary, precisionWarning, searchReadStepStd, stepBackOnFreshSeeds } from "../../compiler/precision.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import { runReference } from "../../backends/reference/index.js";
import { extraFixturesRoot, loadFixture } from "../helpers/fixtures.js";
import { READ_STD_ATTR } from "../../passes/params/read_noise.js";
import { DEFAULT_MAX_KEY_BYTES, DEFAULT_P_ERROR, DEFAULT_WINDOW_MARGIN } from "../../compiler/compile.js";
import type { DenseAttr } from "../../ir/attributes.js";
import { elementOf, type EncryptedIntType } from "../../ir/types.js";
import type { FheCircuit } from "../../compiler/circuit.js";

function accuracy(out: Float64Array | number[], labels: ArrayLike<number | bigint>, classes: number): number {
  let ok = 0;
  for (let s = 0; s < labels.length; s++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (out[s * classes + k]! > out[s * classes + best]!) best = k;
    if (best === Number(labels[s])) ok++;
  }
  return ok / labels.length;
}

describe("table precision from calibration data", () => {
  // The mlp at default options, compiled once for the tests that read it.
  let mlpCircuit: FheCircuit | undefined;
  const mlp = () => (mlpCircuit ??= compile(loadFixture("mlp").model, { calibration: loadFixture("mlp").calib }));
  // qdq_mlp_digits at default options, with its compile log.
  let qdqDigitsCircuit: { circuit: FheCircuit; log: string[] } | undefined;
  const qdqDigits = () => {
    if (qdqDigitsCircuit) return qdqDigitsCircuit;
    const f = loadFixture("qdq_mlp_digits", extraFixturesRoot);
    const log: string[] = [];
    return (qdqDigitsCircuit = { circuit: compile(f.model, { calibration: f.calib, onProgress: (m) => log.push(m) }), log });
  };

  it("chooses, reports and applies a window per table on the mlp fixture, within 1 point of float accuracy", () => {
    const f = loadFixture("mlp");
    const c = mlp();
    const report = c.precision!;
    expect(report.tables.length).toBe(2);
    for (const t of report.tables) {
      expect(t.bits).toBeGreaterThanOrEqual(1);
      expect(t.bits).toBeLessThanOrEqual(8);
    }
    // The widths of the report are the circuit's, and info says the windows come from data.
    const info = c.info();
    expect(info.tlus.map((t) => t.inputPrecision)).toEqual(report.tables.map((t) => t.bits));
    expect(info.tlus.every((t) => t.precisionFrom === "data")).toBe(true);
    expect(precisionSummary(report)).toContain(report.tables.map((t) => t.bits).join(", "));
    // The search keeps the calibration loss within its tolerance of the worse of the exact circuit
    // and the widest windows under noise.
    expect(report.loss).toBeLessThanOrEqual(Math.max(report.baselineLoss, report.referenceLoss) + 0.005 + 1e-9);
    const float = accuracy(Float64Array.from(loadFixtureRef(f.dir)), f.y.data, 10);
    const simulated = accuracy(c.predictClear(f.x, { fhe: "simulate" })[0]!.data, f.y.data, 10);
    expect(simulated).toBeGreaterThanOrEqual(float - 0.01);
  });

  it("the search draws every approximate read at the noise bound the parameters meet: no read of the compiled circuit is noisier, and the loss under its parameters stays within the budget", () => {
    const c = mlp();
    const bound = searchReadStepStd(DEFAULT_P_ERROR);
    let reads = 0;
    for (const op of c.module.funcs[0]!.body.ops) {
      if (op.name !== "fhe.rescale") continue;
      // σ in steps of the q-bit value read (a step is 2^-(q+1) of the torus, under the padding bit).
      const q = (elementOf(op.result.type) as EncryptedIntType).width;
      for (const std of (op.attr(READ_STD_ATTR) as DenseAttr).data) {
        expect(std * 2 ** (q + 1)).toBeLessThanOrEqual(bound * (1 + 1e-9));
        reads++;
      }
    }
    expect(reads).toBeGreaterThan(0);
    expect(precisionWarning(c.precision!)).toBeUndefined();
  });

  it("compile re-measures the calibration loss under the chosen parameters' noise, equal to simulate's on the compiled circuit, and warns only when it is clearly over the budget", () => {
    const f = loadFixture("mlp");
    const c = mlp();
    const r = c.precision!;
    expect(r.budget).toBeCloseTo(Math.max(r.baselineLoss, r.referenceLoss) + DEFAULT_TOLERANCE.classification, 9);
    // The same seeds on the compiled circuit give the same mean: the figure is simulate's, not the search's.
    const float = runReference(importOnnx(f.model).funcs[0]!, [f.calib])[0]!;
    const again = lossWithParameters(c, [f.calib], float);
    expect(r.withParameters).toEqual(again);
    expect(precisionSummary(r)).toContain(`${again.loss.toFixed(4)} with the chosen parameters' noise`);
    // The warning follows the report: none within two standard errors of the budget, one beyond.
    expect(precisionWarning({ ...r, withParameters: { loss: r.budget + 0.01, standardError: 0.004 } })).toMatch(/over the precision search's budget/);
    expect(precisionWarning({ ...r, withParameters: { loss: r.budget + 0.01, standardError: 0.006 } })).toBeUndefined();
    expect(c.compileWarnings.some((w) => w.includes("budget")) === (precisionWarning(r) !== undefined)).toBe(true);
  });

  it("the check on fresh seeds steps back through the accepted widths while their fresh loss is over the budget, never past the widest", () => {
    const accepted = [
      { bits: [8, 8], loss: 0.001 },
      { bits: [6, 6], loss: 0.002 },
      { bits: [5, 6], loss: 0.004 },
      { bits: [5, 5], loss: 0.0045 },
    ];
    const freshLoss = new Map([["5,5", 0.009], ["5,6", 0.007], ["6,6", 0.003], ["8,8", 0.0]]);
    const asked: string[] = [];
    const fresh = (bits: readonly number[]) => (asked.push(bits.join(",")), freshLoss.get(bits.join(","))!);
    const kept = stepBackOnFreshSeeds(accepted, 0.005, fresh);
    expect(kept).toEqual({ bits: [6, 6], loss: 0.002, check: { loss: 0.003, stepsBack: 2 } });
    expect(asked).toEqual(["5,5", "5,6", "6,6"]);
    // Nothing fits on fresh seeds: the widest windows stay, unchecked.
    const none = stepBackOnFreshSeeds(accepted, 0.0001, fresh);
    expect(none).toEqual({ bits: [8, 8], loss: 0.001, check: { loss: undefined, stepsBack: 3 } });
    // The last choice fits: no step back.
    expect(stepBackOnFreshSeeds(accepted, 0.01, fresh).check).toEqual({ loss: 0.009, stepsBack: 0 });
  });

  it("compile reports the check on fresh seeds of the widths it keeps (qdq_mlp_digits)", () => {
    const { circuit: c, log } = qdqDigits();
    const r = c.precision!;
    const checks = log.filter((m) => m.includes("on fresh seeds"));
    expect(r.check!.stepsBack).toBe(checks.length - 1);
    const lossOf = (m: string) => Number(/loss (\d+\.\d+)/.exec(m)![1]);
    for (const m of checks.slice(0, -1)) expect(lossOf(m)).toBeGreaterThan(r.budget);
    expect(r.check!.loss).toBeLessThanOrEqual(r.budget);
    expect(checks.at(-1)).toContain(`${r.tables.map((t) => t.bits).join(",")} bits on fresh seeds`);
    expect(precisionSummary({ ...r, check: { loss: r.budget, stepsBack: 2 } })).toContain("2 step(s) back after a check on fresh seeds");
  });

  it("stops activation tables at MIN_DESCENT_BITS, where calibration agreement alone took the 64-64-32-10 digits MLP to 3 bits", () => {
    // Without the floor this model's first table went to 3 bits: calibration agreement held, the
    // test split lost 3 points. Every table with more than two values keeps ≥ MIN_DESCENT_BITS.
    const f = loadFixture("mlp_digits_wide", extraFixturesRoot);
    const c = compile(f.model, { calibration: f.calib });
    expect(c.precision!.tables.map((t) => t.bits).every((b) => b >= MIN_DESCENT_BITS)).toBe(true);
    const float = accuracy(Float64Array.from(loadFixtureRef(f.dir)), f.y.data, 10);
    const simulated = accuracy(c.predictClear(f.x, { fhe: "simulate" })[0]!.data, f.y.data, 10);
    expect(simulated).toBeGreaterThanOrEqual(float - 0.01);
  });

  it("coarse staircases (QDQ 4-bit codes) get four window cells per step: qdq_mlp_digits's tables keep 7 bits through the key-budget cap, within 1 point of float; smooth tables keep the plain floor", () => {
    // Each hidden table requantizes to 4-bit codes: 15 steps across the calibrated range, so the
    // window needs 4 · 15 · (1 + 2 · margin) ≤ 2^q cells: 7 bits. At 5 bits (what calibration loss
    // alone allows, and what the key-budget cap took back to for speed) the test split lost 2.6
    // points; at 6 bits (two cells per step) 1.1 over twenty seeds, at 7 bits 0.8.
    const f = loadFixture("qdq_mlp_digits", extraFixturesRoot);
    const c = qdqDigits().circuit;
    const steps = 15;
    const staircaseFloor = Math.ceil(Math.log2(CELLS_PER_STEP * steps * (1 + 2 * DEFAULT_WINDOW_MARGIN)));
    expect(staircaseFloor).toBe(7);
    expect(c.precision!.tables.map((t) => t.floor)).toEqual([staircaseFloor, staircaseFloor]);
    expect(c.precision!.tables.every((t) => t.bits >= t.floor)).toBe(true);
    expect(c.precision!.keyBudgetCap).toBeUndefined();
    expect(c.info().keySizes!.total).toBeLessThanOrEqual(DEFAULT_MAX_KEY_BYTES);
    const float = accuracy(Float64Array.from(loadFixtureRef(f.dir)), f.y.data, 10);
    const simulated = accuracy(c.predictClear(f.x, { fhe: "simulate" })[0]!.data, f.y.data, 10);
    expect(simulated).toBeGreaterThanOrEqual(float - 0.01);
    // The float mlp's tables make 100+ steps across their ranges: the plain floor.
    expect(mlp().precision!.tables.map((t) => t.floor)).toEqual([MIN_DESCENT_BITS, MIN_DESCENT_BITS]);
  });

  it("two-valued tables (a tree's steps) are exempt from the floor and still descend to 1 bit", () => {
    const f = loadFixture("sk_gbt");
    const c = compile(f.model, { calibration: f.calib });
    expect(Math.min(...c.precision!.tables.map((t) => t.bits))).toBeLessThan(MIN_DESCENT_BITS);
  });

  it("a user's tolerance sets the budget: at 0 the calibration loss stays at the worse of the exact circuit and the widest windows", () => {
    const f = loadFixture("qdq_mlp");
    const c = compile(f.model, { calibration: f.calib, precisionTolerance: { classification: 0, regression: 0 } });
    const r = c.precision!;
    expect(r.loss).toBeLessThanOrEqual(Math.max(r.baselineLoss, r.referenceLoss) + 1e-9);
    expect(() => compile(f.model, { calibration: f.calib, precisionTolerance: { classification: -0.1, regression: 0.01 } })).toThrow(/precisionTolerance.classification must be in \[0, 1\]/);
    expect(() => compile(f.model, { calibration: f.calib, roundingThresholdBits: 6, precisionTolerance: { classification: 0.01, regression: 0.01 } })).toThrow(/cannot be combined with roundingThresholdBits/);
  });

  it("a fixed width keeps its meaning: static rounding, no windows", () => {
    const f = loadFixture("mlp");
    const c = compile(f.model, { calibration: f.calib, roundingThresholdBits: 6 });
    expect(c.precision).toBeUndefined();
    expect(c.info().tlus.every((t) => t.precisionFrom === "static" && t.inputPrecision <= 6)).toBe(true);
  });
});

function loadFixtureRef(dir: string): Float64Array {
  // y_ref.npy: the exporting framework's float outputs on x_test.
  return Float64Array.from(readNpy(readFileSync(join(dir, "y_ref.npy"))).data);
}
