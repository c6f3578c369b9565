// Comparison-only features narrowed to their thresholds (compiler/threshold_ranges.ts): the
// thresholds found through the one-hot selection, the span just outside them on the calibration
// values, the models left alone, and what it buys gemm_tree (fewer input bits, same decisions).
import { describe, expect, it } from "vitest";
import { annotateCalibration } from "../../compiler/calibrate.js";
import { compile } from "../../compiler/compile.js";
import { onnxEvaluator } from "../../compiler/evaluate.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import { argmaxDisagreement } from "../../compiler/output_agreement.js";
import { featureThresholds, narrowRangesToThresholds, thresholdSpan } from "../../compiler/threshold_ranges.js";
import { type ArrayAttr, asFloats } from "../../ir/attributes.js";
import { elementOf } from "../../ir/types.js";
import { runReference } from "../../backends/reference/index.js";
import { loadFixture } from "../helpers/fixtures.js";

function calibrated(name: string) {
  const f = loadFixture(name);
  const func = importOnnx(f.model).funcs[0]!;
  annotateCalibration(func, [f.calib], onnxEvaluator);
  return { f, func };
}

describe("thresholdSpan", () => {
  it("takes the calibration values just below the lowest and just above the highest threshold", () => {
    expect(thresholdSpan([0.2, 0.6, 1.0, 1.6, 1.7, 2.5], [0.8, 1.65, 1.55], 0.2, 2.5)).toEqual([0.6, 1.7]);
  });
  it("keeps the data range on a side without values beyond the thresholds", () => {
    expect(thresholdSpan([1, 2, 3], [0.5], 1, 3)).toEqual([1, 1]);
    expect(thresholdSpan([1, 2, 3], [3.5], 1, 3)).toEqual([3, 3]);
    expect(thresholdSpan([1, 2, 3], [], 1, 3)).toEqual([1, 3]);
  });
});

describe("narrowRangesToThresholds", () => {
  it("gemm_tree: finds each feature's thresholds through the selection and narrows its range around them", () => {
    const { f, func } = calibrated("gemm_tree");
    const t = featureThresholds(func.args[0]!)!;
    expect(t.map((x) => x.length)).toEqual([1, 1, 1, 3]);
    expect(t[3]!.map((x) => Math.round(x * 100) / 100).sort()).toEqual([0.8, 1.55, 1.65]);
    const before = asFloats((func.attributes.get("fhec.input_element_ranges") as ArrayAttr).items[0])!;
    expect(narrowRangesToThresholds(func, [f.calib])).toBe(true);
    const after = asFloats((func.attributes.get("fhec.input_element_ranges") as ArrayAttr).items[0])!;
    const per = 4;
    for (let e = 0; e < per; e++) {
      const [lo, hi] = [after[2 * e]!, after[2 * e + 1]!];
      const [tMin, tMax] = [Math.min(...t[e]!), Math.max(...t[e]!)];
      expect(lo).toBeLessThan(tMin);
      expect(hi).toBeGreaterThan(tMax);
      expect(hi - lo).toBeLessThan(before[2 * e + 1]! - before[2 * e]!);
      // No calibration value between the span's ends and the thresholds: clamping keeps every side.
      for (let s = 0; s < f.calib.shape[0]!; s++) {
        const v = f.calib.data[s * per + e]!;
        expect(v > lo && v < tMin).toBe(false);
        expect(v > tMax && v < hi).toBe(false);
      }
    }
  });

  it("leaves a model whose inputs feed more than comparisons alone", () => {
    const { f, func } = calibrated("logreg_std");
    expect(featureThresholds(func.args[0]!)).toBeUndefined();
    expect(narrowRangesToThresholds(func, [f.calib])).toBe(false);
  });

  it("gemm_tree compiles to 4-bit inputs (6 with the full ranges) and decides every calibration row as the float model", () => {
    const { f } = calibrated("gemm_tree");
    const c = compile(f.model, { calibration: f.calib, cryptoParameters: false });
    expect(c.inputs[0]!.qmax - c.inputs[0]!.qmin + 1).toBe(16);
    const func = importOnnx(f.model).funcs[0]!;
    const output = func.resultTypes.findIndex((t) => elementOf(t).kind === "float");
    const float = runReference(func, [f.calib])[output]!;
    expect(argmaxDisagreement(c.predictClear(f.calib, { fhe: "disable" })[output]!.data, float.data, f.calib.shape[0]!)).toBe(0);
  });
});
