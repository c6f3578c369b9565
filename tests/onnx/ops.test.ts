// One small ONNX graph per op (and per attribute variant): the reference interpreter's output on
// the imported IR must match onnxruntime-node within 1e-5 relative.
import { describe, expect, it } from "vitest";
import { A, type DType, type ModelSpec, type NodeSpec, tensorProto } from "./graph_builder.js";
import { arr, checkAgainstOrt, rand } from "./check.js";
import type { NDArray } from "../../ir/tensor.js";

const x = (shape: (number | string)[], dtype: DType = "float", name = "x") => ({ name, dtype, shape });
const y = (dtype: DType = "float", name = "y") => ({ name, dtype });

/** A single-node model: graph inputs named x, x2, …, one output y, optional initializers. */
function single(op: string, ins: { name: string; dtype: DType; shape: (number | string)[] }[], attrs: NodeSpec["attrs"] = {}, opts: { opset?: number; inits?: ModelSpec["initializers"]; extraInputs?: string[]; outDtype?: DType } = {}): ModelSpec {
  return {
    opset: opts.opset ?? 17,
    inputs: ins,
    outputs: [y(opts.outDtype ?? "float")],
    initializers: opts.inits ?? [],
    nodes: [{ op, inputs: [...ins.map((i) => i.name), ...(opts.extraInputs ?? [])], outputs: ["y"], attrs }],
  };
}

const run = (spec: ModelSpec, inputs: Record<string, NDArray>) => checkAgainstOrt(spec, inputs);

describe("linear ops", () => {
  it("Gemm with transB and a broadcast bias", async () => {
    await run(single("Gemm", [x([3, 4]), x([5, 4], "float", "w")], { transB: A.i(1) }, { inits: [tensorProto("b", "float", [5], [1, 2, 3, 4, 5])], extraInputs: ["b"] }), {
      x: rand([3, 4], 1),
      w: rand([5, 4], 2),
    });
  });
  it("Gemm with transA, alpha, beta and a [M, 1] bias", async () => {
    await run(single("Gemm", [x([4, 3]), x([4, 2], "float", "w"), x([3, 1], "float", "c")], { transA: A.i(1), alpha: A.f(0.5), beta: A.f(2) }), {
      x: rand([4, 3], 3),
      w: rand([4, 2], 4),
      c: rand([3, 1], 5),
    });
  });
  it("Gemm without bias", async () => {
    await run(single("Gemm", [x(["N", 3]), x([3, 2], "float", "w")]), { x: rand([5, 3], 6), w: rand([3, 2], 7) });
  });
  it("MatMul 2-D, batched and 1-D", async () => {
    await run(single("MatMul", [x([3, 4]), x([4, 2], "float", "w")]), { x: rand([3, 4], 8), w: rand([4, 2], 9) });
    await run(single("MatMul", [x([2, 3, 4]), x([4, 5], "float", "w")]), { x: rand([2, 3, 4], 10), w: rand([4, 5], 11) });
    await run(single("MatMul", [x([4]), x([2, 4, 3], "float", "w")]), { x: rand([4], 12), w: rand([2, 4, 3], 13) });
  });
  it("Conv 2-D with pads, strides and bias", async () => {
    const spec = single("Conv", [x(["N", 2, 6, 6]), x([3, 2, 3, 3], "float", "w"), x([3], "float", "b")], { pads: A.ints([1, 0, 1, 2]), strides: A.ints([2, 1]) });
    await run(spec, { x: rand([2, 2, 6, 6], 14), w: rand([3, 2, 3, 3], 15), b: rand([3], 16) });
  });
  it("Conv with groups and dilations", async () => {
    const spec = single("Conv", [x([1, 4, 7, 7]), x([6, 2, 2, 3], "float", "w")], { group: A.i(2), dilations: A.ints([2, 1]), kernel_shape: A.ints([2, 3]) });
    await run(spec, { x: rand([1, 4, 7, 7], 17), w: rand([6, 2, 2, 3], 18) });
  });
  it("Conv with auto_pad SAME_UPPER / SAME_LOWER / VALID", async () => {
    for (const mode of ["SAME_UPPER", "SAME_LOWER", "VALID"]) {
      const spec = single("Conv", [x([1, 1, 5, 6]), x([2, 1, 2, 3], "float", "w")], { auto_pad: A.s(mode), strides: A.ints([2, 2]) });
      await run(spec, { x: rand([1, 1, 5, 6], 19), w: rand([2, 1, 2, 3], 20) });
    }
  });
  it("ConvTranspose 2-D (strides, pads, output_padding, groups, dilations) and 1-D", async () => {
    const spec = single("ConvTranspose", [x(["N", 2, 3, 3]), x([2, 3, 3, 3], "float", "w"), x([3], "float", "b")], { strides: A.ints([2, 2]), pads: A.ints([1, 0, 1, 1]), output_padding: A.ints([1, 0]) });
    await run(spec, { x: rand([2, 2, 3, 3], 23), w: rand([2, 3, 3, 3], 24), b: rand([3], 25) });
    const grouped = single("ConvTranspose", [x([1, 4, 3, 4]), x([4, 1, 2, 2], "float", "w")], { group: A.i(2), dilations: A.ints([2, 1]) });
    await run(grouped, { x: rand([1, 4, 3, 4], 26), w: rand([4, 1, 2, 2], 27) });
    await run(single("ConvTranspose", [x([2, 3, 5]), x([3, 2, 3], "float", "w")], { strides: A.ints([3]), auto_pad: A.s("VALID") }), { x: rand([2, 3, 5], 28), w: rand([3, 2, 3], 29) });
  });
  it("Conv 1-D", async () => {
    await run(single("Conv", [x([2, 3, 9]), x([4, 3, 3], "float", "w")], { pads: A.ints([1, 1]), strides: A.ints([2]) }), { x: rand([2, 3, 9], 21), w: rand([4, 3, 3], 22) });
  });
});

