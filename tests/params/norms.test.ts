// Norm (MANP) analysis on hand-written fhe functions.
import { describe, expect, it } from "vitest";
import type { FuncOp, Value } from "../../ir/core.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { verifyModule } from "../../ir/verifier.js";
import { analyzeNorms, type NormAnalysis, noiseBits } from "../../passes/params/norms.js";

function parseFunc(text: string): FuncOp {
  const r = parseModule(text, "norms.mlir", defaultRegistry);
  if (!r.module) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  const v = verifyModule(r.module, defaultRegistry);
  if (v.hasErrors()) throw new Error(v.diagnostics.map((d) => d.message).join("; "));
  return r.module.funcs[0]!;
}

/** The value defined by the op whose result is printed as `%name` (by op index). */
function resultOf(f: FuncOp, index: number): Value {
  return f.body.ops[index]!.result;
}

const table = (p: number) => `dense<[${Array.from({ length: 2 ** p }, (_, i) => i % 4).join(", ")}]> : tensor<${2 ** p}xi64>`;

function norm2(a: NormAnalysis, v: Value): number {
  return a.norms.get(v)!.norm2;
}

describe("norm analysis", () => {
  it("dot → table → mul → add, with outputs", () => {
    const f = parseFunc(`func.func @f(%x: tensor<3x!fhe.eint<5>>, %y: !fhe.eint<5>) -> (!fhe.eint<5>, !fhe.eint<5>) {
  %w = arith.constant {value = dense<[1, -2, 3]> : tensor<3xi4>} : () -> tensor<3xi4>
  %0 = fhe.dot_eint_int %x, %w : (tensor<3x!fhe.eint<5>>, tensor<3xi4>) -> !fhe.eint<5>
  %1 = fhe.apply_lookup_table %0 {table = ${table(5)}} : (!fhe.eint<5>) -> !fhe.eint<5>
  %c = arith.constant {value = dense<-3> : tensor<i3>} : () -> i3
  %2 = fhe.mul_eint_int %1, %c : (!fhe.eint<5>, i3) -> !fhe.eint<5>
  %3 = fhe.add_eint %2, %y : (!fhe.eint<5>, !fhe.eint<5>) -> !fhe.eint<5>
  %4 = fhe.neg_eint %3 : (!fhe.eint<5>) -> !fhe.eint<5>
  %5 = fhe.sub_eint %4, %0 : (!fhe.eint<5>, !fhe.eint<5>) -> !fhe.eint<5>
  return %5, %1 : !fhe.eint<5>, !fhe.eint<5>
}`);
    const a = analyzeNorms(f);
    expect(norm2(a, f.args[0]!)).toBe(1);
    expect(norm2(a, resultOf(f, 1))).toBe(1 + 4 + 9); // dot: Σ c²
    expect(norm2(a, resultOf(f, 2))).toBe(1); // table output
    expect(norm2(a, resultOf(f, 4))).toBe(9); // mul by −3
    expect(norm2(a, resultOf(f, 5))).toBe(10); // + fresh input
    expect(norm2(a, resultOf(f, 6))).toBe(10); // neg keeps
    expect(norm2(a, resultOf(f, 7))).toBe(24); // sub adds
    // The split between PBS outputs and fresh encryptions.
    expect(a.norms.get(resultOf(f, 7))).toEqual({ norm2: 24, pbsNorm2: 9, freshNorm2: 15 });
    expect(a.constraints.map((c) => [c.kind, c.precision, c.norm2, c.count])).toEqual([
      ["table", 5, 14, 1],
      ["output", 5, 24, 1],
      ["output", 5, 1, 1],
    ]);
    const t = a.constraints[0]!;
    expect(t.op).toBe("fhe.apply_lookup_table");
    expect(t.loc).toMatchObject({ kind: "file", file: "norms.mlir", line: 4 });
    expect(t.freshNorm2).toBe(14);
    expect(t.pbsNorm2).toBe(0);
    expect(a.pbsCount).toBe(1);
    expect(a.maxTableNorm2).toBe(14);
  });

  it("matmul takes the max over output elements; add_eint_int and sub_int_eint keep ν²", () => {
    const f = parseFunc(`func.func @f(%x: tensor<2x3x!fhe.eint<6>>) -> tensor<2x2x!fhe.eint<6>> {
  %w = arith.constant {value = dense<[[1, 0], [2, 1], [-2, 1]]> : tensor<3x2xi3>} : () -> tensor<3x2xi3>
  %0 = fhe.matmul_eint_int %x, %w : (tensor<2x3x!fhe.eint<6>>, tensor<3x2xi3>) -> tensor<2x2x!fhe.eint<6>>
  %b = arith.constant {value = dense<[5, -7]> : tensor<2xi4>} : () -> tensor<2xi4>
  %1 = fhe.add_eint_int %0, %b : (tensor<2x2x!fhe.eint<6>>, tensor<2xi4>) -> tensor<2x2x!fhe.eint<6>>
  %2 = fhe.sub_int_eint %b, %1 : (tensor<2xi4>, tensor<2x2x!fhe.eint<6>>) -> tensor<2x2x!fhe.eint<6>>
  %3 = fhe.apply_lookup_table %2 {table = ${table(6)}} : (tensor<2x2x!fhe.eint<6>>) -> tensor<2x2x!fhe.eint<6>>
  return %3 : tensor<2x2x!fhe.eint<6>>
}`);
    const a = analyzeNorms(f);
    // Columns: 1+4+4 = 9 and 0+1+1 = 2; the max is 9.
    expect(norm2(a, resultOf(f, 1))).toBe(9);
    expect(norm2(a, resultOf(f, 3))).toBe(9);
    expect(norm2(a, resultOf(f, 4))).toBe(9);
    expect(a.constraints.map((c) => [c.kind, c.precision, c.norm2, c.count])).toEqual([
      ["table", 6, 9, 4],
      ["output", 6, 1, 4],
    ]);
    expect(a.pbsCount).toBe(4);
  });

  it("clear-left matmul, sum and data movement (pad is noiseless, concat/slice/transpose/gather keep)", () => {
    const f = parseFunc(`func.func @f(%x: tensor<3x2x!fhe.eint<7>>) -> !fhe.eint<7> {
  %w = arith.constant {value = dense<[[1, 2, 0], [0, 0, 3]]> : tensor<2x3xi3>} : () -> tensor<2x3xi3>
  %0 = fhe.matmul_int_eint %w, %x : (tensor<2x3xi3>, tensor<3x2x!fhe.eint<7>>) -> tensor<2x2x!fhe.eint<7>>
  %1 = fhe.transpose %0 {perm = [1, 0]} : (tensor<2x2x!fhe.eint<7>>) -> tensor<2x2x!fhe.eint<7>>
  %2 = fhe.pad %1 {pads = [1, 0, 0, 0], value = 0} : (tensor<2x2x!fhe.eint<7>>) -> tensor<3x2x!fhe.eint<7>>
  %3 = fhe.slice %2 {starts = [0, 0], ends = [1, 2], steps = [1, 1]} : (tensor<3x2x!fhe.eint<7>>) -> tensor<1x2x!fhe.eint<7>>
  %4 = fhe.concat %3, %1 {axis = 0} : (tensor<1x2x!fhe.eint<7>>, tensor<2x2x!fhe.eint<7>>) -> tensor<3x2x!fhe.eint<7>>
  %5 = fhe.gather %4 {indices = dense<[0, 1]> : tensor<2xi64>, axis = 0} : (tensor<3x2x!fhe.eint<7>>) -> tensor<2x2x!fhe.eint<7>>
  %6 = fhe.reshape %5 : (tensor<2x2x!fhe.eint<7>>) -> tensor<4x!fhe.eint<7>>
  %7 = fhe.sum %6 {axes = [], keep_dims = false} : (tensor<4x!fhe.eint<7>>) -> !fhe.eint<7>
  return %7 : !fhe.eint<7>
}`);
    const a = analyzeNorms(f);
    // Rows of w²: [1, 4, 0] → 5, [0, 0, 9] → 9 (every input has ν² = 1).
    expect(norm2(a, resultOf(f, 1))).toBe(9);
    // %5 = rows 0 and 1 of [pad-row (0), transpose rows]: elements 0, 0, 5, 9 → sum 14.
    expect(norm2(a, resultOf(f, 8))).toBe(14);
    expect(norm2(a, resultOf(f, 3))).toBe(9); // pad row is 0, the rest kept
    expect(a.constraints).toHaveLength(1);
    expect(a.constraints[0]).toMatchObject({ kind: "output", precision: 7, norm2: 14, freshNorm2: 14, pbsNorm2: 0, count: 1 });
  });

  it("conv2d: Σ w² over the window, padding contributes nothing, bias is noiseless", () => {
    const f = parseFunc(`func.func @f(%x: tensor<1x1x3x3x!fhe.eint<6>>) -> tensor<1x1x3x3x!fhe.eint<6>> {
  %w = arith.constant {value = dense<[[[[1, 1], [2, 3]]]]> : tensor<1x1x2x2xi3>} : () -> tensor<1x1x2x2xi3>
  %b = arith.constant {value = dense<[3]> : tensor<1xi3>} : () -> tensor<1xi3>
  %0 = fhe.conv2d %x, %w, %b {strides = [1, 1], pads = [1, 1, 0, 0], dilations = [1, 1], group = 1} : (tensor<1x1x3x3x!fhe.eint<6>>, tensor<1x1x2x2xi3>, tensor<1xi3>) -> tensor<1x1x3x3x!fhe.eint<6>>
  return %0 : tensor<1x1x3x3x!fhe.eint<6>>
}`);
    const a = analyzeNorms(f);
    // Interior outputs see the full kernel: 1+1+4+9 = 15; the corner only w[1][1]: 9.
    expect(norm2(a, resultOf(f, 2))).toBe(15);
    expect(a.constraints[0]).toMatchObject({ kind: "output", norm2: 15, count: 9 });
  });

  it("non-constant clear weights are bounded by their type", () => {
    const f = parseFunc(`func.func @f(%x: !fhe.eint<8>, %c: i4) -> !fhe.eint<8> {
  %0 = fhe.mul_eint_int %x, %c : (!fhe.eint<8>, i4) -> !fhe.eint<8>
  return %0 : !fhe.eint<8>
}`);
    expect(analyzeNorms(f).constraints[0]!.norm2).toBe(64); // |c| ≤ 8
  });

  it("clear weights computed by unfolded arith ops are evaluated", () => {
    const f = parseFunc(`func.func @f(%x: tensor<2x!fhe.eint<8>>) -> !fhe.eint<8> {
  %a = arith.constant {value = dense<[1, 2]> : tensor<2xi4>} : () -> tensor<2xi4>
  %b = arith.constant {value = dense<[3, -1]> : tensor<2xi4>} : () -> tensor<2xi4>
  %w = arith.mul %a, %b : (tensor<2xi4>, tensor<2xi4>) -> tensor<2xi4>
  %t = fhe.transpose %w {perm = [0]} : (tensor<2xi4>) -> tensor<2xi4>
  %0 = fhe.dot_eint_int %x, %t : (tensor<2x!fhe.eint<8>>, tensor<2xi4>) -> !fhe.eint<8>
  return %0 : !fhe.eint<8>
}`);
    expect(analyzeNorms(f).constraints[0]!.norm2).toBe(9 + 4);
  });

  it("rounding: approximate keeps ν²; exact adds one constraint per removed bit", () => {
    const f = parseFunc(`func.func @f(%x: tensor<2x!fhe.eint<7>>) -> (tensor<2x!fhe.eint<4>>, tensor<2x!fhe.eint<3>>) {
  %w = arith.constant {value = dense<[2, 1]> : tensor<2xi3>} : () -> tensor<2xi3>
  %0 = fhe.mul_eint_int %x, %w : (tensor<2x!fhe.eint<7>>, tensor<2xi3>) -> tensor<2x!fhe.eint<7>>
  %1 = fhe.round %0 {method = "exact"} : (tensor<2x!fhe.eint<7>>) -> tensor<2x!fhe.eint<4>>
  %2 = fhe.round %0 {method = "approximate"} : (tensor<2x!fhe.eint<7>>) -> tensor<2x!fhe.eint<3>>
  %3 = fhe.apply_lookup_table %2 {table = ${table(3)}} : (tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.eint<3>>
  return %1, %3 : tensor<2x!fhe.eint<4>>, tensor<2x!fhe.eint<3>>
}`);
    const a = analyzeNorms(f);
    expect(norm2(a, resultOf(f, 1))).toBe(4);
    // exact: 3 removed bits, each read by a 1-bit PBS after ×2^(P−i) with a centred padding-bit
    // read (tolerance q/4), recorded as precision 1 with (4 + i)·4^(P−1−i).
    const bits = a.constraints.filter((c) => c.kind === "round-bit");
    expect(bits.map((c) => [c.precision, c.norm2, c.pbsNorm2, c.freshNorm2, c.count])).toEqual([
      [1, 4 * 4 ** 6, 0, 4 * 4 ** 6, 2],
      [1, 5 * 4 ** 5, 1 * 4 ** 5, 4 * 4 ** 5, 2],
      [1, 6 * 4 ** 4, 2 * 4 ** 4, 4 * 4 ** 4, 2],
    ]);
    expect(bits[0]!.op).toBe("fhe.round");
    // The exactly-rounded result carries the 3 subtracted bit ciphertexts.
    expect(a.norms.get(resultOf(f, 2))).toEqual({ norm2: 7, pbsNorm2: 3, freshNorm2: 4 });
    // approximate: free, ν² kept; the table reads 3 bits.
    expect(norm2(a, resultOf(f, 3))).toBe(4);
    expect(a.constraints.find((c) => c.kind === "table")).toMatchObject({ precision: 3, norm2: 4, count: 2 });
    expect(a.constraints.filter((c) => c.kind === "output").map((c) => [c.precision, c.norm2])).toEqual([
      [4, 7],
      [3, 1],
    ]);
    expect(a.pbsCount).toBe(2 * 3 + 2);
  });

  it("signed values, casts and mapped tables", () => {
    const f = parseFunc(`func.func @f(%x: tensor<2x!fhe.esint<2>>) -> tensor<2x!fhe.eint<2>> {
  %0 = fhe.add_eint %x, %x : (tensor<2x!fhe.esint<2>>, tensor<2x!fhe.esint<2>>) -> tensor<2x!fhe.esint<2>>
  %1 = fhe.to_unsigned %0 : (tensor<2x!fhe.esint<2>>) -> tensor<2x!fhe.eint<2>>
  %2 = fhe.apply_mapped_lookup_table %1 {tables = dense<[[0, 1, 2, 3], [3, 2, 1, 0]]> : tensor<2x4xi64>, map = dense<[0, 1]> : tensor<2xi64>} : (tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<2>>
  return %2 : tensor<2x!fhe.eint<2>>
}`);
    const a = analyzeNorms(f);
    // x + x counts the same input twice in ν² (MANP: ν_a² + ν_b²), a sound bound here.
    expect(norm2(a, resultOf(f, 0))).toBe(2);
    // The sign cast is lowered to a table lookup (the padding bit changes): a constraint, ν² = 1 after.
    expect(norm2(a, resultOf(f, 1))).toBe(1);
    expect(a.constraints.map((c) => [c.kind, c.op, c.precision, c.norm2])).toEqual([
      ["table", "fhe.to_unsigned", 2, 2],
      ["table", "fhe.apply_mapped_lookup_table", 2, 1],
      ["output", "func.return", 2, 1],
    ]);
    expect(a.pbsCount).toBe(4);
  });
});

describe("read noise bound of a window", () => {
  const windowed = (shift: number) =>
    parseFunc(`func.func @f(%x: tensor<4x!fhe.esint<8>>) -> tensor<4x!fhe.eint<4>> {
  %0 = fhe.rescale %x {offset = dense<0> : tensor<1xi64>, shift = dense<${shift}> : tensor<1xi64>} : (tensor<4x!fhe.esint<8>>) -> tensor<4x!fhe.eint<3>>
  %1 = fhe.apply_lookup_table %0 {table = ${table(3)}} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.eint<4>>
  return %1 : tensor<4x!fhe.eint<4>>
}`);
  const tableConstraint = (f: FuncOp) => analyzeNorms(f).constraints.find((c) => c.kind === "table")!;

  it("a window that rounds (shift > 0) may read one step off near its ties: its noise resolves one bit less", () => {
    expect(noiseBits(tableConstraint(windowed(2)))).toBe(2);
  });

  it("a window that removes no bits (shift 0: a tree's path sums) reads exact integers: its noise resolves every bit, so FHE equals the clear circuit at p_error", () => {
    expect(noiseBits(tableConstraint(windowed(0)))).toBe(3);
  });
});
