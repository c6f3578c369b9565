// `arith` dialect: clear integer constants and arithmetic (zero-point and bias corrections are
// built from these, then folded away by canonicalize).
import { type DenseAttr, denseAttr } from "../attributes.js";
import { clearInt, verifyBroadcastResult } from "../constraints.js";
import type { Operation } from "../core.js";
import { defineOp, type FoldResult, type OpDef, type VerifyReporter } from "../opdef.js";
import { binaryOp, unaryOp, type NDArray } from "../tensor.js";
import { elementOf, intRange, shapeOf, tensor, type IntType, type Type, typeToString } from "../types.js";

/** Dense payload of a constant as an n-d array. */
export function denseToArray(d: DenseAttr): NDArray {
  return { shape: d.type.shape as number[], data: d.data };
}

/** Wraps an n-d array as a dense attribute for a result of type `t` (scalar results use a 0-d tensor). */
export function arrayToDense(a: NDArray, t: Type): DenseAttr {
  return denseAttr(tensor(a.shape, elementOf(t)), a.data);
}

function fitsIntType(a: NDArray, t: Type): boolean {
  const e = elementOf(t);
  if (e.kind !== "int") return true;
  const { min, max } = intRange(e.width, e.signed);
  return a.data.every((v) => v >= min && v <= max);
}

function foldArray(op: Operation, value: NDArray | undefined): FoldResult | undefined {
  if (!value || !fitsIntType(value, op.result.type)) return undefined;
  return { kind: "constants", values: [arrayToDense(value, op.result.type)] };
}

function verifyConstant(op: Operation, report: VerifyReporter): void {
  const value = op.attr("value") as DenseAttr;
  const t = op.result.type;
  const shape = shapeOf(t);
  if (typeToString(elementOf(value.type)) !== typeToString(elementOf(t))) {
    report(`value element type ${typeToString(elementOf(value.type))} differs from result element type ${typeToString(elementOf(t))}`);
    return;
  }
  if (value.type.shape.length !== shape.length || value.type.shape.some((d, i) => d !== shape[i])) {
    report(`value shape ${typeToString(value.type)} differs from result type ${typeToString(t)}`);
    return;
  }
  const e = elementOf(t);
  if (e.kind === "int") {
    const { min, max } = intRange(e.width, e.signed);
    const bad = value.data.find((v) => !Number.isInteger(v) || v < min || v > max);
    if (bad !== undefined) report(`value ${bad} does not fit ${typeToString(e as IntType)}`);
  }
}

export const arithConstant = defineOp({
  name: "arith.constant",
  summary: "A clear constant (scalar results hold a 0-d dense value).",
  results: [{ name: "result", type: clearInt }],
  attributes: { value: { kind: "dense", doc: "the constant's value" } },
  traits: ["pure", "constantLike"],
  verify: verifyConstant,
  examples: {
    ok: `func.func @c() -> tensor<2x2xi8> {
  %w = arith.constant {value = dense<[[1, -2], [3, 4]]> : tensor<2x2xi8>} : () -> tensor<2x2xi8>
  return %w : tensor<2x2xi8>
}`,
    error: {
      text: `func.func @c() -> tensor<2xi3> {
  %w = arith.constant {value = dense<[1, 9]> : tensor<2xi3>} : () -> tensor<2xi3>
  return %w : tensor<2xi3>
}`,
      message: "value 9 does not fit i3",
    },
  },
});

function binaryArith(name: string, summary: string, f: (a: number, b: number) => number, commutative: boolean): OpDef {
  const short = name.slice("arith.".length);
  return defineOp({
    name,
    summary,
    operands: [
      { name: "lhs", type: clearInt },
      { name: "rhs", type: clearInt },
    ],
    results: [{ name: "result", type: clearInt }],
    traits: commutative ? ["pure", "elementwise", "commutative"] : ["pure", "elementwise"],
    verify: verifyBroadcastResult,
    fold: (op, [a, b]) => (a && b ? foldArray(op, binaryOp(denseToArray(a), denseToArray(b), f)) : undefined),
    examples: {
      ok: `func.func @${short}(%a: tensor<3xi16>, %b: tensor<1xi16>) -> tensor<3xi16> {
  %0 = ${name} %a, %b : (tensor<3xi16>, tensor<1xi16>) -> tensor<3xi16>
  return %0 : tensor<3xi16>
}`,
      error: {
        text: `func.func @${short}(%a: tensor<3xi16>, %b: tensor<2xi16>) -> tensor<3xi16> {
  %0 = ${name} %a, %b : (tensor<3xi16>, tensor<2xi16>) -> tensor<3xi16>
  return %0 : tensor<3xi16>
}`,
        message: "operand shapes [3] and [2] do not broadcast",
      },
    },
  });
}

export const arithAdd = binaryArith("arith.add", "Clear integer addition (broadcasting).", (a, b) => a + b, true);
export const arithSub = binaryArith("arith.sub", "Clear integer subtraction (broadcasting).", (a, b) => a - b, false);
export const arithMul = binaryArith("arith.mul", "Clear integer multiplication (broadcasting).", (a, b) => a * b, true);

export const arithNeg = defineOp({
  name: "arith.neg",
  summary: "Clear integer negation.",
  operands: [{ name: "operand", type: clearInt }],
  results: [{ name: "result", type: clearInt }],
  traits: ["pure", "elementwise"],
  verify: verifyBroadcastResult,
  fold: (op, [a]) => (a ? foldArray(op, unaryOp(denseToArray(a), (x) => -x)) : undefined),
  examples: {
    ok: `func.func @neg(%a: tensor<3xi8>) -> tensor<3xi8> {
  %0 = arith.neg %a : (tensor<3xi8>) -> tensor<3xi8>
  return %0 : tensor<3xi8>
}`,
    error: {
      text: `func.func @neg(%a: tensor<3xi8>) -> tensor<4xi8> {
  %0 = arith.neg %a : (tensor<3xi8>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}`,
      message: "result shape [4] should be the broadcast shape [3]",
    },
  },
});

export const arithDialect = [arithConstant, arithAdd, arithSub, arithMul, arithNeg];