describe("pooling and normalization", () => {
  it("AveragePool with pads, count_include_pad 0 and 1", async () => {
    for (const cip of [0, 1]) {
      const spec = single("AveragePool", [x(["N", 2, 5, 5])], { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]), strides: A.ints([2, 2]), count_include_pad: A.i(cip) });
      await run(spec, { x: rand([2, 2, 5, 5], 23) });
    }
  });
  it("AveragePool with ceil_mode and 1-D", async () => {
    await run(single("AveragePool", [x([1, 2, 6, 6])], { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), ceil_mode: A.i(1) }), { x: rand([1, 2, 6, 6], 24) });
    await run(single("AveragePool", [x([1, 2, 7])], { kernel_shape: A.ints([2]), strides: A.ints([2]), pads: A.ints([1, 0]) }), { x: rand([1, 2, 7], 25) });
  });
  it("MaxPool with pads, ceil_mode and dilations", async () => {
    await run(single("MaxPool", [x([1, 3, 6, 6])], { kernel_shape: A.ints([2, 2]), pads: A.ints([1, 1, 0, 0]), strides: A.ints([2, 2]) }), { x: rand([1, 3, 6, 6], 26) });
    await run(single("MaxPool", [x([1, 3, 7, 7])], { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), ceil_mode: A.i(1) }), { x: rand([1, 3, 7, 7], 27) });
    await run(single("MaxPool", [x([1, 2, 7, 7])], { kernel_shape: A.ints([2, 2]), dilations: A.ints([2, 2]) }), { x: rand([1, 2, 7, 7], 28) });
  });
  it("GlobalAveragePool", async () => {
    await run(single("GlobalAveragePool", [x(["N", 3, 4, 5])]), { x: rand([2, 3, 4, 5], 29) });
  });
  it("BatchNormalization", async () => {
    const inits = [
      tensorProto("s", "float", [3], [1, 0.5, 2]),
      tensorProto("b", "float", [3], [0, 1, -1]),
      tensorProto("m", "float", [3], [0.1, -0.2, 0.3], false),
      tensorProto("v", "float", [3], [1, 2, 0.5], false),
    ];
    await run(single("BatchNormalization", [x(["N", 3, 2, 2])], { epsilon: A.f(1e-3) }, { inits, extraInputs: ["s", "b", "m", "v"] }), { x: rand([2, 3, 2, 2], 30) });
  });
});

