// MaxPool after a non-decreasing univariate chain (ReLU, BatchNorm with positive scales, …) pools
// the codes first and applies the chain once per pooled output. For a non-decreasing f and its
// output quantizer Q, max_i Q(f(x_i)) = Q(f(max_i x_i)): with tables that read exact values the
// circuit computes the same integers as pooling after the chain, with fewer tables.
import { describe, expect, it } from "vitest";
import { compile, type CompileOptions } from "../../compiler/compile.js";
import type { NDArray } from "../../ir/tensor.js";
import { A, buildModel, randomValues, tensorProto } from "../onnx/graph_builder.js";

const CHANNELS = 2;
const SIDE = 4;

/** x [N,1,4,4] → Conv 1×1 (2 channels) → Relu → `between` → MaxPool 2×2/2 → Flatten → Gemm (3 outputs). */
function model(between: string[]): Uint8Array {
  const chain = ["relu", ...between.map((_, i) => `t${i}`)];
  return buildModel({
    opset: 17,
    inputs: [{ name: "x", shape: ["N", 1, SIDE, SIDE] }],
    outputs: [{ name: "y", shape: ["N", 3] }],
    initializers: [
      tensorProto("w", "float", [CHANNELS, 1, 1, 1], [0.9, -1.3]),
      tensorProto("b", "float", [CHANNELS], [0.1, 0.4]),
      tensorProto("g", "float", [3, CHANNELS * 4], randomValues(3 * CHANNELS * 4, 5)),
    ],
    nodes: [
      { op: "Conv", inputs: ["x", "w", "b"], outputs: ["conv"] },
      { op: "Relu", inputs: ["conv"], outputs: ["relu"] },
      ...between.map((op, i) => ({ op, inputs: [chain[i]!], outputs: [chain[i + 1]!] })),
      { op: "MaxPool", inputs: [chain[chain.length - 1]!], outputs: ["pool"], attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) } },
      { op: "Flatten", inputs: ["pool"], outputs: ["flat"] },
      { op: "Gemm", inputs: ["flat", "g"], outputs: ["y"], attrs: { transB: A.i(1) } },
    ],
  });
}

function images(n: number, seed: number): NDArray {
  return { shape: [n, 1, SIDE, SIDE], data: Float64Array.from(randomValues(n * SIDE * SIDE, seed)) };
}

// Small codes and no rounding: every table reads its input exactly.
const options: CompileOptions = { calibration: images(64, 1), nBits: 3, roundingThresholdBits: { bits: 8, method: "exact" }, cryptoParameters: false };
const pooled = CHANNELS * (SIDE / 2) * (SIDE / 2);

describe("MaxPool after a non-decreasing chain", () => {
  // Pooling after the chain: 4 chain tables per pooled output, 3 max tables, and 1 more to requantize
  // the max (a sum of a code and a table output) for the Gemm; pooling first: 3 max tables, then the
  // chain's table, which is also the Gemm's input.
  it("pools the codes first: 3 max tables + 1 ReLU table per pooled output instead of 4 + 3 + 1, same integers", () => {
    const first = compile(model([]), options);
    // Abs after ReLU changes nothing in value but is not a step the rewrite knows to be monotone.
    const after = compile(model(["Abs"]), options);
    expect(first.info().roundOps).toBe(0);
    expect(after.info().roundOps).toBe(0);
    expect(first.info().lookupsPerSample).toBe(3 * pooled + pooled);
    expect(after.info().lookupsPerSample).toBe(4 * pooled + 3 * pooled + pooled);
    const x = images(300, 2);
    expect(Array.from(first.predictClear(x, { fhe: "disable" })[0]!.data)).toEqual(Array.from(after.predictClear(x, { fhe: "disable" })[0]!.data));
  });

  it("keeps pooling after a non-increasing chain (ReLU then Neg)", () => {
    expect(compile(model(["Neg"]), options).info().lookupsPerSample).toBe(4 * pooled + 3 * pooled + pooled);
  });
});
