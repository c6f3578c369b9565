// Error-compensating weight rounding: the Gram matrices calibration records (checked against the
// reference evaluator's own Conv and MatMul), the rounding itself (on the grid, within the
// width, closer to the float layer than nearest rounding on rows it never saw), and its effect on
// real fixtures' exact circuits.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { onnxEvaluator } from "../../compiler/evaluate.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import { runReference } from "../../backends/reference/index.js";
import { defaultRegistry, parseModule } from "../../ir/index.js";
import type { NDArray } from "../../ir/tensor.js";
import { compensatedRound, inputGram, roundingFactors } from "../../passes/quantize/compensated_rounding.js";
import { roundHalfEven } from "../../passes/quantize/qparams.js";
import { loadFixture } from "../helpers/fixtures.js";

/** A seeded generator of standard normal draws (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

const convModule = `module attributes {onnx.opset = 17, onnx.producer = "fhec-tests"} {
  func.func @main(%x: tensor<?x4x5x6xf32>) -> tensor<?x2x3x3xf32> {
    %w = onnx.Constant {value = dense<0.0> : tensor<2x2x3x2xf32>} : () -> tensor<2x2x3x2xf32>
    %c = onnx.Conv %x, %w {pads = [1, 0, 1, 1], strides = [2, 2], group = 2} : (tensor<?x4x5x6xf32>, tensor<2x2x3x2xf32>) -> tensor<?x2x3x3xf32>
    return %c : tensor<?x2x3x3xf32>
  }
}`;

describe("input Gram matrices", () => {
  it("a grouped, padded, strided Conv's Gram gives vᵀHv = mean square of the reference Conv's output with weights v", () => {
    const conv = parseModule(convModule, "conv.mlir", defaultRegistry).module!.funcs[0]!.body.ops.find((o) => o.name === "onnx.Conv")!;
    const g = normals(1);
    const x: NDArray = { shape: [3, 4, 5, 6], data: Float64Array.from({ length: 3 * 4 * 5 * 6 }, g) };
    const w: NDArray = { shape: [2, 2, 3, 2], data: Float64Array.from({ length: 24 }, g) };
    const gram = inputGram(conv, [x, w])!;
    expect(gram.type.shape).toEqual([2, 12, 12]);
    const [y] = onnxEvaluator(conv, [x, w]);
    const plane = 3 * 3;
    for (let f = 0; f < 2; f++) {
      // Filter f reads group f (one filter per group here).
      let mean = 0;
      for (let s = 0; s < 3; s++) for (let p = 0; p < plane; p++) mean += y!.data[(s * 2 + f) * plane + p]! ** 2 / (3 * plane);
      const v = w.data.subarray(f * 12, (f + 1) * 12);
      let quad = 0;
      for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) quad += v[i]! * gram.data[f * 144 + i * 12 + j]! * v[j]!;
      // The reference Conv rounds its outputs to float32 (relative 2⁻²⁴ each).
      expect(Math.abs(quad - mean) / mean).toBeLessThan(1e-6);
    }
  });
});

describe("compensated rounding", () => {
  // Correlated inputs (x = A z): the case where moving errors between weights pays.
  const k = 24;
  const outputs = 8;
  const g = normals(7);
  const mix = Float64Array.from({ length: k * k }, g);
  const draw = (rows: number) => {
    const x = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const z = Float64Array.from({ length: k }, g);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) x[r * k + i] = x[r * k + i]! + mix[i * k + j]! * z[j]! * (j < 6 ? 1 : 0.2);
    }
    return x;
  };
  const calib = draw(400);
  const fresh = draw(2000);
  const h = new Float64Array(k * k);
  for (let r = 0; r < 400; r++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) h[i * k + j] = h[i * k + j]! + (calib[r * k + i]! * calib[r * k + j]!) / 400;
  const limit = 31;
  const weights = Array.from({ length: outputs }, () => Float64Array.from({ length: k }, g));
  const outputError = (x: Float64Array, w: Float64Array, q: Float64Array, scale: number) => {
    let e = 0;
    for (let r = 0; r < x.length / k; r++) {
      let d = 0;
      for (let i = 0; i < k; i++) d += x[r * k + i]! * (w[i]! - scale * q[i]!);
      e += d * d;
    }
    return e;
  };

  it("keeps every weight an integer within the width's limit", () => {
    const f = roundingFactors(h, k);
    for (const w of weights) {
      const scale = Math.max(...w.map(Math.abs)) / limit;
      const q = compensatedRound(w, scale, limit, f, roundHalfEven);
      for (const v of q) expect(Number.isInteger(v) && Math.abs(v) <= limit).toBe(true);
    }
  });

  it("gives a layer output closer to the float layer than nearest rounding, on rows the Gram matrix never saw", () => {
    const f = roundingFactors(h, k);
    let nearest = 0;
    let compensated = 0;
    for (const w of weights) {
      const scale = Math.max(...w.map(Math.abs)) / limit;
      nearest += outputError(fresh, w, w.map((v) => roundHalfEven(v / scale)), scale);
      compensated += outputError(fresh, w, compensatedRound(w, scale, limit, f, roundHalfEven), scale);
    }
    expect(compensated).toBeLessThan(0.5 * nearest);
  });

  it("rounds weights of inputs never seen non-zero to nearest, and leaves them out of the compensation", () => {
    const hDead = Float64Array.from(h);
    for (let j = 0; j < k; j++) hDead[3 * k + j] = hDead[j * k + 3] = 0;
    const f = roundingFactors(hDead, k);
    expect(Array.from(f.order)).not.toContain(3);
    const w = weights[0]!;
    const scale = Math.max(...w.map(Math.abs)) / limit;
    expect(compensatedRound(w, scale, limit, f, roundHalfEven)[3]).toBe(roundHalfEven(w[3]! / scale));
  });
});

describe("compensated rounding on the fixtures", () => {
  // With wide table inputs (10 bits) the weights' rounding is the main error of the exact circuit.
  const relativeError = (name: string, compensateWeights: boolean) => {
    const fx = loadFixture(name);
    const c = compile(fx.model, { calibration: fx.calib, compensateWeights, cryptoParameters: false, roundingThresholdBits: 10 });
    const at = Math.max(0, c.outputLayout.names.indexOf(fx.meta.output_name));
    const ref = runReference(importOnnx(fx.model).funcs[0]!, [fx.x])[at]!;
    const out = c.predictClear(fx.x, { fhe: "disable" })[at]!;
    let e = 0;
    let s = 0;
    for (let i = 0; i < ref.data.length; i++) {
      e += (out.data[i]! - ref.data[i]!) ** 2;
      s += ref.data[i]! ** 2;
    }
    return e / s;
  };
  for (const name of ["mlp", "cnn_avgpool"]) {
    it(`${name}: the exact circuit's outputs on the test rows sit closer to float`, () => {
      expect(relativeError(name, true)).toBeLessThan(0.6 * relativeError(name, false));
    });
  }
});
