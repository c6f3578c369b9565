// Comparisons of one selected feature share their exact-rounding chain when their offsets are
// congruent modulo 2^k (k the bits the round removes): the round then has one element per class,
// a gather repeats it, and the decisions stay those of the original tables for every input code.
import { describe, expect, it } from "vitest";
import { simulate } from "../../backends/clear/index.js";
import type { FuncOp } from "../../ir/core.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../../ir/types.js";
import { lowerComparisons } from "../../passes/comparisons.js";
import { loadFixture } from "../helpers/fixtures.js";
import { compile } from "../../compiler/compile.js";

/** Two features with codes 0..15; feature 0 compared at `j0` and `j1`, feature 1 at 6 (5-bit tables). */
function decisions(j0: number, j1: number): FuncOp {
  const step = (j: number) => Array.from({ length: 32 }, (_, i) => (i < 16 && i >= j ? 1 : 0));
  const text = `module {
  func.func @main(%x: tensor<1x2x!fhe.esint<5>>) -> tensor<1x3x!fhe.eint<2>> attributes {fhec.arg_ranges = [[0, 15]]} {
    %w = arith.constant {value = dense<[[1, 1, 0], [0, 0, 1]]> : tensor<2x3xi2>} : () -> tensor<2x3xi2>
    %s = fhe.matmul_eint_int %x, %w : (tensor<1x2x!fhe.esint<5>>, tensor<2x3xi2>) -> tensor<1x3x!fhe.esint<5>>
    %d = fhe.apply_mapped_lookup_table %s {tables = dense<[[${step(j0)}], [${step(j1)}], [${step(6)}]]> : tensor<3x32xi64>, map = dense<[[0, 1, 2]]> : tensor<1x3xi64>} : (tensor<1x3x!fhe.esint<5>>) -> tensor<1x3x!fhe.eint<2>>
    return %d : tensor<1x3x!fhe.eint<2>>
  }
}`;
  const r = parseModule(text, "decisions.mlir", defaultRegistry);
  expect(r.diagnostics).toEqual([]);
  return r.module!.funcs[0]!;
}

/** Every pair of codes (x0, x1) in 0..15. */
function allCodes() {
  const data: number[] = [];
  for (let a = 0; a < 16; a++) for (let b = 0; b < 16; b++) data.push(a, b);
  return [{ batch: 256, shape: [1, 2], data: Float64Array.from(data) }];
}

const roundElements = (func: FuncOp): number[] =>
  func.body.ops.filter((op) => op.name === "fhe.round").map((op) => (shapeOf(op.result.type) as number[]).reduce((a, b) => a * b, 1));

function lowered(j0: number, j1: number): { func: FuncOp; before: number[]; after: number[] } {
  const func = decisions(j0, j1);
  const before = Array.from(simulate(func, allCodes())[0]!.data);
  lowerComparisons(func, "exact");
  return { func, before, after: Array.from(simulate(func, allCodes())[0]!.data) };
}

describe("shared exact-rounding chains", () => {
  it("thresholds 2^k codes apart on one feature: one chain for both, same decisions for every code", () => {
    const { func, before, after } = lowered(3, 11);
    const round = func.body.ops.find((op) => op.name === "fhe.round")!;
    const k = (elementOf(round.operands[0]!.type) as EncryptedIntType).width - (elementOf(round.result.type) as EncryptedIntType).width;
    expect(k).toBe(3);
    expect(roundElements(func)).toEqual([2]);
    expect(func.body.ops.filter((op) => op.name === "fhe.gather")).toHaveLength(1);
    expect(after).toEqual(before);
  });

  it("a repeated threshold shares its chain (δ = 0)", () => {
    const { func, before, after } = lowered(5, 5);
    expect(roundElements(func)).toEqual([2]);
    expect(after).toEqual(before);
  });

  it("thresholds not congruent mod 2^k keep one chain each", () => {
    const { func, before, after } = lowered(3, 10);
    expect(roundElements(func)).toEqual([3]);
    expect(func.body.ops.some((op) => op.name === "fhe.gather")).toBe(false);
    expect(after).toEqual(before);
  });
});

describe("gemm_tree at default options", () => {
  it("petal width's thresholds 8 codes apart share a chain: 5 chains for 6 comparisons, 28 PBS", () => {
    const f = loadFixture("gemm_tree");
    const c = compile(f.model, { calibration: f.calib, cryptoParameters: false });
    expect(roundElements(c.func)).toEqual([5]);
    expect(c.info().lookupsPerSample).toBe(28);
  });
});
