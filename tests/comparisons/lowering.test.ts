// The comparisons pass on compiled models: every comparison against constants reads a 1–2-bit
// table, and the clear quantized circuit (`disable`) computes exactly what it computed with the
// original 8-bit tables, for every input code (each comparison reads one feature, so sweeping
// every feature through all its codes at once covers every comparison's whole input range).
import { describe, expect, it } from "vitest";
import { type BatchTensor, simulate } from "../../backends/clear/index.js";
import type { FheCircuit } from "../../compiler/circuit.js";
import { compile, type CompileOptions } from "../../compiler/compile.js";
import { MAX_COMPARISON_BITS } from "../../passes/comparisons.js";
import { TABLE_OPS } from "../../passes/bitwidth.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../../ir/types.js";
import { loadFixture } from "../helpers/fixtures.js";
import { randomValues } from "../onnx/graph_builder.js";
import { comparisonsModel, FEATURES } from "./graphs.js";

/** One sample per code v, every feature at v (the input's full code range). */
function sweep(c: FheCircuit): BatchTensor[] {
  const q = c.inputs[0]!;
  const shape = shapeOf(c.func.args[0]!.type) as number[];
  const per = shape.reduce((a, b) => a * b, 1);
  const batch = q.qmax - q.qmin + 1;
  const data = new Float64Array(batch * per);
  for (let s = 0; s < batch; s++) data.fill(q.qmin + s, s * per, (s + 1) * per);
  return [{ batch, shape, data }];
}

/** Random codes, independent per feature. */
function randomCodes(c: FheCircuit, batch: number, seed: number): BatchTensor[] {
  const q = c.inputs[0]!;
  const shape = shapeOf(c.func.args[0]!.type) as number[];
  const per = shape.reduce((a, b) => a * b, 1);
  const u = randomValues(batch * per, seed, 0, 1);
  return [{ batch, shape, data: Float64Array.from(u, (v) => q.qmin + Math.floor(v * (q.qmax - q.qmin + 1))) }];
}

const tableBits = (c: FheCircuit): number[] =>
  c.func.body.ops.filter((op) => TABLE_OPS.has(op.name)).map((op) => (elementOf(op.operands[0]!.type) as EncryptedIntType).width);

function expectSameClear(before: FheCircuit, after: FheCircuit, codes: BatchTensor[]): void {
  const a = before.runClear(codes, { fhe: "disable" });
  const b = after.runClear(codes, { fhe: "disable" });
  expect(b.length).toBe(a.length);
  a.forEach((t, i) => expect(Array.from(b[i]!.data)).toEqual(Array.from(t.data)));
}

const methods = [
  ["approximate", { bits: 8, method: "approximate" }],
  ["exact", { bits: 8, method: "exact" }],
] as const;

describe("Less / LessOrEqual / Greater / GreaterOrEqual against constants, with Where / Mul / Cast selection", () => {
  const calib = { shape: [64, FEATURES], data: Float64Array.from(randomValues(64 * FEATURES, 7, -2, 2)) };
  for (const [name, rounding] of methods) {
    it(`${name} rounding: 1–2-bit tables, same clear outputs for every input code`, () => {
      const options: CompileOptions = { calibration: calib, roundingThresholdBits: rounding, cryptoParameters: false };
      const before = compile(comparisonsModel(), { ...options, lowerComparisons: false });
      const after = compile(comparisonsModel(), options);
      expect(after.inputs).toEqual(before.inputs);
      expect(tableBits(before)).toEqual([8, 8, 8, 8, 8]);
      const bits = tableBits(after);
      expect(bits).toHaveLength(5);
      for (const b of bits) expect(b).toBeLessThanOrEqual(MAX_COMPARISON_BITS);
      expect(after.info().roundOps).toBe(5);
      expectSameClear(before, after, sweep(before));
    });
  }
});

describe("gemm_tree (Hummingbird GEMM decision tree on iris)", () => {
  const f = loadFixture("gemm_tree");
  for (const [name, rounding] of methods) {
    it(`${name} rounding: the 6 decisions read a ≤ 2-bit table, the leaf table stays 3 bits, clear results unchanged`, () => {
      const options: CompileOptions = { calibration: f.calib, roundingThresholdBits: rounding, cryptoParameters: false };
      const before = compile(f.model, { ...options, lowerComparisons: false });
      const after = compile(f.model, options);
      expect(tableBits(before)).toEqual([8, 3]);
      const [decision, leaf] = tableBits(after) as [number, number];
      expect(decision).toBeLessThanOrEqual(MAX_COMPARISON_BITS);
      expect(leaf).toBe(3);
      // Whole model: the sweep, random independent codes, and the test split.
      expectSameClear(before, after, sweep(before));
      expectSameClear(before, after, randomCodes(before, 2000, 11));
      expect(Array.from(after.predictClear(f.x, { fhe: "disable" })[0]!.data)).toEqual(Array.from(before.predictClear(f.x, { fhe: "disable" })[0]!.data));
      // The decision layer itself, exhaustively: return the decisions instead of the probabilities.
      const decisions = (c: FheCircuit) => {
        const op = c.func.body.ops.find((o) => TABLE_OPS.has(o.name))!;
        c.func.body.terminator!.setOperand(0, op.result);
        c.func.resultTypes = [op.result.type];
        return simulate(c.func, sweep(c), { approximateTies: "up" })[0]!;
      };
      expect(Array.from(decisions(after).data)).toEqual(Array.from(decisions(before).data));
    });
  }

  it("PBS per sample: approximate rounding is free, exact rounding adds one PBS per removed bit", () => {
    const approx = compile(f.model, { calibration: f.calib, roundingThresholdBits: { bits: 8, method: "approximate" }, cryptoParameters: false });
    const exact = compile(f.model, { calibration: f.calib, roundingThresholdBits: { bits: 8, method: "exact" }, cryptoParameters: false });
    expect(approx.info().lookupsPerSample).toBe(13);
    const round = exact.func.body.ops.find((o) => o.name === "fhe.round")!;
    const removed = (elementOf(round.operands[0]!.type) as EncryptedIntType).width - (elementOf(round.result.type) as EncryptedIntType).width;
    expect(removed).toBeGreaterThan(0);
    expect(exact.info().lookupsPerSample).toBe(13 + 6 * removed);
  });
});