describe("reductions, softmax, argmax", () => {
  it("ReduceSum with an axes input (opset 13) and keepdims 0", async () => {
    await run(single("ReduceSum", [x([2, 3, 4])], { keepdims: A.i(0) }, { opset: 13, inits: [tensorProto("axes", "int64", [2], [0, -1])], extraInputs: ["axes"] }), { x: rand([2, 3, 4], 31) });
  });
  it("ReduceSum with the axes attribute (opset 11) and over all axes", async () => {
    await run(single("ReduceSum", [x([2, 3, 4])], { axes: A.ints([1]) }, { opset: 11 }), { x: rand([2, 3, 4], 32) });
    await run(single("ReduceSum", [x([2, 3])], {}, { opset: 13 }), { x: rand([2, 3], 33) });
  });
  it("ReduceMean with the axes attribute (opset 13) and input (opset 18)", async () => {
    await run(single("ReduceMean", [x(["N", 3, 4])], { axes: A.ints([1, 2]) }, { opset: 13 }), { x: rand([2, 3, 4], 34) });
    await run(single("ReduceMean", [x(["N", 3, 4])], { keepdims: A.i(0) }, { opset: 18, inits: [tensorProto("axes", "int64", [1], [2])], extraInputs: ["axes"] }), { x: rand([2, 3, 4], 35) });
  });
  it("Softmax (opset 13 any axis, opset 11 last axis)", async () => {
    await run(single("Softmax", [x([2, 3, 4])], { axis: A.i(1) }, { opset: 13 }), { x: rand([2, 3, 4], 36, -5, 5) });
    await run(single("Softmax", [x(["N", 4])], {}, { opset: 11 }), { x: rand([3, 4], 37, -5, 5) });
  });
  it("ArgMax with keepdims and select_last_index", async () => {
    await run(single("ArgMax", [x([3, 4])], { axis: A.i(1), keepdims: A.i(0) }, { outDtype: "int64" }), { x: rand([3, 4], 38) });
    await run(single("ArgMax", [x([3, 4])], { axis: A.i(0), select_last_index: A.i(1) }, { outDtype: "int64" }), { x: arr([3, 4], [1, 2, 3, 4, 1, 5, 3, 0, 0, 5, 3, 4]) });
  });
});

