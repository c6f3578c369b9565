// The float reference interpreter of the `onnx` dialect: evaluates a function on a whole batch at
// once. Each op is dispatched to its handler (handlers.ts); result shapes come from the dialect's
// inference rule applied to the concrete input shapes, and results are rounded to their element
// type (f32 rounding, integer wrap-around) after the float64 computation.
import type { Attribute, DenseAttr } from "../../ir/attributes.js";
import { type FuncOp, type ModuleOp, Operation, type Value } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { inferOnnx, OnnxShapeError } from "../../ir/dialects/onnx.js";
import { attrsOf, declOf } from "../../ir/dialects/onnx_decls.js";
import type { NDArray } from "../../ir/tensor.js";
import { type ElementType, type TensorType, type Type, elementOf, shapeOf, tensor, typeToString } from "../../ir/types.js";
import { HANDLERS as ONNX_HANDLERS, type Handler, ReferenceError, storeAs } from "./handlers.js";
import { ML_HANDLERS } from "./ml_handlers.js";

/** Every op with reference semantics: the `onnx` and `onnx_ml` dialects. */
export const HANDLERS: Readonly<Record<string, Handler>> = { ...ONNX_HANDLERS, ...ML_HANDLERS };

function dims(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Checks an input against its argument type and returns a copy rounded to the element type. */
function bindInput(a: NDArray, t: Type, index: number, name: string): NDArray {
  const want = shapeOf(t);
  if (a.shape.length !== want.length || want.some((d, i) => d !== null && d !== a.shape[i])) {
    fail("E0701", `input #${index} '${name}' has shape ${dims(a.shape)}, expected ${typeToString(t)}`);
  }
  const copy = { shape: [...a.shape], data: Float64Array.from(a.data) };
  const e = elementOf(t);
  if (e.kind === "float") {
    const bad = copy.data.findIndex((v) => Number.isNaN(v));
    if (bad >= 0) fail("E0701", `input #${index} '${name}' holds NaN at flat index ${bad}`);
  }
  return storeAs(e, copy);
}

function constantValue(d: DenseAttr): NDArray {
  return { shape: [...(d.type.shape as number[])], data: d.data };
}

/** Evaluates `func` on `inputs` (one array per argument, whole batch included). */
export function runReference(func: FuncOp, inputs: readonly NDArray[]): NDArray[] {
  if (inputs.length !== func.args.length) {
    fail("E0701", `@${func.name} takes ${func.args.length} input(s), got ${inputs.length}`);
  }
  const env = new Map<Value, NDArray>();
  func.args.forEach((arg, i) => env.set(arg, bindInput(inputs[i]!, arg.type, i, arg.nameHint ?? String(i))));
  for (const op of func.body.ops) {
    const ins = op.operands.map((v) => {
      const a = env.get(v);
      if (!a) throw new Error(`reference: operand of ${op.name} has no value`);
      return a;
    });
    if (op.name === "func.return") return ins;
    if (op.name === "arith.constant") {
      env.set(op.result, constantValue(op.attr("value") as DenseAttr));
      continue;
    }
    const handler = HANDLERS[op.name];
    const decl = declOf(op.name);
    if (!handler || !decl) fail("E0502", `the reference interpreter has no semantics for '${op.name}'`, op.loc, op.name);
    const inTypes: TensorType[] = ins.map((a, i) => tensor(a.shape, elementOf(op.operands[i]!.type)));
    const outTypes = inferOnnx(decl, inTypes, op.attributes);
    if (typeof outTypes === "string") fail("E0701", outTypes, op.loc, op.name);
    let outs: NDArray[];
    try {
      outs = handler(ins, { op, attrs: attrsOf(op.name, op.attributes), inTypes, outTypes });
    } catch (e) {
      if (e instanceof ReferenceError || e instanceof OnnxShapeError) fail("E0701", e.message, op.loc, op.name);
      throw e;
    }
    op.results.forEach((r, i) => {
      const out = outs[i]!;
      const want = outTypes[i]!.shape as number[];
      if (out.shape.length !== want.length || out.shape.some((d, k) => d !== want[k])) {
        throw new Error(`reference: ${op.name} produced ${dims(out.shape)}, inference says ${dims(want)}`);
      }
      env.set(r, storeAs(elementOf(r.type), out));
    });
  }
  return fail("E0209", `function @${func.name} has no return`);
}

/** Evaluates the module's function `name` (default: the first function). */
export function runReferenceModule(module: ModuleOp, inputs: readonly NDArray[], name?: string): NDArray[] {
  const func = name === undefined ? module.funcs[0] : module.func(name);
  if (!func) fail("E0701", name === undefined ? "the module has no function" : `no function @${name}`);
  return runReference(func, inputs);
}

/**
 * Evaluates one `onnx.*` op on concrete arrays (used by the importer to fold shape computations).
 * `elements` gives each operand's element type.
 */
export function evaluateOnnxOp(
  opName: string,
  attributes: ReadonlyMap<string, Attribute>,
  inputs: readonly NDArray[],
  elements: readonly ElementType[],
): { arrays: NDArray[]; types: TensorType[] } | string {
  const decl = declOf(opName);
  const handler = HANDLERS[opName];
  if (!decl || !handler) return `no reference semantics for '${opName}'`;
  const inTypes = inputs.map((a, i) => tensor(a.shape, elements[i]!));
  const outTypes = inferOnnx(decl, inTypes, attributes);
  if (typeof outTypes === "string") return outTypes;
  const op = new Operation(opName, [], outTypes, attributes);
  try {
    const outs = handler(inputs, { op, attrs: attrsOf(opName, attributes), inTypes, outTypes });
    return { arrays: outs.map((o, i) => storeAs(outTypes[i]!.element, { shape: [...o.shape], data: Float64Array.from(o.data) })), types: outTypes };
  } catch (e) {
    if (e instanceof ReferenceError) return e.message;
    throw e;
  }
}
