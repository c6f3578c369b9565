// The deployment tests' small partitioned circuit: x·w → Relu → ·w2 with exact rounding to 3 bits,
// so that rounding digits and 3-bit tables split into partitions, small enough to run in FHE.
import { compile } from "../../compiler/compile.js";
import { buildModel, tensorProto } from "../onnx/graph_builder.js";

/** Input features. */
export const F = 8;

/** The model, `rows` calibration rows (40 by default) and the circuit compiled on them. */
export function tinyPartitioned(rows = 40) {
  const model = buildModel({
    inputs: [{ name: "x", shape: ["N", F] }],
    outputs: [{ name: "y" }],
    initializers: [
      tensorProto("w", "float", [F, 4], Array.from({ length: F * 4 }, (_, i) => Math.sin(i * 1.3))),
      tensorProto("w2", "float", [4, 2], [1, -1, 0.5, 2, -0.3, 1, 1, 1]),
    ],
    nodes: [
      { op: "MatMul", inputs: ["x", "w"], outputs: ["z"], name: "mm" },
      { op: "Relu", inputs: ["z"], outputs: ["s"], name: "act" },
      { op: "MatMul", inputs: ["s", "w2"], outputs: ["y"], name: "mm2" },
    ],
  });
  const x = { shape: [rows, F], data: Float64Array.from({ length: rows * F }, (_, i) => Math.cos(i * 0.37) * 2) };
  // Comparisons stay tables: at 2 bits the Relu table is a one-jump step the comparisons pass would take.
  return { model, x, circuit: compile(model, { calibration: x, nBits: 2, roundingThresholdBits: { bits: 3, method: "exact" }, lowerComparisons: false }) };
}