describe("elementwise", () => {
  for (const op of ["Add", "Sub", "Mul", "Div"]) {
    it(`${op} with broadcasting`, async () => {
      await run(single(op, [x(["N", 3, 4]), x([4], "float", "x2")]), { x: rand([2, 3, 4], 40), x2: rand([4], 41, 0.5, 2) });
    });
  }
  it("Add on int64 and Div on int32 (truncation)", async () => {
    await run(single("Add", [x([3], "int64"), x([3], "int64", "x2")], {}, { outDtype: "int64" }), { x: arr([3], [1, -2, 3]), x2: arr([3], [10, 20, -30]) });
    await run(single("Div", [x([4], "int32"), x([4], "int32", "x2")], {}, { outDtype: "int32" }), { x: arr([4], [7, -7, 9, -9]), x2: arr([4], [2, 2, -4, -4]) });
  });
  it("Pow", async () => {
    await run(single("Pow", [x([2, 3]), x([3], "float", "x2")]), { x: rand([2, 3], 42, 0.1, 3), x2: arr([3], [2, 0.5, -1.5]) });
  });
  const unaries: [string, number, number, number?][] = [
    ["Neg", -3, 3],
    ["Abs", -3, 3],
    ["Sign", -3, 3],
    ["Relu", -3, 3],
    ["Sigmoid", -8, 8],
    ["Tanh", -3, 3],
    ["Softplus", -10, 10],
    ["Erf", -4, 4],
    ["Exp", -3, 3],
    ["Log", 0.01, 10],
    ["Sqrt", 0, 10],
    ["Floor", -3, 3],
    ["Round", -3, 3],
    ["Sin", -3, 3],
    ["Cos", -3, 3],
    ["Tan", -1.2, 1.2],
    ["Asin", -0.99, 0.99],
    ["Acos", -0.99, 0.99],
    ["Atan", -3, 3],
    ["Sinh", -3, 3],
    ["Cosh", -3, 3],
    ["Asinh", -3, 3],
    ["Acosh", 1, 5],
    ["Atanh", -0.95, 0.95],
    ["HardSwish", -5, 5],
    ["Identity", -3, 3],
  ];
  for (const [op, lo, hi] of unaries) {
    it(op, async () => {
      await run(single(op, [x(["N", 3, 5])]), { x: rand([4, 3, 5], op.length * 7 + lo, lo, hi) });
    });
  }
  it("Round halves to even", async () => {
    await run(single("Round", [x([6])]), { x: arr([6], [0.5, 1.5, 2.5, -0.5, -1.5, 2.4999]) });
  });
  it("activations with attributes", async () => {
    const cases: [string, NodeSpec["attrs"]][] = [
      ["LeakyRelu", { alpha: A.f(0.2) }],
      ["LeakyRelu", {}],
      ["Elu", { alpha: A.f(0.7) }],
      ["Selu", {}],
      ["Selu", { alpha: A.f(1.5), gamma: A.f(2) }],
      ["Celu", { alpha: A.f(2) }],
      ["HardSigmoid", { alpha: A.f(0.3), beta: A.f(0.4) }],
      ["HardSigmoid", {}],
      ["ThresholdedRelu", { alpha: A.f(0.5) }],
    ];
    for (const [op, attrs] of cases) await run(single(op, [x([3, 7])], attrs), { x: rand([3, 7], 50, -4, 4) });
  });
  it("PRelu with a per-channel slope", async () => {
    await run(single("PRelu", [x(["N", 3, 2, 2]), x([3, 1, 1], "float", "s")]), { x: rand([2, 3, 2, 2], 51), s: rand([3, 1, 1], 52) });
  });
  it("Clip with both, one or no bounds (input forms)", async () => {
    const inits = [tensorProto("lo", "float", [], [-0.5]), tensorProto("hi", "float", [], [1.25])];
    const mk = (extra: string[]) => single("Clip", [x([4, 5])], {}, { opset: 13, inits, extraInputs: extra });
    const input = { x: rand([4, 5], 53) };
    await run(mk(["lo", "hi"]), input);
    await run(mk(["lo"]), input);
    await run(mk(["", "hi"]), input);
    await run(mk([]), input);
  });
  it("Clip on int8 (QCDQ style)", async () => {
    const inits = [tensorProto("lo", "int8", [], [-3]), tensorProto("hi", "int8", [], [5])];
    await run(single("Clip", [x([6], "int8")], {}, { opset: 13, inits, extraInputs: ["lo", "hi"], outDtype: "int8" }), { x: arr([6], [-100, -3, 0, 4, 5, 100]) });
  });
  it("comparisons, logic and Where", async () => {
    const a = rand([3, 4], 54);
    const b = arr([4], [0, -1, a.data[2]!, 1]);
    for (const op of ["Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Equal"]) {
      await run(single(op, [x([3, 4]), x([4], "float", "x2")], {}, { outDtype: "bool" }), { x: a, x2: b });
    }
    const p = arr([4], [1, 0, 1, 0]);
    const q = arr([4], [1, 1, 0, 0]);
    await run(single("Not", [x([4], "bool")], {}, { outDtype: "bool" }), { x: p });
    await run(single("And", [x([4], "bool"), x([4], "bool", "x2")], {}, { outDtype: "bool" }), { x: p, x2: q });
    await run(single("Or", [x([4], "bool"), x([4], "bool", "x2")], {}, { outDtype: "bool" }), { x: p, x2: q });
    await run(single("Where", [x([2, 4], "bool"), x([2, 4], "float", "x2"), x([4], "float", "x3")]), { x: arr([2, 4], [1, 0, 1, 0, 0, 0, 1, 1]), x2: rand([2, 4], 55), x3: rand([4], 56) });
  });
  it("Max and Min, variadic with broadcasting", async () => {
    for (const op of ["Max", "Min"]) {
      await run(single(op, [x([2, 3]), x([3], "float", "x2"), x([1], "float", "x3")]), { x: rand([2, 3], 57), x2: rand([3], 58), x3: rand([1], 59) });
      await run(single(op, [x([2, 3])]), { x: rand([2, 3], 60) });
    }
  });
  it("Cast float→int64 (truncation), bool→float, float→double", async () => {
    await run(single("Cast", [x([5])], { to: A.i(7) }, { outDtype: "int64" }), { x: arr([5], [1.7, -1.7, 0.2, 3, -0.5]) });
    await run(single("Cast", [x([3], "bool")], { to: A.i(1) }), { x: arr([3], [1, 0, 1]) });
    await run(single("Cast", [x([3])], { to: A.i(11) }, { outDtype: "double" }), { x: rand([3], 61) });
  });
  it("Dropout in inference (ratio input, unused mask)", async () => {
    const spec: ModelSpec = {
      opset: 13,
      inputs: [x(["N", 4])],
      outputs: [y()],
      initializers: [tensorProto("r", "float", [], [0.3])],
      nodes: [{ op: "Dropout", inputs: ["x", "r"], outputs: ["y", "mask"] }],
    };
    await run(spec, { x: rand([2, 4], 62) });
  });
});

