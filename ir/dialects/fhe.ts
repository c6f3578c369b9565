// `fhe` dialect: integer semantics on encrypted values (and clear weights). Elementwise ops take
// scalars or tensors (numpy broadcasting); all encrypted operands of an op share one precision.
import { asInts, type DenseAttr } from "../attributes.js";
import {
  anyTensor,
  clearInt,
  clearIntTensor,
  dimsToString,
  encrypted,
  encryptedTensor,
  sameElementType,
  verifyBroadcastResult,
  verifySameEncryptedType,
  checkAll,
} from "../constraints.js";
import { conv2dOutputShape } from "../conv_geometry.js";
import type { Operation } from "../core.js";
import { defineOp, type FoldResult, type OpDef, type OpExamples, type VerifyReporter } from "../opdef.js";
import * as nd from "../tensor.js";
import { elementOf, intRange, numElements, shapeOf, type EncryptedIntType, type Type, typeToString } from "../types.js";
import { arrayToDense, denseToArray } from "./arith.js";
import { isPermutation, matmulShape, reduceShape, sliceShape } from "./shape_rules.js";

const E = (p: number) => `!fhe.eint<${p}>`;

function staticShape(t: Type): number[] {
  return shapeOf(t) as number[];
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function expectShape(op: Operation, expected: readonly number[], report: VerifyReporter): void {
  const got = shapeOf(op.result.type);
  if (!sameShape(got, expected)) report(`result shape ${dimsToString(got)} should be ${dimsToString(expected)}`);
}


/** `x + 0`, `x * 1`, … → x when the clear operand is a constant splat of `neutral`. */
function foldNeutral(clearIndex: number, encIndex: number, neutral: number) {
  return (op: Operation, constants: readonly (DenseAttr | undefined)[]): FoldResult | undefined => {
    const c = constants[clearIndex];
    const x = op.operands[encIndex]!;
    if (!c || !c.data.every((v) => v === neutral)) return undefined;
    if (!sameShape(shapeOf(x.type), shapeOf(op.result.type))) return undefined;
    if (typeToString(x.type) !== typeToString(op.result.type)) return undefined;
    return { kind: "values", values: [x] };
  };
}

function elementwise(def: {
  name: string;
  summary: string;
  lhs: "enc" | "clear";
  rhs?: "enc" | "clear";
  commutative?: boolean;
  fold?: OpDef["fold"];
  examples: OpExamples;
}): OpDef {
  const c = (k: "enc" | "clear") => (k === "enc" ? encrypted : clearInt);
  return defineOp({
    name: def.name,
    summary: def.summary,
    operands: def.rhs ? [{ name: "lhs", type: c(def.lhs) }, { name: "rhs", type: c(def.rhs) }] : [{ name: "operand", type: c(def.lhs) }],
    results: [{ name: "result", type: encrypted }],
    traits: def.commutative ? ["pure", "elementwise", "commutative"] : ["pure", "elementwise"],
    verify: checkAll(verifySameEncryptedType, verifyBroadcastResult),
    ...(def.fold ? { fold: def.fold } : {}),
    examples: def.examples,
  });
}

const precisionError = (name: string, operands: string, types: string) => ({
  text: `func.func @bad(%a: ${E(3)}, %b: ${E(4)}) -> ${E(4)} {
  %0 = ${name} ${operands} : (${types}) -> ${E(4)}
  return %0 : ${E(4)}
}`,
  message: "encrypted operands and results must share one precision, got !fhe.eint<3> and !fhe.eint<4>",
});

export const addEint = elementwise({
  name: "fhe.add_eint",
  summary: "Adds two encrypted values (no bootstrap; noise adds up).",
  lhs: "enc",
  rhs: "enc",
  commutative: true,
  examples: {
    ok: `func.func @add(%a: tensor<2x3x${E(4)}>, %b: tensor<3x${E(4)}>) -> tensor<2x3x${E(4)}> {
  %0 = fhe.add_eint %a, %b : (tensor<2x3x${E(4)}>, tensor<3x${E(4)}>) -> tensor<2x3x${E(4)}>
  return %0 : tensor<2x3x${E(4)}>
}`,
    error: precisionError("fhe.add_eint", "%a, %b", `${E(3)}, ${E(4)}`),
  },
});

export const addEintInt = elementwise({
  name: "fhe.add_eint_int",
  summary: "Adds a clear integer to an encrypted value.",
  lhs: "enc",
  rhs: "clear",
  fold: foldNeutral(1, 0, 0),
  examples: {
    ok: `func.func @add_int(%a: tensor<4x${E(5)}>, %c: tensor<4xi6>) -> tensor<4x${E(5)}> {
  %0 = fhe.add_eint_int %a, %c : (tensor<4x${E(5)}>, tensor<4xi6>) -> tensor<4x${E(5)}>
  return %0 : tensor<4x${E(5)}>
}`,
    error: {
      text: `func.func @add_int(%a: tensor<4x${E(5)}>, %c: tensor<3xi6>) -> tensor<4x${E(5)}> {
  %0 = fhe.add_eint_int %a, %c : (tensor<4x${E(5)}>, tensor<3xi6>) -> tensor<4x${E(5)}>
  return %0 : tensor<4x${E(5)}>
}`,
      message: "operand shapes [4] and [3] do not broadcast",
    },
  },
});

export const subEint = elementwise({
  name: "fhe.sub_eint",
  summary: "Subtracts two encrypted values.",
  lhs: "enc",
  rhs: "enc",
  examples: {
    ok: `func.func @sub(%a: !fhe.esint<4>, %b: !fhe.esint<4>) -> !fhe.esint<4> {
  %0 = fhe.sub_eint %a, %b : (!fhe.esint<4>, !fhe.esint<4>) -> !fhe.esint<4>
  return %0 : !fhe.esint<4>
}`,
    error: precisionError("fhe.sub_eint", "%a, %b", `${E(3)}, ${E(4)}`),
  },
});

export const subEintInt = elementwise({
  name: "fhe.sub_eint_int",
  summary: "Subtracts a clear integer from an encrypted value.",
  lhs: "enc",
  rhs: "clear",
  fold: foldNeutral(1, 0, 0),
  examples: {
    ok: `func.func @sub_int(%a: ${E(4)}, %c: i5) -> ${E(4)} {
  %0 = fhe.sub_eint_int %a, %c : (${E(4)}, i5) -> ${E(4)}
  return %0 : ${E(4)}
}`,
    error: {
      text: `func.func @sub_int(%a: ${E(4)}, %c: ${E(4)}) -> ${E(4)} {
  %0 = fhe.sub_eint_int %a, %c : (${E(4)}, ${E(4)}) -> ${E(4)}
  return %0 : ${E(4)}
}`,
      message: "operand #1 'rhs' must be a clear integer or tensor of them, got !fhe.eint<4>",
    },
  },
});

export const subIntEint = elementwise({
  name: "fhe.sub_int_eint",
  summary: "Subtracts an encrypted value from a clear integer.",
  lhs: "clear",
  rhs: "enc",
  examples: {
    ok: `func.func @rsub(%c: i5, %a: ${E(4)}) -> ${E(4)} {
  %0 = fhe.sub_int_eint %c, %a : (i5, ${E(4)}) -> ${E(4)}
  return %0 : ${E(4)}
}`,
    error: {
      text: `func.func @rsub(%c: i5, %a: ${E(4)}) -> i5 {
  %0 = fhe.sub_int_eint %c, %a : (i5, ${E(4)}) -> i5
  return %0 : i5
}`,
      message: "result #0 'result' must be an encrypted integer or tensor of them, got i5",
    },
  },
});

export const mulEintInt = elementwise({
  name: "fhe.mul_eint_int",
  summary: "Multiplies an encrypted value by a clear integer.",
  lhs: "enc",
  rhs: "clear",
  fold: foldNeutral(1, 0, 1),
  examples: {
    ok: `func.func @mul(%a: tensor<3x${E(6)}>, %c: tensor<3xi3>) -> tensor<3x${E(6)}> {
  %0 = fhe.mul_eint_int %a, %c : (tensor<3x${E(6)}>, tensor<3xi3>) -> tensor<3x${E(6)}>
  return %0 : tensor<3x${E(6)}>
}`,
    error: {
      text: `func.func @mul(%a: tensor<3x${E(6)}>, %c: tensor<3xi3>) -> tensor<3x${E(7)}> {
  %0 = fhe.mul_eint_int %a, %c : (tensor<3x${E(6)}>, tensor<3xi3>) -> tensor<3x${E(7)}>
  return %0 : tensor<3x${E(7)}>
}`,
      message: "encrypted operands and results must share one precision, got !fhe.eint<6> and !fhe.eint<7>",
    },
  },
});

export const negEint = elementwise({
  name: "fhe.neg_eint",
  summary: "Negates an encrypted value (a result outside the type is an overflow).",
  lhs: "enc",
  examples: {
    ok: `func.func @neg(%a: !fhe.esint<5>) -> !fhe.esint<5> {
  %0 = fhe.neg_eint %a : (!fhe.esint<5>) -> !fhe.esint<5>
  return %0 : !fhe.esint<5>
}`,
    error: {
      text: `func.func @neg(%a: !fhe.esint<5>, %b: !fhe.esint<5>) -> !fhe.esint<5> {
  %0 = fhe.neg_eint %a, %b : (!fhe.esint<5>, !fhe.esint<5>) -> !fhe.esint<5>
  return %0 : !fhe.esint<5>
}`,
      message: "expects 1 operand, got 2",
    },
  },
});

export const dotEintInt = defineOp({
  name: "fhe.dot_eint_int",
  summary: "Dot product of an encrypted vector with a clear integer vector.",
  operands: [
    { name: "lhs", type: encryptedTensor },
    { name: "rhs", type: clearIntTensor },
  ],
  results: [{ name: "result", type: encrypted }],
  traits: ["pure"],
  verify: checkAll(verifySameEncryptedType, (op, report) => {
    const a = shapeOf(op.operands[0]!.type);
    const b = shapeOf(op.operands[1]!.type);
    if (a.length !== 1 || b.length !== 1 || a[0] !== b[0]) report(`operands must be vectors of one length, got ${dimsToString(a)} and ${dimsToString(b)}`);
    else if (shapeOf(op.result.type).length !== 0) report("result must be a scalar");
  }),
  examples: {
    ok: `func.func @dot(%a: tensor<4x${E(7)}>, %w: tensor<4xi4>) -> ${E(7)} {
  %0 = fhe.dot_eint_int %a, %w : (tensor<4x${E(7)}>, tensor<4xi4>) -> ${E(7)}
  return %0 : ${E(7)}
}`,
    error: {
      text: `func.func @dot(%a: tensor<4x${E(7)}>, %w: tensor<5xi4>) -> ${E(7)} {
  %0 = fhe.dot_eint_int %a, %w : (tensor<4x${E(7)}>, tensor<5xi4>) -> ${E(7)}
  return %0 : ${E(7)}
}`,
      message: "operands must be vectors of one length, got [4] and [5]",
    },
  },
});

function matmulDef(name: string, encLeft: boolean): OpDef {
  const lhsT = encLeft ? `tensor<2x3x${E(8)}>` : "tensor<2x3xi4>";
  const rhsT = encLeft ? "tensor<3x5xi4>" : `tensor<3x5x${E(8)}>`;
  const badRhsT = encLeft ? "tensor<4x5xi4>" : `tensor<4x5x${E(8)}>`;
  return defineOp({
    name,
    summary: encLeft
      ? "Matrix product of encrypted [..., M, K] with clear [..., K, N] (batch dims broadcast)."
      : "Matrix product of clear [..., M, K] with encrypted [..., K, N] (batch dims broadcast).",
    operands: encLeft
      ? [{ name: "lhs", type: encryptedTensor }, { name: "rhs", type: clearIntTensor }]
      : [{ name: "lhs", type: clearIntTensor }, { name: "rhs", type: encryptedTensor }],
    results: [{ name: "result", type: encryptedTensor }],
    traits: ["pure"],
    verify: checkAll(verifySameEncryptedType, (op, report) => {
      const a = staticShape(op.operands[0]!.type);
      const b = staticShape(op.operands[1]!.type);
      const out = matmulShape(a, b);
      if (!out) report(`cannot multiply shapes ${dimsToString(a)} and ${dimsToString(b)}`);
      else expectShape(op, out, report);
    }),
    examples: {
      ok: `func.func @mm(%a: ${lhsT}, %b: ${rhsT}) -> tensor<2x5x${E(8)}> {
  %0 = ${name} %a, %b : (${lhsT}, ${rhsT}) -> tensor<2x5x${E(8)}>
  return %0 : tensor<2x5x${E(8)}>
}`,
      error: {
        text: `func.func @mm(%a: ${lhsT}, %b: ${badRhsT}) -> tensor<2x5x${E(8)}> {
  %0 = ${name} %a, %b : (${lhsT}, ${badRhsT}) -> tensor<2x5x${E(8)}>
  return %0 : tensor<2x5x${E(8)}>
}`,
        message: "cannot multiply shapes [2, 3] and [4, 5]",
      },
    },
  });
}

export const matmulEintInt = matmulDef("fhe.matmul_eint_int", true);
export const matmulIntEint = matmulDef("fhe.matmul_int_eint", false);

export const conv2d = defineOp({
  name: "fhe.conv2d",
  summary: "2-D convolution (NCHW) of encrypted input with a clear kernel [F, C/group, KH, KW] and optional clear bias [F].",
  operands: [
    { name: "input", type: encryptedTensor },
    { name: "weight", type: clearIntTensor },
    { name: "bias", type: clearIntTensor, arity: "optional" },
  ],
  results: [{ name: "result", type: encryptedTensor }],
  attributes: {
    strides: { kind: "ints", doc: "[sh, sw]" },
    pads: { kind: "ints", doc: "[top, left, bottom, right]" },
    dilations: { kind: "ints", doc: "[dh, dw]" },
    group: { kind: "int", doc: "number of groups" },
  },
  traits: ["pure"],
  verify: checkAll(verifySameEncryptedType, (op, report) => {
    const x = staticShape(op.operands[0]!.type);
    const w = staticShape(op.operands[1]!.type);
    const strides = asInts(op.attr("strides"))!;
    const pads = asInts(op.attr("pads"))!;
    const dil = asInts(op.attr("dilations"))!;
    const group = (op.attr("group") as { value: number }).value;
    if (x.length !== 4 || w.length !== 4) return report(`input and weight must be 4-D, got ${dimsToString(x)} and ${dimsToString(w)}`);
    if (strides.length !== 2 || dil.length !== 2 || pads.length !== 4) return report("strides and dilations need 2 values, pads 4");
    if (group < 1 || x[1]! % group !== 0 || w[0]! % group !== 0) return report(`group ${group} must divide input channels ${x[1]} and filters ${w[0]}`);
    if (w[1]! * group !== x[1]) return report(`weight has ${w[1]} channels per group, input has ${x[1]} channels in ${group} group(s)`);
    if (op.operands[2]) {
      const b = staticShape(op.operands[2].type);
      if (b.length !== 1 || b[0] !== w[0]) return report(`bias shape ${dimsToString(b)} should be [${w[0]}]`);
    }
    const out = conv2dOutputShape(x, w, { strides, pads, dilations: dil, group });
    if (out[2]! < 1 || out[3]! < 1) return report(`kernel larger than padded input (output ${out[2]}x${out[3]})`);
    expectShape(op, out, report);
  }),
  examples: {
    ok: `func.func @conv(%x: tensor<1x2x5x5x${E(6)}>, %w: tensor<4x2x3x3xi3>, %b: tensor<4xi8>) -> tensor<1x4x3x3x${E(6)}> {
  %0 = fhe.conv2d %x, %w, %b {strides = [2, 2], pads = [1, 1, 1, 1], dilations = [1, 1], group = 1} : (tensor<1x2x5x5x${E(6)}>, tensor<4x2x3x3xi3>, tensor<4xi8>) -> tensor<1x4x3x3x${E(6)}>
  return %0 : tensor<1x4x3x3x${E(6)}>
}`,
    error: {
      text: `func.func @conv(%x: tensor<1x2x5x5x${E(6)}>, %w: tensor<4x2x3x3xi3>) -> tensor<1x4x5x5x${E(6)}> {
  %0 = fhe.conv2d %x, %w {strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 1} : (tensor<1x2x5x5x${E(6)}>, tensor<4x2x3x3xi3>) -> tensor<1x4x5x5x${E(6)}>
  return %0 : tensor<1x4x5x5x${E(6)}>
}`,
      message: "result shape [1, 4, 5, 5] should be [1, 4, 3, 3]",
    },
  },
});

export const sum = defineOp({
  name: "fhe.sum",
  summary: "Sums encrypted elements over `axes` (all axes when empty).",
  operands: [{ name: "operand", type: encryptedTensor }],
  results: [{ name: "result", type: encrypted }],
  attributes: {
    axes: { kind: "ints", doc: "axes to reduce; [] means all" },
    keep_dims: { kind: "bool", doc: "keep reduced axes with size 1" },
  },
  traits: ["pure"],
  verify: checkAll(verifySameEncryptedType, (op, report) => {
    const x = staticShape(op.operands[0]!.type);
    const axes0 = asInts(op.attr("axes"))!;
    const bad = axes0.find((a) => a < -x.length || a >= x.length);
    if (bad !== undefined) return report(`axis ${bad} out of range for rank ${x.length}`);
    const axes = axes0.length === 0 ? x.map((_, i) => i) : axes0;
    const keep = (op.attr("keep_dims") as { value: boolean }).value;
    expectShape(op, reduceShape(x, axes, keep), report);
  }),
  examples: {
    ok: `func.func @sum(%x: tensor<2x3x${E(7)}>) -> tensor<2x${E(7)}> {
  %0 = fhe.sum %x {axes = [1], keep_dims = false} : (tensor<2x3x${E(7)}>) -> tensor<2x${E(7)}>
  return %0 : tensor<2x${E(7)}>
}`,
    error: {
      text: `func.func @sum(%x: tensor<2x3x${E(7)}>) -> tensor<2x${E(7)}> {
  %0 = fhe.sum %x {axes = [2], keep_dims = false} : (tensor<2x3x${E(7)}>) -> tensor<2x${E(7)}>
  return %0 : tensor<2x${E(7)}>
}`,
      message: "axis 2 out of range for rank 2",
    },
  },
});

/** Table index of an encrypted value: its bit pattern modulo 2^p (two's complement for signed). */
export function tableIndex(value: number, width: number): number {
  const m = 2 ** width;
  return ((value % m) + m) % m;
}

function verifyTableValues(table: DenseAttr, result: Type, report: VerifyReporter): boolean {
  const e = elementOf(result) as EncryptedIntType;
  const { min, max } = intRange(e.width, e.signed);
  const bad = table.data.find((v) => !Number.isInteger(v) || v < min || v > max);
  if (bad !== undefined) {
    report(`table value ${bad} does not fit the result type ${typeToString(e)}`);
    return false;
  }
  return true;
}

export const applyLookupTable = defineOp({
  name: "fhe.apply_lookup_table",
  summary: "Applies a table of 2^p clear integers to each encrypted p-bit element (one PBS each).",
  description: "Signed inputs index the table by their p-bit two's-complement pattern.",
  operands: [{ name: "input", type: encrypted }],
  results: [{ name: "result", type: encrypted }],
  attributes: { table: { kind: "dense", doc: "1-D table of exactly 2^p integers" } },
  traits: ["pure", "tableLookup"],
  verify: (op, report) => {
    const inE = elementOf(op.operands[0]!.type) as EncryptedIntType;
    const table = op.attr("table") as DenseAttr;
    const expected = 2 ** inE.width;
    if (table.type.shape.length !== 1 || table.type.shape[0] !== expected) {
      return report(`table must have exactly 2^${inE.width} = ${expected} entries for ${typeToString(inE)}, got shape ${dimsToString(table.type.shape)}`);
    }
    if (!sameShape(shapeOf(op.operands[0]!.type), shapeOf(op.result.type))) {
      return report(`result shape ${dimsToString(shapeOf(op.result.type))} should equal input shape ${dimsToString(shapeOf(op.operands[0]!.type))}`);
    }
    verifyTableValues(table, op.result.type, report);
  },
  examples: {
    ok: `func.func @tlu(%x: tensor<3x${E(2)}>) -> tensor<3x${E(3)}> {
  %0 = fhe.apply_lookup_table %x {table = dense<[0, 1, 4, 7]> : tensor<4xi64>} : (tensor<3x${E(2)}>) -> tensor<3x${E(3)}>
  return %0 : tensor<3x${E(3)}>
}`,
    error: {
      text: `func.func @tlu(%x: ${E(2)}) -> ${E(3)} {
  %0 = fhe.apply_lookup_table %x {table = dense<[0, 1, 4]> : tensor<3xi64>} : (${E(2)}) -> ${E(3)}
  return %0 : ${E(3)}
}`,
      message: "table must have exactly 2^2 = 4 entries for !fhe.eint<2>, got shape [3]",
    },
  },
});

export const applyMappedLookupTable = defineOp({
  name: "fhe.apply_mapped_lookup_table",
  summary: "Applies one of several tables to each element, chosen by a clear map (per-channel tables).",
  operands: [{ name: "input", type: encryptedTensor }],
  results: [{ name: "result", type: encryptedTensor }],
  attributes: {
    tables: { kind: "dense", doc: "[T, 2^p] tables" },
    map: { kind: "dense", doc: "table index per input element (input's shape)" },
  },
  traits: ["pure", "tableLookup"],
  verify: (op, report) => {
    const inT = op.operands[0]!.type;
    const inE = elementOf(inT) as EncryptedIntType;
    const tables = op.attr("tables") as DenseAttr;
    const map = op.attr("map") as DenseAttr;
    const size = 2 ** inE.width;
    if (tables.type.shape.length !== 2 || tables.type.shape[1] !== size) {
      return report(`tables must have shape [T, ${size}] for ${typeToString(inE)}, got ${dimsToString(tables.type.shape)}`);
    }
    if (!sameShape(map.type.shape, shapeOf(inT))) return report(`map shape ${dimsToString(map.type.shape)} should equal input shape ${dimsToString(shapeOf(inT))}`);
    const t = tables.type.shape[0]!;
    const bad = map.data.find((v) => !Number.isInteger(v) || v < 0 || v >= t);
    if (bad !== undefined) return report(`map entry ${bad} is not a table index in [0, ${t})`);
    if (!sameShape(shapeOf(inT), shapeOf(op.result.type))) return report("result shape should equal input shape");
    verifyTableValues(tables, op.result.type, report);
  },
  examples: {
    ok: `func.func @mapped(%x: tensor<2x${E(1)}>) -> tensor<2x${E(2)}> {
  %0 = fhe.apply_mapped_lookup_table %x {tables = dense<[[0, 1], [3, 2]]> : tensor<2x2xi64>, map = dense<[0, 1]> : tensor<2xi64>} : (tensor<2x${E(1)}>) -> tensor<2x${E(2)}>
  return %0 : tensor<2x${E(2)}>
}`,
    error: {
      text: `func.func @mapped(%x: tensor<2x${E(1)}>) -> tensor<2x${E(2)}> {
  %0 = fhe.apply_mapped_lookup_table %x {tables = dense<[[0, 1], [3, 2]]> : tensor<2x2xi64>, map = dense<[0, 2]> : tensor<2xi64>} : (tensor<2x${E(1)}>) -> tensor<2x${E(2)}>
  return %0 : tensor<2x${E(2)}>
}`,
      message: "map entry 2 is not a table index in [0, 2)",
    },
  },
});

/**
 * Attribute of an exact `fhe.round` from p to q bits: the bits d its last extraction step removes,
 * read together with the q kept bits as one (d + q)-bit table whose output is the rounded value;
 * the p − q − d bits below go one 1-bit step each. Absent: 1 (every bit its own 1-bit step).
 */
export const ROUND_LAST_STEP_ATTR = "last_step_bits";

/** Whether an exact `fhe.round` ends with a wide step: its result is that table's PBS output. */
export function roundEndsWithTable(op: Operation): boolean {
  const a = op.attr(ROUND_LAST_STEP_ATTR);
  return op.name === "fhe.round" && a?.kind === "int" && a.value > 1;
}

/** The extraction steps of an exact `fhe.round` (bits removed by each, lowest first): 1, …, 1, last_step_bits. */
export function roundDigits(op: Operation): number[] {
  const a = op.attr(ROUND_LAST_STEP_ATTR);
  const last = a?.kind === "int" ? a.value : 1;
  const k = (elementOf(op.operands[0]!.type) as EncryptedIntType).width - (elementOf(op.result.type) as EncryptedIntType).width;
  return [...Array.from({ length: k - last }, () => 1), last];
}

export const round = defineOp({
  name: "fhe.round",
  summary: "Keeps the top q bits of a p-bit value: round(x / 2^(p-q)), ties up.",
  description:
    "`exact` costs one small PBS per extraction step (one per removed bit, or, with `last_step_bits` = d, " +
    "one per bit below the top d and one (d + q)-bit table for the rest); `approximate` costs none and may be off by one " +
    "(it returns floor or ceil of x / 2^(p-q)), see passes/rounding.",
  operands: [{ name: "input", type: encrypted }],
  results: [{ name: "result", type: encrypted }],
  attributes: {
    method: { kind: "string", doc: '"exact" or "approximate"' },
    last_step_bits: { kind: "int", optional: true, doc: "exact rounding: bits d the last extraction step removes with one (d + q)-bit table (absent: 1)" },
  },
  traits: ["pure"],
  verify: (op, report) => {
    const a = elementOf(op.operands[0]!.type) as EncryptedIntType;
    const r = elementOf(op.result.type) as EncryptedIntType;
    const method = (op.attr("method") as { value: string }).value;
    if (method !== "exact" && method !== "approximate") return report(`method must be "exact" or "approximate", got "${method}"`);
    if (r.width >= a.width) return report(`result precision ${r.width} must be below input precision ${a.width}`);
    if (r.signed !== a.signed) return report("rounding keeps signedness");
    const last = op.attr(ROUND_LAST_STEP_ATTR);
    if (last !== undefined) {
      if (method !== "exact") return report("only exact rounding has extraction steps");
      if (last.kind !== "int" || last.value < 1 || last.value > a.width - r.width) return report(`last_step_bits must be an integer in [1, ${a.width - r.width}] (the removed bits)`);
    }
    if (!sameShape(shapeOf(op.operands[0]!.type), shapeOf(op.result.type))) report("result shape should equal input shape");
  },
  examples: {
    ok: `func.func @round(%x: tensor<4x${E(8)}>) -> tensor<4x${E(5)}> {
  %0 = fhe.round %x {method = "exact"} : (tensor<4x${E(8)}>) -> tensor<4x${E(5)}>
  return %0 : tensor<4x${E(5)}>
}`,
    error: {
      text: `func.func @round(%x: ${E(4)}) -> ${E(5)} {
  %0 = fhe.round %x {method = "exact"} : (${E(4)}) -> ${E(5)}
  return %0 : ${E(5)}
}`,
      message: "result precision 5 must be below input precision 4",
    },
  },
});

/** Element count of a window attribute: 1 (shared by every element) or one per element. */
function windowAttrOk(a: DenseAttr, elements: number): boolean {
  return a.data.length === 1 || a.data.length === elements;
}

export const rescale = defineOp({
  name: "fhe.rescale",
  summary: "Reads a window of a value: r = round((x - offset) / 2^shift), an unsigned q-bit table index.",
  description:
    "The window [offset - 2^(shift-1), offset + 2^(q+shift) - 2^(shift-1)) is chosen from calibration data " +
    "(passes/rounding, data mode). `offset` and `shift` hold one entry, or one per element. Rounding is " +
    "approximate (as `fhe.round`). A value outside the window is read modulo 2^(q+1), as the TFHE torus " +
    "does, and a table then reads it negacyclically: index r in [2^q, 2^(q+1)) reads -T[r - 2^q]. " +
    "Only table lookups may read the result.",
  operands: [{ name: "input", type: encrypted }],
  results: [{ name: "result", type: encrypted }],
  attributes: {
    offset: { kind: "dense", doc: "integer offset subtracted first (one entry, or one per element)" },
    shift: { kind: "dense", doc: "bits removed, >= 0 (one entry, or one per element)" },
  },
  traits: ["pure"],
  verify: (op, report) => {
    const r = elementOf(op.result.type) as EncryptedIntType;
    if (r.signed) return report("the window index is unsigned");
    if (!sameShape(shapeOf(op.operands[0]!.type), shapeOf(op.result.type))) return report("result shape should equal input shape");
    const n = numElements(shapeOf(op.result.type));
    const offset = op.attr("offset") as DenseAttr;
    const shift = op.attr("shift") as DenseAttr;
    if (!windowAttrOk(offset, n) || !windowAttrOk(shift, n)) return report(`offset and shift need 1 or ${n} entries`);
    if (offset.data.some((v) => !Number.isInteger(v))) return report("offsets must be integers");
    if (shift.data.some((v) => !Number.isInteger(v) || v < 0 || v > 62)) return report("shifts must be integers in 0..62");
  },
  examples: {
    ok: `func.func @window(%x: tensor<4x!fhe.esint<12>>) -> tensor<4x${E(4)}> {
  %0 = fhe.rescale %x {offset = dense<[-40]> : tensor<1xi64>, shift = dense<[3]> : tensor<1xi64>} : (tensor<4x!fhe.esint<12>>) -> tensor<4x${E(4)}>
  return %0 : tensor<4x${E(4)}>
}`,
    error: {
      text: `func.func @window(%x: tensor<4x!fhe.esint<12>>) -> tensor<4x!fhe.esint<4>> {
  %0 = fhe.rescale %x {offset = dense<[-40]> : tensor<1xi64>, shift = dense<[3]> : tensor<1xi64>} : (tensor<4x!fhe.esint<12>>) -> tensor<4x!fhe.esint<4>>
  return %0 : tensor<4x!fhe.esint<4>>
}`,
      message: "the window index is unsigned",
    },
  },
});

function signCast(name: string, toSigned: boolean): OpDef {
  const from = toSigned ? "!fhe.eint<4>" : "!fhe.esint<4>";
  const to = toSigned ? "!fhe.esint<4>" : "!fhe.eint<4>";
  return defineOp({
    name,
    summary: toSigned
      ? "Reinterprets an unsigned p-bit value as signed (same bit pattern, no bootstrap)."
      : "Reinterprets a signed p-bit value as unsigned (same bit pattern, no bootstrap).",
    operands: [{ name: "input", type: encrypted }],
    results: [{ name: "result", type: encrypted }],
    traits: ["pure"],
    verify: (op, report) => {
      const a = elementOf(op.operands[0]!.type) as EncryptedIntType;
      const r = elementOf(op.result.type) as EncryptedIntType;
      if (a.signed === toSigned) return report(`input must be ${toSigned ? "unsigned" : "signed"}`);
      if (r.signed !== toSigned || r.width !== a.width) return report(`result must be ${typeToString({ kind: "eint", width: a.width, signed: toSigned })}`);
      if (!sameShape(shapeOf(op.operands[0]!.type), shapeOf(op.result.type))) report("result shape should equal input shape");
    },
    examples: {
      ok: `func.func @cast(%x: ${from}) -> ${to} {
  %0 = ${name} %x : (${from}) -> ${to}
  return %0 : ${to}
}`,
      error: {
        text: `func.func @cast(%x: ${to}) -> ${to} {
  %0 = ${name} %x : (${to}) -> ${to}
  return %0 : ${to}
}`,
        message: `input must be ${toSigned ? "unsigned" : "signed"}`,
      },
    },
  });
}

export const toSigned = signCast("fhe.to_signed", true);
export const toUnsigned = signCast("fhe.to_unsigned", false);

// ---- data movement: any element type (encrypted, clear, LWE); folds on clear constants ----------

function verifyMovedElement(op: Operation, report: VerifyReporter): boolean {
  for (const v of op.operands) {
    if (!sameElementType(v.type, op.result.type)) {
      report(`element type ${typeToString(elementOf(v.type))} must be kept, result has ${typeToString(elementOf(op.result.type))}`);
      return false;
    }
  }
  return true;
}

function foldMove(f: (inputs: nd.NDArray[], op: Operation) => nd.NDArray) {
  return (op: Operation, constants: readonly (DenseAttr | undefined)[]): FoldResult | undefined => {
    if (constants.length === 0 || constants.some((c) => !c)) return undefined;
    const out = f(constants.map((c) => denseToArray(c!)), op);
    return { kind: "constants", values: [arrayToDense(out, op.result.type)] };
  };
}

export const reshape = defineOp({
  name: "fhe.reshape",
  summary: "Reshapes a tensor (row-major order, same number of elements).",
  operands: [{ name: "input", type: anyTensor }],
  results: [{ name: "result", type: anyTensor }],
  traits: ["pure", "dataMovement"],
  verify: (op, report) => {
    if (!verifyMovedElement(op, report)) return;
    const a = numElements(shapeOf(op.operands[0]!.type));
    const b = numElements(shapeOf(op.result.type));
    if (a !== b) report(`cannot reshape ${a} elements into ${b}`);
  },
  fold: foldMove(([x], op) => nd.reshape(x!, staticShape(op.result.type))),
  examples: {
    ok: `func.func @reshape(%x: tensor<2x3x${E(4)}>) -> tensor<6x${E(4)}> {
  %0 = fhe.reshape %x : (tensor<2x3x${E(4)}>) -> tensor<6x${E(4)}>
  return %0 : tensor<6x${E(4)}>
}`,
    error: {
      text: `func.func @reshape(%x: tensor<2x3x${E(4)}>) -> tensor<7x${E(4)}> {
  %0 = fhe.reshape %x : (tensor<2x3x${E(4)}>) -> tensor<7x${E(4)}>
  return %0 : tensor<7x${E(4)}>
}`,
      message: "cannot reshape 6 elements into 7",
    },
  },
});

export const transpose = defineOp({
  name: "fhe.transpose",
  summary: "Permutes the axes of a tensor.",
  operands: [{ name: "input", type: anyTensor }],
  results: [{ name: "result", type: anyTensor }],
  attributes: { perm: { kind: "ints", doc: "output axis i takes input axis perm[i]" } },
  traits: ["pure", "dataMovement"],
  verify: (op, report) => {
    if (!verifyMovedElement(op, report)) return;
    const x = staticShape(op.operands[0]!.type);
    const perm = asInts(op.attr("perm"))!;
    if (!isPermutation(perm, x.length)) return report(`perm [${perm.join(", ")}] is not a permutation of ${x.length} axes`);
    expectShape(op, perm.map((p) => x[p]!), report);
  },
  fold: foldMove(([x], op) => nd.transpose(x!, asInts(op.attr("perm"))!)),
  examples: {
    ok: `func.func @transpose(%x: tensor<2x3xi8>) -> tensor<3x2xi8> {
  %0 = fhe.transpose %x {perm = [1, 0]} : (tensor<2x3xi8>) -> tensor<3x2xi8>
  return %0 : tensor<3x2xi8>
}`,
    error: {
      text: `func.func @transpose(%x: tensor<2x3xi8>) -> tensor<3x2xi8> {
  %0 = fhe.transpose %x {perm = [1, 1]} : (tensor<2x3xi8>) -> tensor<3x2xi8>
  return %0 : tensor<3x2xi8>
}`,
      message: "perm [1, 1] is not a permutation of 2 axes",
    },
  },
});

export const concat = defineOp({
  name: "fhe.concat",
  summary: "Concatenates tensors along an axis.",
  operands: [{ name: "inputs", type: anyTensor, arity: "variadic" }],
  results: [{ name: "result", type: anyTensor }],
  attributes: { axis: { kind: "int", doc: "non-negative axis" } },
  traits: ["pure", "dataMovement"],
  verify: (op, report) => {
    if (op.operands.length === 0) return report("needs at least one input");
    if (!verifyMovedElement(op, report)) return;
    const shapes = op.operands.map((v) => staticShape(v.type));
    const axis = (op.attr("axis") as { value: number }).value;
    const r = shapes[0]!.length;
    if (axis < 0 || axis >= r) return report(`axis ${axis} out of range for rank ${r}`);
    for (const s of shapes) {
      if (s.length !== r || s.some((d, i) => i !== axis && d !== shapes[0]![i])) {
        return report(`shapes ${shapes.map(dimsToString).join(", ")} differ outside axis ${axis}`);
      }
    }
    const out = [...shapes[0]!];
    out[axis] = shapes.reduce((acc, s) => acc + s[axis]!, 0);
    expectShape(op, out, report);
  },
  fold: foldMove((xs, op) => nd.concat(xs, (op.attr("axis") as { value: number }).value)),
  examples: {
    ok: `func.func @concat(%a: tensor<2x${E(3)}>, %b: tensor<1x${E(3)}>) -> tensor<3x${E(3)}> {
  %0 = fhe.concat %a, %b {axis = 0} : (tensor<2x${E(3)}>, tensor<1x${E(3)}>) -> tensor<3x${E(3)}>
  return %0 : tensor<3x${E(3)}>
}`,
    error: {
      text: `func.func @concat(%a: tensor<2x2x${E(3)}>, %b: tensor<1x3x${E(3)}>) -> tensor<3x2x${E(3)}> {
  %0 = fhe.concat %a, %b {axis = 0} : (tensor<2x2x${E(3)}>, tensor<1x3x${E(3)}>) -> tensor<3x2x${E(3)}>
  return %0 : tensor<3x2x${E(3)}>
}`,
      message: "shapes [2, 2], [1, 3] differ outside axis 0",
    },
  },
});

export const sliceOp = defineOp({
  name: "fhe.slice",
  summary: "Static strided slice; bounds are normalised (0 ≤ start ≤ dim, -1 ≤ end ≤ dim, step ≠ 0).",
  operands: [{ name: "input", type: anyTensor }],
  results: [{ name: "result", type: anyTensor }],
  attributes: {
    starts: { kind: "ints", doc: "per-axis start" },
    ends: { kind: "ints", doc: "per-axis end (exclusive)" },
    steps: { kind: "ints", doc: "per-axis step" },
  },
  traits: ["pure", "dataMovement"],
  verify: (op, report) => {
    if (!verifyMovedElement(op, report)) return;
    const x = staticShape(op.operands[0]!.type);
    const [starts, ends, steps] = ["starts", "ends", "steps"].map((k) => asInts(op.attr(k))!) as [number[], number[], number[]];
    if (starts.length !== x.length || ends.length !== x.length || steps.length !== x.length) {
      return report(`starts, ends and steps need ${x.length} values each`);
    }
    for (let i = 0; i < x.length; i++) {
      if (steps[i] === 0) return report(`step of axis ${i} is zero`);
      if (starts[i]! < 0 || starts[i]! > x[i]! || ends[i]! < -1 || ends[i]! > x[i]!) {
        return report(`bounds [${starts[i]}, ${ends[i]}) of axis ${i} are outside [0, ${x[i]}]`);
      }
    }
    expectShape(op, sliceShape(starts, ends, steps), report);
  },
  fold: foldMove(([x], op) => nd.slice(x!, asInts(op.attr("starts"))!, asInts(op.attr("ends"))!, asInts(op.attr("steps"))!)),
  examples: {
    ok: `func.func @slice(%x: tensor<6x${E(5)}>) -> tensor<3x${E(5)}> {
  %0 = fhe.slice %x {starts = [0], ends = [6], steps = [2]} : (tensor<6x${E(5)}>) -> tensor<3x${E(5)}>
  return %0 : tensor<3x${E(5)}>
}`,
    error: {
      text: `func.func @slice(%x: tensor<6x${E(5)}>) -> tensor<3x${E(5)}> {
  %0 = fhe.slice %x {starts = [0], ends = [9], steps = [2]} : (tensor<6x${E(5)}>) -> tensor<3x${E(5)}>
  return %0 : tensor<3x${E(5)}>
}`,
      message: "bounds [0, 9) of axis 0 are outside [0, 6]",
    },
  },
});

export const pad = defineOp({
  name: "fhe.pad",
  summary: "Pads with a constant (a trivial encryption of `value` for encrypted tensors).",
  operands: [{ name: "input", type: anyTensor }],
  results: [{ name: "result", type: anyTensor }],
  attributes: {
    pads: { kind: "ints", doc: "[begin_0, …, begin_{r-1}, end_0, …, end_{r-1}], non-negative" },
    value: { kind: "int", doc: "padding value" },
  },
  traits: ["pure", "dataMovement"],
  verify: (op, report) => {
    if (!verifyMovedElement(op, report)) return;
    const x = staticShape(op.operands[0]!.type);
    const pads = asInts(op.attr("pads"))!;
    if (pads.length !== 2 * x.length) return report(`pads needs ${2 * x.length} values, got ${pads.length}`);
    if (pads.some((p) => p < 0)) return report("pads must be non-negative");
    expectShape(op, x.map((d, i) => d + pads[i]! + pads[i + x.length]!), report);
  },
  fold: foldMove(([x], op) => nd.padConstant(x!, asInts(op.attr("pads"))!, (op.attr("value") as { value: number }).value)),
  examples: {
    ok: `func.func @pad(%x: tensor<1x1x2x2x${E(4)}>) -> tensor<1x1x4x4x${E(4)}> {
  %0 = fhe.pad %x {pads = [0, 0, 1, 1, 0, 0, 1, 1], value = 0} : (tensor<1x1x2x2x${E(4)}>) -> tensor<1x1x4x4x${E(4)}>
  return %0 : tensor<1x1x4x4x${E(4)}>
}`,
    error: {
      text: `func.func @pad(%x: tensor<2x${E(4)}>) -> tensor<4x${E(4)}> {
  %0 = fhe.pad %x {pads = [1], value = 0} : (tensor<2x${E(4)}>) -> tensor<4x${E(4)}>
  return %0 : tensor<4x${E(4)}>
}`,
      message: "pads needs 2 values, got 1",
    },
  },
});

export const gather = defineOp({
  name: "fhe.gather",
  summary: "Selects slices along an axis by clear constant indices (ONNX Gather semantics).",
  operands: [{ name: "input", type: anyTensor }],
  results: [{ name: "result", type: anyTensor }],
  attributes: {
    indices: { kind: "dense", doc: "non-negative indices, any shape" },
    axis: { kind: "int", doc: "non-negative axis" },
  },
  traits: ["pure", "dataMovement"],
  verify: (op, report) => {
    if (!verifyMovedElement(op, report)) return;
    const x = staticShape(op.operands[0]!.type);
    const axis = (op.attr("axis") as { value: number }).value;
    const idx = op.attr("indices") as DenseAttr;
    if (axis < 0 || axis >= x.length) return report(`axis ${axis} out of range for rank ${x.length}`);
    const bad = idx.data.find((v) => !Number.isInteger(v) || v < 0 || v >= x[axis]!);
    if (bad !== undefined) return report(`index ${bad} out of range [0, ${x[axis]})`);
    expectShape(op, [...x.slice(0, axis), ...(idx.type.shape as number[]), ...x.slice(axis + 1)], report);
  },
  fold: foldMove(([x], op) =>
    nd.gather(x!, denseToArray(op.attr("indices") as DenseAttr), (op.attr("axis") as { value: number }).value),
  ),
  examples: {
    ok: `func.func @gather(%x: tensor<3x2x${E(4)}>) -> tensor<2x2x${E(4)}> {
  %0 = fhe.gather %x {indices = dense<[2, 0]> : tensor<2xi64>, axis = 0} : (tensor<3x2x${E(4)}>) -> tensor<2x2x${E(4)}>
  return %0 : tensor<2x2x${E(4)}>
}`,
    error: {
      text: `func.func @gather(%x: tensor<3x2x${E(4)}>) -> tensor<2x2x${E(4)}> {
  %0 = fhe.gather %x {indices = dense<[3, 0]> : tensor<2xi64>, axis = 0} : (tensor<3x2x${E(4)}>) -> tensor<2x2x${E(4)}>
  return %0 : tensor<2x2x${E(4)}>
}`,
      message: "index 3 out of range [0, 3)",
    },
  },
});

export const fheDialect = [
  addEint,
  addEintInt,
  subEint,
  subEintInt,
  subIntEint,
  mulEintInt,
  negEint,
  dotEintInt,
  matmulEintInt,
  matmulIntEint,
  conv2d,
  sum,
  applyLookupTable,
  applyMappedLookupTable,
  round,
  rescale,
  toSigned,
  toUnsigned,
  reshape,
  transpose,
  concat,
  sliceOp,
  pad,
  gather,
];
