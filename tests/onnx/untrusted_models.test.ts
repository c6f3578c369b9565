// Models that once hung or exhausted memory: a NaN weight (the quantizer's width search never
// ended), NaN/Inf or out-of-range attributes, and a tiny model whose ConstantOfShape asks for
// 2^28 elements. Each is refused at import with one error naming the tensor or node.
import { describe, expect, it } from "vitest";
import { importOnnx } from "../../compiler/onnx/index.js";
import { typeForInterval } from "../../passes/quantize/repr.js";
import { A, buildModel, tensorProto } from "./graph_builder.js";

function gemm(weights: number[], attrs: Record<string, ReturnType<typeof A.f>> = {}): Uint8Array {
  return buildModel({
    inputs: [{ name: "x", shape: ["N", 2] }],
    outputs: [{ name: "y" }],
    initializers: [tensorProto("w", "float", [2, 2], weights), tensorProto("b", "float", [2], [0, 0])],
    nodes: [{ op: "Gemm", name: "fc", inputs: ["x", "w", "b"], outputs: ["y"], attrs }],
  });
}

function constantOfShape(dims: number[]): Uint8Array {
  return buildModel({
    inputs: [{ name: "x", shape: ["N", 4] }],
    outputs: [{ name: "y" }],
    initializers: [tensorProto("s", "int64", [dims.length], dims)],
    nodes: [
      { op: "ConstantOfShape", name: "huge", inputs: ["s"], outputs: ["c"], attrs: { value: A.t(tensorProto("", "float", [1], [1])) } },
      { op: "ReduceSum", inputs: ["c"], outputs: ["r"], attrs: { keepdims: A.i(0) } },
      { op: "Add", inputs: ["x", "r"], outputs: ["y"] },
    ],
  });
}

describe("non-finite weights and attributes are refused at import", () => {
  it("a NaN weight names the initializer and the element", () => {
    expect(() => importOnnx(gemm([1, Number.NaN, 0.5, 2]))).toThrow(/initializer 'w' holds NaN at element 1: weights and constants must be finite/);
  });

  it("an infinite weight too, in a Constant node's tensor", () => {
    const m = buildModel({
      inputs: [{ name: "x", shape: ["N", 2] }],
      outputs: [{ name: "y" }],
      nodes: [
        { op: "Constant", name: "k", inputs: [], outputs: ["c"], attrs: { value: A.t(tensorProto("", "float", [2], [1, Number.POSITIVE_INFINITY])) } },
        { op: "Mul", inputs: ["x", "c"], outputs: ["y"] },
      ],
    });
    expect(() => importOnnx(m)).toThrow(/Constant node 'k' holds Infinity at element 1/);
  });

  it("Gemm alpha = NaN or Inf, and transB = 7, are refused", () => {
    expect(() => importOnnx(gemm([1, 0, 0, 1], { alpha: A.f(Number.NaN) }))).toThrow(/attribute 'alpha' of node 'fc' \(Gemm\) .*must be finite/);
    expect(() => importOnnx(gemm([1, 0, 0, 1], { alpha: A.f(Number.POSITIVE_INFINITY) }))).toThrow(/attribute 'alpha' of node 'fc'.*must be finite/);
    expect(() => importOnnx(gemm([1, 0, 0, 1], { transB: A.i(7) }))).toThrow(/attribute 'transB' of Gemm node 'fc' must be 0 or 1, got 7/);
    expect(() => importOnnx(gemm([1, 0, 0, 1], { transB: A.i(1), alpha: A.f(0.5) }))).not.toThrow();
  });

  it("the quantizer's width search refuses a non-finite interval instead of looping", () => {
    expect(() => typeForInterval(Number.NaN, 3)).toThrow(/no integer type holds/);
    expect(() => typeForInterval(-1, Number.POSITIVE_INFINITY)).toThrow(/no integer type holds/);
    expect(typeForInterval(-3, 3)).toEqual({ kind: "eint", width: 3, signed: true });
  });
});

describe("folded constants are capped before they are allocated", () => {
  it("ConstantOfShape([16384, 16384]) in a few hundred bytes is refused, naming the node", () => {
    const bytes = constantOfShape([16384, 16384]);
    expect(bytes.length).toBeLessThan(600);
    expect(() => importOnnx(bytes)).toThrow(/node 'huge' \(ConstantOfShape\) makes a constant of 268435456 elements \[16384, 16384\], more than the 67108864/);
  });

  it("the cap is configurable, and constants under it still import", () => {
    expect(() => importOnnx(constantOfShape([8, 4]), { maxFoldedElements: 16 })).toThrow(/makes a constant of 32 elements/);
    expect(() => importOnnx(constantOfShape([8, 4]))).not.toThrow();
  });

  it("folded shape arithmetic is capped too (Expand of a constant)", () => {
    const m = buildModel({
      inputs: [{ name: "x", shape: ["N", 4] }],
      outputs: [{ name: "y" }],
      initializers: [tensorProto("one", "int64", [1], [1]), tensorProto("s", "int64", [2], [4096, 4096])],
      nodes: [
        { op: "Expand", name: "grow", inputs: ["one", "s"], outputs: ["e"] },
        { op: "Cast", inputs: ["e"], outputs: ["f"], attrs: { to: A.i(1) } },
        { op: "ReduceSum", inputs: ["f"], outputs: ["r"], attrs: { keepdims: A.i(0) } },
        { op: "Add", inputs: ["x", "r"], outputs: ["y"] },
      ],
    });
    expect(() => importOnnx(m, { maxFoldedElements: 2 ** 20 })).toThrow(/node 'grow' \(Expand\) makes a constant of 16777216 elements/);
  });
});