describe("data movement", () => {
  it("Reshape with 0 and -1", async () => {
    await run(single("Reshape", [x([2, 3, 4])], {}, { inits: [tensorProto("s", "int64", [3], [0, -1, 2])], extraInputs: ["s"] }), { x: rand([2, 3, 4], 70) });
  });
  it("Flatten and Transpose", async () => {
    await run(single("Flatten", [x(["N", 2, 3, 2])], { axis: A.i(2) }), { x: rand([2, 2, 3, 2], 71) });
    await run(single("Flatten", [x([2, 3])], { axis: A.i(0) }), { x: rand([2, 3], 72) });
    await run(single("Transpose", [x(["N", 2, 3])], { perm: A.ints([0, 2, 1]) }), { x: rand([2, 2, 3], 73) });
    await run(single("Transpose", [x([2, 3, 4])]), { x: rand([2, 3, 4], 74) });
  });
  it("Squeeze and Unsqueeze, attribute (opset 11) and input (opset 13) forms", async () => {
    await run(single("Squeeze", [x([2, 1, 3, 1])], { axes: A.ints([1]) }, { opset: 11 }), { x: rand([2, 1, 3, 1], 75) });
    await run(single("Squeeze", [x([2, 1, 3, 1])], {}, { opset: 13, inits: [tensorProto("a", "int64", [1], [-1])], extraInputs: ["a"] }), { x: rand([2, 1, 3, 1], 76) });
    await run(single("Squeeze", [x([2, 1, 3, 1])], {}, { opset: 13 }), { x: rand([2, 1, 3, 1], 77) });
    await run(single("Unsqueeze", [x(["N", 3])], { axes: A.ints([1, -1]) }, { opset: 11 }), { x: rand([2, 3], 78) });
    await run(single("Unsqueeze", [x(["N", 3])], {}, { opset: 13, inits: [tensorProto("a", "int64", [2], [0, 2])], extraInputs: ["a"] }), { x: rand([2, 3], 79) });
  });
  it("Concat", async () => {
    await run(single("Concat", [x(["N", 2]), x(["N", 3], "float", "x2")], { axis: A.i(-1) }), { x: rand([2, 2], 80), x2: rand([2, 3], 81) });
  });
  it("Pad in constant, reflect and edge modes", async () => {
    for (const mode of ["constant", "reflect", "edge"]) {
      const inits = [tensorProto("p", "int64", [8], [0, 0, 1, 2, 0, 0, 2, 1]), tensorProto("v", "float", [], [0.75])];
      await run(single("Pad", [x(["N", 2, 3, 4])], { mode: A.s(mode) }, { opset: 13, inits, extraInputs: mode === "constant" ? ["p", "v"] : ["p"] }), { x: rand([2, 2, 3, 4], 82) });
    }
  });
  it("Pad with negative pads and an axes input (opset 18)", async () => {
    const inits = [tensorProto("p", "int64", [4], [1, -1, 0, 2]), tensorProto("ax", "int64", [2], [1, 2])];
    await run(single("Pad", [x([2, 3, 4])], {}, { opset: 18, inits, extraInputs: ["p", "", "ax"] }), { x: rand([2, 3, 4], 83) });
  });
  it("Gather on axes 0 and 1, constant and runtime indices, negative indices", async () => {
    const idx = tensorProto("i", "int64", [2, 2], [0, -1, 2, 1]);
    await run(single("Gather", [x([4, 3])], { axis: A.i(0) }, { inits: [idx], extraInputs: ["i"] }), { x: rand([4, 3], 84) });
    await run(single("Gather", [x(["N", 3])], { axis: A.i(1) }, { inits: [tensorProto("i", "int64", [], [-1])], extraInputs: ["i"] }), { x: rand([2, 3], 85) });
    await run(single("Gather", [x([4, 3]), x([3], "int64", "x2")], { axis: A.i(0) }), { x: rand([4, 3], 86), x2: arr([3], [3, 0, -2]) });
  });
  it("Slice with axes, negative steps and clamped ends", async () => {
    const inits = [
      tensorProto("st", "int64", [2], [1, -1]),
      tensorProto("en", "int64", [2], [1000, -4]),
      tensorProto("ax", "int64", [2], [1, 2]),
      tensorProto("sp", "int64", [2], [2, -1]),
    ];
    await run(single("Slice", [x(["N", 5, 4])], {}, { inits, extraInputs: ["st", "en", "ax", "sp"] }), { x: rand([2, 5, 4], 87) });
    const inits2 = [tensorProto("st", "int64", [1], [0]), tensorProto("en", "int64", [1], [2])];
    await run(single("Slice", [x([4, 3])], {}, { inits: inits2, extraInputs: ["st", "en"] }), { x: rand([4, 3], 88) });
  });
  it("Slice with INT64_MAX ends (as PyTorch exports x[:, 1:])", async () => {
    const ends = tensorProto("en", "int64", [1], [0]);
    const raw = Buffer.alloc(8);
    raw.writeBigInt64LE(9223372036854775807n);
    ends.rawData = raw;
    const inits = [tensorProto("st", "int64", [1], [1]), ends, tensorProto("ax", "int64", [1], [1])];
    const text = await run(single("Slice", [x(["N", 5])], {}, { inits, extraInputs: ["st", "en", "ax"] }), { x: rand([3, 5], 96) });
    expect(text).toContain("ends = [9007199254740991]");
  });
  it("Constant node forms: value tensor, value_float, value_floats, value_int, value_ints", async () => {
    const spec: ModelSpec = {
      opset: 13,
      inputs: [x([2, 3])],
      outputs: [y()],
      nodes: [
        { op: "Constant", inputs: [], outputs: ["a"], attrs: { value: A.t(tensorProto("", "float", [3], [1, 2, 3], false)) } },
        { op: "Constant", inputs: [], outputs: ["b"], attrs: { value_float: A.f(0.5) } },
        { op: "Constant", inputs: [], outputs: ["c"], attrs: { value_floats: A.floats([1, -1, 2]) } },
        { op: "Constant", inputs: [], outputs: ["d"], attrs: { value_ints: A.ints([3, 2]) } },
        { op: "Constant", inputs: [], outputs: ["e"], attrs: { value_int: A.i(0) } },
        { op: "Add", inputs: ["x", "a"], outputs: ["s1"] },
        { op: "Mul", inputs: ["s1", "b"], outputs: ["s2"] },
        { op: "Sub", inputs: ["s2", "c"], outputs: ["s3"] },
        { op: "Reshape", inputs: ["s3", "d"], outputs: ["s4"] },
        { op: "Gather", inputs: ["s4", "e"], outputs: ["s5"], attrs: { axis: A.i(1) } },
        { op: "Unsqueeze", inputs: ["s5", "ax"], outputs: ["y"] },
      ],
      initializers: [tensorProto("ax", "int64", [1], [1])],
    };
    await run(spec, { x: rand([2, 3], 97) });
  });
  it("Expand", async () => {
    await run(single("Expand", [x([3, 1])], {}, { inits: [tensorProto("s", "int64", [3], [2, 1, 4])], extraInputs: ["s"] }), { x: rand([3, 1], 89) });
  });
  it("Shape (runtime, dynamic batch) and ConstantOfShape", async () => {
    await run(single("Shape", [x(["N", 3, 4])], { start: A.i(0), end: A.i(-1) }, { outDtype: "int64" }), { x: rand([5, 3, 4], 90) });
    const value = A.t(tensorProto("", "float", [1], [2.5]));
    await run(
      {
        opset: 17,
        inputs: [x([2, 3])],
        outputs: [y()],
        initializers: [tensorProto("s", "int64", [2], [2, 3])],
        nodes: [
          { op: "ConstantOfShape", inputs: ["s"], outputs: ["c"], attrs: { value } },
          { op: "Add", inputs: ["x", "c"], outputs: ["y"] },
        ],
      },
      { x: rand([2, 3], 91) },
    );
  });
  it("the PyTorch flatten pattern Shape→Gather→Unsqueeze→Concat→Reshape with a dynamic batch", async () => {
    const spec: ModelSpec = {
      opset: 13,
      inputs: [x(["batch", 2, 3, 3])],
      outputs: [y()],
      initializers: [tensorProto("zero", "int64", [], [0]), tensorProto("minus1", "int64", [1], [-1]), tensorProto("ax0", "int64", [1], [0])],
      nodes: [
        { op: "Relu", inputs: ["x"], outputs: ["r"] },
        { op: "Shape", inputs: ["r"], outputs: ["shape"] },
        { op: "Gather", inputs: ["shape", "zero"], outputs: ["n"], attrs: { axis: A.i(0) } },
        { op: "Unsqueeze", inputs: ["n", "ax0"], outputs: ["n1"] },
        { op: "Concat", inputs: ["n1", "minus1"], outputs: ["target"], attrs: { axis: A.i(0) } },
        { op: "Reshape", inputs: ["r", "target"], outputs: ["y"] },
      ],
    };
    const text = await run(spec, { x: rand([3, 2, 3, 3], 92) });
    expect(text).toContain("onnx.Reshape %r {shape = [0, -1]} : (tensor<?x2x3x3xf32>) -> tensor<?x18xf32>");
    expect(text).not.toContain("onnx.Shape");
    expect(text).not.toContain("onnx.Gather");
  });
  it("a static shape sub-graph folds to a constant target", async () => {
    const spec: ModelSpec = {
      opset: 11,
      inputs: [x([2, 3, 2])],
      outputs: [y()],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Constant", inputs: [], outputs: ["i"], attrs: { value: A.t(tensorProto("", "int64", [], [0])) } },
        { op: "Gather", inputs: ["s", "i"], outputs: ["n"], attrs: { axis: A.i(0) } },
        { op: "Unsqueeze", inputs: ["n"], outputs: ["n1"], attrs: { axes: A.ints([0]) } },
        { op: "Constant", inputs: [], outputs: ["m"], attrs: { value: A.t(tensorProto("", "int64", [1], [-1], false)) } },
        { op: "Concat", inputs: ["n1", "m"], outputs: ["t"], attrs: { axis: A.i(0) } },
        { op: "Reshape", inputs: ["x", "t"], outputs: ["y"] },
      ],
    };
    const text = await run(spec, { x: rand([2, 3, 2], 93) });
    expect(text).toContain("{shape = [2, -1]}");
  });
});

