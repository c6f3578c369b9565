// A small model exercising every comparison against constants the comparisons pass lowers:
// Less / LessOrEqual / Greater / GreaterOrEqual with per-feature thresholds, selected by Where
// between constants, by Mul with a constant after Cast, or cast directly; and one scalar
// threshold (a plain table instead of a per-feature mapped one).
import { buildModel, tensorProto } from "../onnx/graph_builder.js";

export const FEATURES = 4;

export function comparisonsModel(): Uint8Array {
  const f = FEATURES;
  const vec = (name: string, v: number[]) => tensorProto(name, "float", [f], v);
  return buildModel({
    opset: 17,
    inputs: [{ name: "x", shape: ["N", f] }],
    outputs: ["o_less", "o_le", "o_gt", "o_ge", "o_scalar"].map((name) => ({ name, shape: ["N", f] })),
    initializers: [
      vec("t1", [-0.5, 0.1, 0.7, 1.2]),
      vec("t2", [0.3, -1.1, 0.0, 0.9]),
      vec("t3", [1.4, 0.2, -0.6, -0.2]),
      vec("t4", [-1.3, 0.5, 1.0, 0.05]),
      vec("ya", [2.0, -1.0, 0.5, 3.0]),
      vec("yb", [-2.0, 1.0, 1.5, 0.0]),
      vec("w", [0.75, -1.5, 2.0, 1.0]),
      tensorProto("t5", "float", [], [0.4]),
    ],
    nodes: [
      { op: "Less", inputs: ["x", "t1"], outputs: ["c1"] },
      { op: "Where", inputs: ["c1", "ya", "yb"], outputs: ["o_less"] },
      { op: "LessOrEqual", inputs: ["x", "t2"], outputs: ["c2"] },
      { op: "Cast", inputs: ["c2"], outputs: ["c2f"], attrs: { to: { type: 2, i: 1 } } },
      { op: "Mul", inputs: ["c2f", "w"], outputs: ["o_le"] },
      { op: "Greater", inputs: ["x", "t3"], outputs: ["c3"] },
      { op: "Cast", inputs: ["c3"], outputs: ["o_gt"], attrs: { to: { type: 2, i: 1 } } },
      { op: "GreaterOrEqual", inputs: ["x", "t4"], outputs: ["c4"] },
      { op: "Where", inputs: ["c4", "yb", "ya"], outputs: ["o_ge"] },
      { op: "Less", inputs: ["x", "t5"], outputs: ["c5"] },
      { op: "Where", inputs: ["c5", "w", "ya"], outputs: ["o_scalar"] },
    ],
  });
}
