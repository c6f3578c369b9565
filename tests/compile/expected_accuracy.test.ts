// The precision search's loss for classifiers: the accuracy the float model expects to lose by a
// circuit's picks, from the float model's own class probabilities.
import { describe, expect, it } from "vitest";
import { classProbabilities, expectedAccuracyLosses } from "../../compiler/output_agreement.js";
import { rowLosses } from "../../compiler/precision.js";
import { ndarray } from "../../ir/tensor.js";

describe("expected accuracy loss", () => {
  it("reads logits through a softmax and keeps rows that already are probabilities", () => {
    const p = classProbabilities([0, Math.log(3), 0.25, 0.75], 2);
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
    expect(Array.from(p.subarray(2))).toEqual([0.25, 0.75]);
  });

  it("a flip between nearly tied classes costs almost nothing, a flip away from a confident pick almost a whole sample", () => {
    const float = classProbabilities([0.51, 0.49, 0.99, 0.01], 2);
    const circuit = [0.4, 0.6, 0.1, 0.9]; // both rows flipped
    const losses = expectedAccuracyLosses(circuit, float, 2);
    expect(losses[0]).toBeCloseTo(0.02, 12);
    expect(losses[1]).toBeCloseTo(0.98, 12);
    // No flip, no loss.
    expect(Array.from(expectedAccuracyLosses([0.9, 0.1, 0.8, 0.2], float, 2))).toEqual([0, 0]);
  });

  it("per-row losses: classifiers by expected accuracy, regressors by |error| over the output span", () => {
    const cls = rowLosses(ndarray([2, 2], [0, 1, 0, 1]), ndarray([2, 2], [0.3, 0.7, 0.6, 0.4]));
    expect(cls[0]).toBe(0);
    expect(cls[1]).toBeCloseTo(0.2, 12);
    const reg = rowLosses(ndarray([2, 1], [1, 5]), ndarray([2, 1], [0, 4]));
    expect(Array.from(reg)).toEqual([0.25, 0.25]);
  });
});