describe("quantization", () => {
  it("QuantizeLinear / DequantizeLinear per tensor (uint8 and int8)", async () => {
    for (const [dt, zp] of [["uint8", 128], ["int8", -3]] as const) {
      const inits = [tensorProto("s", "float", [], [0.05]), tensorProto("z", dt, [], [zp])];
      const spec: ModelSpec = {
        opset: 13,
        inputs: [x(["N", 6])],
        outputs: [y()],
        initializers: inits,
        nodes: [
          { op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"] },
          { op: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"] },
        ],
      };
      await run(spec, { x: arr([2, 6], [0, 0.025, 0.075, -0.025, 10, -10, 1.234, -1.234, 0.05, 0.125, -0.175, 3]) });
    }
  });
  it("QuantizeLinear without zero point gives uint8", async () => {
    await run(single("QuantizeLinear", [x([5])], {}, { opset: 13, inits: [tensorProto("s", "float", [], [0.1])], extraInputs: ["s"], outDtype: "uint8" }), { x: arr([5], [-1, 0.05, 0.15, 12.7, 30]) });
  });
  it("per-axis QuantizeLinear and DequantizeLinear", async () => {
    const inits = [tensorProto("s", "float", [3], [0.1, 0.02, 0.5]), tensorProto("z", "int8", [3], [0, 5, -10])];
    const spec: ModelSpec = {
      opset: 13,
      inputs: [x([2, 3, 2])],
      outputs: [y(), y("int8", "q")],
      initializers: inits,
      nodes: [
        { op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"], attrs: { axis: A.i(1) } },
        { op: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"], attrs: { axis: A.i(1) } },
      ],
    };
    await run(spec, { x: rand([2, 3, 2], 94) });
  });
  it("per-axis DequantizeLinear of int8 weights feeding a MatMul", async () => {
    const inits = [tensorProto("wq", "int8", [3, 2], [10, -20, 127, -128, 0, 5]), tensorProto("ws", "float", [2], [0.01, 0.03]), tensorProto("wz", "int8", [2], [1, -2])];
    const spec: ModelSpec = {
      opset: 13,
      inputs: [x(["N", 3])],
      outputs: [y()],
      initializers: inits,
      nodes: [
        { op: "DequantizeLinear", inputs: ["wq", "ws", "wz"], outputs: ["w"], attrs: { axis: A.i(1) } },
        { op: "MatMul", inputs: ["x", "w"], outputs: ["y"] },
      ],
    };
    await run(spec, { x: rand([4, 3], 95) });
  });
});
