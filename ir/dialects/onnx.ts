// `onnx` dialect: a 1:1 image of an ONNX graph in float (plus the integer tensors ONNX itself uses:
// shapes, indices, booleans, quantized values). Each op is one row of the table below: operands,
// attributes (with their ONNX defaults), a shape/type inference rule and examples. The verifier
// checks result types against the inference rule; the importer computes result types with the same
// rule; the reference interpreter reads attributes (and defaults) through `onnxAttrs`.
//
// Normalisation done by the importer (so the dialect has one form per op): parameters that newer
// opsets pass as constant inputs (Reshape shape, Unsqueeze/Squeeze/Reduce* axes, Slice
// starts/ends/axes/steps, Pad pads/constant_value/axes, Clip min/max, Expand shape,
// ConstantOfShape shape) are attributes here; Softmax always has opset-13 semantics.
import type { Attribute, DenseAttr } from "../attributes.js";
import { asFloats, asInts } from "../attributes.js";
import { broadcastDims, dimsToString } from "../constraints.js";
import { windowOutputSize, windowSpan } from "../conv_geometry.js";
import { constraint, defineOp, type AttrSpec, type AttrSpecKind, type OpDef, type OperandSpec, type ResultSpec, type TypeConstraint } from "../opdef.js";
import { type Dim, type ElementType, type TensorType, type Type, f32, i1, i64, tensor, typeEquals, typeToString } from "../types.js";

// ---- element types and constraints --------------------------------------------------------

const INT_WIDTHS = [8, 16, 32, 64];

/** Element types an `onnx` tensor may hold: f32, f64, i8/ui8, i16/ui16, i32/ui32, i64/ui64 and i1 (bool). */
export function isOnnxElement(e: ElementType): boolean {
  if (e.kind === "float") return e.width === 32 || e.width === 64;
  if (e.kind === "int") return (e.width === 1 && e.signed) || INT_WIDTHS.includes(e.width);
  return false;
}

const isBool = (e: ElementType) => e.kind === "int" && e.width === 1;
const isFloatEl = (e: ElementType) => e.kind === "float";
const isIntEl = (e: ElementType) => e.kind === "int" && e.width > 1;

function tensorOf(description: string, pred: (e: ElementType) => boolean): TypeConstraint {
  return constraint(description, (t) => t.kind === "tensor" && isOnnxElement(t.element) && pred(t.element));
}

export const onnxTensor = tensorOf("a tensor of f32, f64, i1 or 8/16/32/64-bit integers", () => true);
export const floatTensor = tensorOf("a tensor of f32 or f64", isFloatEl);
export const numericTensor = tensorOf("a tensor of floats or integers (not i1)", (e) => !isBool(e));
export const intTensor = tensorOf("a tensor of integers (not i1)", isIntEl);
export const boolTensor = tensorOf("a tensor of i1", isBool);
export const indexTensor = tensorOf("a tensor of i32 or i64", (e) => e.kind === "int" && e.signed && (e.width === 32 || e.width === 64));

// ---- attributes with defaults -------------------------------------------------------------

export interface OnnxAttrDecl {
  readonly kind: AttrSpecKind;
  readonly doc: string;
  /** The ONNX default, used when the attribute is absent. */
  readonly default?: Attribute;
  /** Required attributes have no default. */
  readonly required?: boolean;
}

const I = (value: number): Attribute => ({ kind: "int", value });
const F = (value: number): Attribute => ({ kind: "float", value });
const S = (value: string): Attribute => ({ kind: "string", value });

/** Thrown by inference rules; the message becomes the verifier's (or importer's) diagnostic. */
export class OnnxShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxShapeError";
  }
}

export function bad(message: string): never {
  throw new OnnxShapeError(message);
}

/** Reads an op's attributes, falling back to the ONNX defaults of its declaration. */
export class OnnxAttrs {
  constructor(
    readonly decl: OnnxOpDecl,
    private readonly map: ReadonlyMap<string, Attribute>,
  ) {}

  get(name: string): Attribute | undefined {
    return this.map.get(name) ?? this.decl.attrs[name]?.default;
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  int(name: string): number {
    const a = this.get(name);
    if (a?.kind === "int") return a.value;
    if (a?.kind === "bool") return a.value ? 1 : 0;
    return bad(`attribute '${name}' must be an integer`);
  }

  float(name: string): number {
    const a = this.get(name);
    if (a?.kind === "float" || a?.kind === "int") return a.value;
    return bad(`attribute '${name}' must be a number`);
  }

  optFloat(name: string): number | undefined {
    const a = this.get(name);
    return a?.kind === "float" || a?.kind === "int" ? a.value : undefined;
  }

  str(name: string): string {
    const a = this.get(name);
    if (a?.kind === "string") return a.value;
    return bad(`attribute '${name}' must be a string`);
  }

  ints(name: string): number[] | undefined {
    return asInts(this.get(name));
  }

  /** An array of strings (e.g. the `ai.onnx.ml` tree node modes). */
  strs(name: string): string[] | undefined {
    const a = this.get(name);
    if (a?.kind !== "array") return undefined;
    return a.items.map((x) => (x.kind === "string" ? x.value : bad(`attribute '${name}' must be an array of strings`)));
  }

  floats(name: string): number[] | undefined {
    return asFloats(this.get(name));
  }

  dense(name: string): DenseAttr | undefined {
    const a = this.get(name);
    return a?.kind === "dense" ? a : undefined;
  }

  type(name: string): ElementType | undefined {
    const a = this.get(name);
    if (a?.kind !== "type") return undefined;
    return a.type.kind === "tensor" ? a.type.element : a.type;
  }
}

// ---- declarations -------------------------------------------------------------------------

export type OnnxInfer = (ins: readonly TensorType[], a: OnnxAttrs) => TensorType[];

export interface OnnxExample {
  readonly ins: readonly string[];
  /** One result type, or several for multi-output ops. */
  readonly out: string | readonly string[];
  readonly attrs?: string;
}

export interface OnnxOpDecl {
  /** ONNX op type, e.g. `Gemm`; the IR op is `onnx.Gemm`. */
  readonly type: string;
  readonly summary: string;
  /** Extra notes for the generated documentation (forms accepted, limits). */
  readonly notes?: string;
  readonly inputs: readonly OperandSpec[];
  readonly outputs: readonly ResultSpec[];
  readonly attrs: Readonly<Record<string, OnnxAttrDecl>>;
  readonly infer: OnnxInfer;
  readonly ok: OnnxExample;
  readonly error: OnnxExample & { readonly message: string };
}

export const x1 = (name = "X", type = numericTensor, doc?: string): OperandSpec => ({ name, type, ...(doc ? { doc } : {}) });
export const out1 = (type: TypeConstraint = onnxTensor): ResultSpec[] => [{ name: "output", type }];

export const rank = (t: TensorType) => t.shape.length;

function sameElements(ins: readonly TensorType[], what = "operands"): ElementType {
  const first = ins[0]!.element;
  const other = ins.find((t) => !typeEquals(t.element, first));
  if (other) bad(`${what} must share one element type, got ${typeToString(first)} and ${typeToString(other.element)}`);
  return first;
}

function broadcastAll(ins: readonly TensorType[]): Dim[] {
  let shape: Dim[] = [];
  for (const t of ins) {
    const next = broadcastDims(shape, t.shape);
    if (!next) bad(`operand shapes ${ins.map((o) => dimsToString(o.shape)).join(" and ")} do not broadcast`);
    shape = next;
  }
  return shape;
}

/** Normalises an axis into [0, r); reports out-of-range axes. */
export function normAxis(axis: number, r: number, what = "axis"): number {
  if (!Number.isInteger(axis) || axis < -r || axis >= r) bad(`${what} ${axis} is out of range for rank ${r}`);
  return axis < 0 ? axis + r : axis;
}

const dimMul = (a: Dim, b: Dim): Dim => (a === null || b === null ? null : a * b);
const dimsCompatible = (a: Dim, b: Dim) => a === null || b === null || a === b;

function staticDims(shape: readonly Dim[], what: string): number[] {
  if (shape.some((d) => d === null)) bad(`${what} ${dimsToString(shape)} must be static`);
  return shape as number[];
}

// ---- ONNX window attributes (auto_pad, pads, strides, dilations) resolved on an input ----------

export interface WindowGeometry {
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  /** Padding before each spatial axis. */
  readonly padBegin: number[];
  readonly padEnd: number[];
  readonly out: number[];
}

/** Resolves auto_pad/pads/strides/dilations of a Conv or pool op on the given spatial input dims. */
export function windowGeometry(spatial: readonly number[], kernel: readonly number[], a: OnnxAttrs, ceilMode: boolean): WindowGeometry {
  const n = spatial.length;
  const strides = a.ints("strides") ?? new Array<number>(n).fill(1);
  const dilations = a.ints("dilations") ?? new Array<number>(n).fill(1);
  const pads = a.ints("pads") ?? new Array<number>(2 * n).fill(0);
  const autoPad = a.get("auto_pad") ? a.str("auto_pad") : "NOTSET";
  if (kernel.length !== n) bad(`kernel has ${kernel.length} spatial dims, input has ${n}`);
  if (strides.length !== n) bad(`strides must have ${n} values, got ${strides.length}`);
  if (dilations.length !== n) bad(`dilations must have ${n} values, got ${dilations.length}`);
  if (pads.length !== 2 * n) bad(`pads must have ${2 * n} values, got ${pads.length}`);
  if (strides.some((s) => s < 1) || dilations.some((d) => d < 1)) bad("strides and dilations must be positive");
  if (pads.some((p) => p < 0)) bad("pads must be non-negative");
  const padBegin: number[] = [];
  const padEnd: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const inDim = spatial[i]!;
    const k = kernel[i]!;
    const s = strides[i]!;
    const d = dilations[i]!;
    switch (autoPad) {
      case "NOTSET":
        padBegin.push(pads[i]!);
        padEnd.push(pads[i + n]!);
        break;
      case "VALID":
        padBegin.push(0);
        padEnd.push(0);
        break;
      case "SAME_UPPER":
      case "SAME_LOWER": {
        const o = Math.ceil(inDim / s);
        const total = Math.max(0, windowSpan(o, k, s, d) - inDim);
        const small = Math.floor(total / 2);
        padBegin.push(autoPad === "SAME_UPPER" ? small : total - small);
        padEnd.push(autoPad === "SAME_UPPER" ? total - small : small);
        break;
      }
      default:
        bad(`auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got "${autoPad}"`);
    }
    const o = windowOutputSize(inDim, k, s, d, padBegin[i]!, padEnd[i]!, ceilMode);
    if (o < 1) bad(`window of size ${k} (dilation ${d}) does not fit spatial dim ${inDim} with pads ${padBegin[i]}+${padEnd[i]}`);
    out.push(o);
  }
  return { kernel: [...kernel], strides, dilations, padBegin, padEnd, out };
}

const windowAttrs = (withDilations: boolean): Record<string, OnnxAttrDecl> => ({
  auto_pad: { kind: "string", doc: "NOTSET (use pads), VALID, SAME_UPPER or SAME_LOWER", default: S("NOTSET") },
  ...(withDilations ? { dilations: { kind: "ints", doc: "dilation per spatial axis (default 1)" } } : {}),
  pads: { kind: "ints", doc: "[begin_0, …, end_0, …] (default 0)" },
  strides: { kind: "ints", doc: "stride per spatial axis (default 1)" },
});

function checkSpatialRank(x: TensorType, what: string): void {
  if (rank(x) !== 3 && rank(x) !== 4) bad(`${what} input must be 3-D [N, C, L] or 4-D [N, C, H, W], got ${dimsToString(x.shape)}`);
}

// ---- inference rules ----------------------------------------------------------------------

const sameType: OnnxInfer = (ins) => [ins[0]!];

const broadcastSame: OnnxInfer = (ins) => {
  const e = sameElements(ins);
  return [tensor(broadcastAll(ins), e)];
};

const compare: OnnxInfer = (ins) => {
  sameElements(ins);
  return [tensor(broadcastAll(ins), i1)];
};

function inferMatMul(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length < 1 || b.length < 1) bad("MatMul operands must have rank ≥ 1");
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  if (!dimsCompatible(k1, k2)) bad(`cannot multiply shapes ${dimsToString(a)} and ${dimsToString(b)}`);
  const batch = broadcastDims(a2.slice(0, -2), b2.slice(0, -2));
  if (!batch) bad(`batch dims of ${dimsToString(a)} and ${dimsToString(b)} do not broadcast`);
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

function reduceAxes(x: TensorType, a: OnnxAttrs): number[] | undefined {
  const axes = a.ints("axes");
  const r = rank(x);
  if (!axes || axes.length === 0) return a.int("noop_with_empty_axes") ? [] : undefined;
  const norm = axes.map((ax) => normAxis(ax, r));
  if (new Set(norm).size !== norm.length) bad(`axes ${dimsToString(axes)} repeat an axis`);
  return norm;
}

const inferReduce: OnnxInfer = (ins, a) => {
  const x = ins[0]!;
  const axes = reduceAxes(x, a) ?? x.shape.map((_, i) => i);
  const set = new Set(axes);
  const keep = a.int("keepdims") !== 0;
  const shape = keep ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i));
  return [tensor(shape, x.element)];
};

/** Result shape of Reshape; `0` copies the input dim (unless allowzero), `-1` is inferred. */
export function reshapeDims(input: readonly Dim[], target: readonly number[], allowZero: boolean): Dim[] {
  let inferAt = -1;
  const out: Dim[] = target.map((t, i) => {
    if (t === -1) {
      if (inferAt >= 0) bad("Reshape shape has more than one -1");
      inferAt = i;
      return null;
    }
    if (t < -1) bad(`Reshape shape has invalid entry ${t}`);
    if (t === 0 && !allowZero) {
      if (i >= input.length) bad(`Reshape shape copies dim ${i} (0) but the input has rank ${input.length}`);
      return input[i]!;
    }
    return t;
  });
  const inKnown = input.reduce<number>((p, d) => (d === null ? p : p * d), 1);
  const inDynamic = input.filter((d) => d === null).length;
  const outKnown = out.reduce<number>((p, d, i) => (d === null || i === inferAt ? p : p * d), 1);
  const outDynamic = out.filter((d, i) => d === null && i !== inferAt).length;
  if (inferAt >= 0) {
    if (inDynamic === outDynamic) {
      if (outKnown === 0 || inKnown % outKnown !== 0) bad(`cannot reshape ${dimsToString(input)} to ${dimsToString(target)}`);
      out[inferAt] = inKnown / outKnown;
    }
  } else if (inDynamic === 0 && outDynamic === 0 && inKnown !== outKnown) {
    bad(`cannot reshape ${dimsToString(input)} (${inKnown} elements) to ${dimsToString(target)} (${outKnown} elements)`);
  } else if (inDynamic === outDynamic && inKnown !== outKnown) {
    bad(`cannot reshape ${dimsToString(input)} to ${dimsToString(target)}`);
  }
  return out;
}

/** Normalised per-axis slice bounds (ONNX clamping rules) for a static dim. */
export function sliceBounds(dim: number, start: number, end: number, step: number): { start: number; end: number; step: number } {
  if (step === 0) bad("Slice step must not be 0");
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, -1), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return { start: s, end: e, step };
}

/** Axes, starts, ends and steps of a Slice op, one entry per sliced axis (normalised axes). */
export function sliceParams(r: number, a: OnnxAttrs): { axes: number[]; starts: number[]; ends: number[]; steps: number[] } {
  const starts = a.ints("starts") ?? bad("Slice needs starts");
  const ends = a.ints("ends") ?? bad("Slice needs ends");
  const axes = (a.ints("axes") ?? starts.map((_, i) => i)).map((ax) => normAxis(ax, r));
  const steps = a.ints("steps") ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    bad(`Slice starts, ends, axes and steps must have one length, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
  }
  if (new Set(axes).size !== axes.length) bad("Slice axes repeat an axis");
  return { axes, starts, ends, steps };
}

/** Per-axis [begin..., end...] pads of a Pad op for rank r. */
export function padAmounts(r: number, a: OnnxAttrs): number[] {
  const pads = a.ints("pads") ?? bad("Pad needs pads");
  if (pads.length !== 2 * r) bad(`Pad pads must have ${2 * r} values for rank ${r}, got ${pads.length}`);
  return pads;
}

/** Quantization axis and parameter layout (per-tensor scalar or per-axis vector). */
export function quantAxis(x: TensorType, scale: TensorType, a: OnnxAttrs): number | undefined {
  const n = scale.shape.reduce<number>((p, d) => p * (d ?? 1), 1);
  if (scale.shape.length === 0 || (scale.shape.length === 1 && n === 1 && x.shape.length === 0)) return undefined;
  if (scale.shape.length !== 1) bad(`scale must be a scalar or a 1-D tensor, got ${dimsToString(scale.shape)}`);
  const axis = normAxis(a.int("axis"), rank(x));
  const dim = x.shape[axis]!;
  if (n === 1 && dim !== 1) return undefined;
  if (dim !== null && dim !== n) bad(`per-axis scale has ${n} values but axis ${axis} of ${dimsToString(x.shape)} has ${dim}`);
  return axis;
}

function checkQuantParams(ins: readonly TensorType[]): void {
  const [, scale, zp] = ins;
  if (zp && !typeEquals(tensor(zp.shape, f32), tensor(scale!.shape, f32))) {
    bad(`zero point shape ${dimsToString(zp.shape)} must equal scale shape ${dimsToString(scale!.shape)}`);
  }
}

// ---- the op table -------------------------------------------------------------------------

export const T = (shape: string, e = "f32") => `tensor<${shape ? shape + "x" : ""}${e}>`;

function unary(
  type: string,
  summary: string,
  opts: { operand?: TypeConstraint; attrs?: Record<string, OnnxAttrDecl>; notes?: string; okAttrs?: string } = {},
): OnnxOpDecl {
  const operand = opts.operand ?? floatTensor;
  const isBoolOp = operand === boolTensor;
  const e = isBoolOp ? "i1" : "f32";
  return {
    type,
    summary,
    ...(opts.notes ? { notes: opts.notes } : {}),
    inputs: [x1("X", operand)],
    outputs: out1(operand),
    attrs: opts.attrs ?? {},
    infer: sameType,
    ok: { ins: [T("2x3", e)], out: T("2x3", e), ...(opts.okAttrs ? { attrs: opts.okAttrs } : {}) },
    error: { ins: [T("2x3", e)], out: T("3x2", e), message: `result #0 type ${T("3x2", e)} should be ${T("2x3", e)}` },
  };
}

function binary(type: string, summary: string, operand: TypeConstraint, infer: OnnxInfer, resultEl = "f32", opEl = "f32"): OnnxOpDecl {
  return {
    type,
    summary,
    inputs: [x1("A", operand), x1("B", operand)],
    outputs: out1(),
    attrs: {},
    infer,
    notes: "numpy broadcasting",
    ok: { ins: [T("2x3", opEl), T("3", opEl)], out: T("2x3", resultEl) },
    error: { ins: [T("2x3", opEl), T("2", opEl)], out: T("2x3", resultEl), message: "operand shapes [2, 3] and [2] do not broadcast" },
  };
}

const ALPHA = (d: number, doc = "alpha"): Record<string, OnnxAttrDecl> => ({ alpha: { kind: "float", doc: `${doc} (default ${d})`, default: F(d) } });

const unaryMath: [string, string][] = [
  ["Sigmoid", "1 / (1 + exp(-x))"],
  ["Tanh", "hyperbolic tangent"],
  ["Softplus", "log(1 + exp(x))"],
  ["Erf", "Gauss error function"],
  ["Exp", "e^x"],
  ["Log", "natural logarithm"],
  ["Sqrt", "square root"],
  ["Floor", "round down"],
  ["Round", "round half to even"],
  ["Sin", "sine"],
  ["Cos", "cosine"],
  ["Tan", "tangent"],
  ["Asin", "arc sine"],
  ["Acos", "arc cosine"],
  ["Atan", "arc tangent"],
  ["Sinh", "hyperbolic sine"],
  ["Cosh", "hyperbolic cosine"],
  ["Asinh", "inverse hyperbolic sine"],
  ["Acosh", "inverse hyperbolic cosine"],
  ["Atanh", "inverse hyperbolic tangent"],
  ["HardSwish", "x * max(0, min(1, x/6 + 1/2))"],
];

const gemm: OnnxOpDecl = {
  type: "Gemm",
  summary: "alpha * op(A) @ op(B) + beta * C, with op = transpose when transA/transB.",
  inputs: [x1("A"), x1("B"), { name: "C", type: numericTensor, arity: "optional", doc: "bias, broadcast to [M, N]" }],
  outputs: out1(numericTensor),
  attrs: {
    alpha: { kind: "float", doc: "scale of the product (default 1)", default: F(1) },
    beta: { kind: "float", doc: "scale of C (default 1)", default: F(1) },
    transA: { kind: "int", doc: "transpose A (default 0)", default: I(0) },
    transB: { kind: "int", doc: "transpose B (default 0)", default: I(0) },
  },
  infer: (ins, a) => {
    const [A, B, C] = ins;
    const e = sameElements(ins);
    if (rank(A!) !== 2 || rank(B!) !== 2) bad(`Gemm operands must be 2-D, got ${dimsToString(A!.shape)} and ${dimsToString(B!.shape)}`);
    const [m, ka] = a.int("transA") ? [A!.shape[1]!, A!.shape[0]!] : [A!.shape[0]!, A!.shape[1]!];
    const [kb, n] = a.int("transB") ? [B!.shape[1]!, B!.shape[0]!] : [B!.shape[0]!, B!.shape[1]!];
    if (!dimsCompatible(ka, kb)) bad(`Gemm inner dimensions differ: op(A) is ${dimsToString([m, ka])}, op(B) is ${dimsToString([kb, n])}`);
    if (C) {
      const b = broadcastDims(C.shape, [m, n]);
      if (!b || b.length !== 2 || !dimsCompatible(b[0]!, m) || !dimsCompatible(b[1]!, n)) bad(`Gemm C of shape ${dimsToString(C.shape)} does not broadcast to ${dimsToString([m, n])}`);
    }
    return [tensor([m, n], e)];
  },
  ok: { ins: [T("2x4"), T("3x4"), T("3")], out: T("2x3"), attrs: "{transB = 1}" },
  error: { ins: [T("2x4"), T("3x4")], out: T("2x3"), message: "Gemm inner dimensions differ: op(A) is [2, 4], op(B) is [3, 4]" },
};

const matmul: OnnxOpDecl = {
  type: "MatMul",
  summary: "numpy matmul (1-D promotion, batch dims broadcast).",
  inputs: [x1("A"), x1("B")],
  outputs: out1(numericTensor),
  attrs: {},
  infer: (ins) => [tensor(inferMatMul(ins[0]!.shape, ins[1]!.shape), sameElements(ins))],
  ok: { ins: [T("?x4"), T("4x3")], out: T("?x3") },
  error: { ins: [T("2x4"), T("3x3")], out: T("2x3"), message: "cannot multiply shapes [2, 4] and [3, 3]" },
};

const conv: OnnxOpDecl = {
  type: "Conv",
  summary: "1-D or 2-D convolution, NC[H]W input, [M, C/group, k...] weight, optional bias [M].",
  inputs: [x1("X", floatTensor), x1("W", floatTensor), { name: "B", type: floatTensor, arity: "optional" }],
  outputs: out1(floatTensor),
  attrs: {
    ...windowAttrs(true),
    group: { kind: "int", doc: "number of groups (default 1)", default: I(1) },
    kernel_shape: { kind: "ints", doc: "spatial kernel shape (default: from W)" },
  },
  infer: (ins, a) => {
    const [X, W, B] = ins;
    const e = sameElements(ins);
    checkSpatialRank(X!, "Conv");
    if (rank(W!) !== rank(X!)) bad(`Conv weight ${dimsToString(W!.shape)} must have the input's rank ${rank(X!)}`);
    const w = staticDims(W!.shape, "Conv weight shape");
    const spatial = staticDims(X!.shape.slice(2), "Conv spatial dims");
    const group = a.int("group");
    const c = X!.shape[1]!;
    if (group < 1 || w[0]! % group !== 0) bad(`group ${group} must divide the ${w[0]} output channels`);
    if (c !== null && w[1]! * group !== c) bad(`weight has ${w[1]} channels per group, input has ${c} channels in ${group} group(s)`);
    const kernel = a.ints("kernel_shape") ?? w.slice(2);
    if (kernel.some((k, i) => k !== w[i + 2])) bad(`kernel_shape ${dimsToString(kernel)} differs from the weight's ${dimsToString(w.slice(2))}`);
    if (B && (rank(B) !== 1 || !dimsCompatible(B.shape[0]!, w[0]!))) bad(`bias shape ${dimsToString(B.shape)} should be [${w[0]}]`);
    const g = windowGeometry(spatial, kernel, a, false);
    return [tensor([X!.shape[0]!, w[0]!, ...g.out], e)];
  },
  ok: { ins: [T("?x2x5x5"), T("4x1x3x3"), T("4")], out: T("?x4x3x3"), attrs: "{group = 2, strides = [2, 2], pads = [1, 1, 1, 1]}" },
  error: { ins: [T("1x3x5x5"), T("4x2x3x3")], out: T("1x4x3x3"), message: "weight has 2 channels per group, input has 3 channels in 1 group(s)" },
};

/** Geometry of a ConvTranspose: output size stride·(in−1) + output_padding + (k−1)·d + 1 − pads. */
export function convTransposeGeometry(spatial: readonly number[], kernel: readonly number[], a: OnnxAttrs): WindowGeometry & { outputPadding: number[] } {
  const n = spatial.length;
  const autoPad = a.str("auto_pad");
  if (autoPad !== "NOTSET" && autoPad !== "VALID") bad(`ConvTranspose auto_pad ${autoPad} is not supported (use explicit pads)`);
  if (a.has("output_shape")) bad("ConvTranspose output_shape is not supported (use pads and output_padding)");
  const strides = a.ints("strides") ?? new Array<number>(n).fill(1);
  const dilations = a.ints("dilations") ?? new Array<number>(n).fill(1);
  const pads = autoPad === "VALID" ? new Array<number>(2 * n).fill(0) : (a.ints("pads") ?? new Array<number>(2 * n).fill(0));
  const outputPadding = a.ints("output_padding") ?? new Array<number>(n).fill(0);
  if (strides.length !== n || dilations.length !== n || outputPadding.length !== n) bad(`strides, dilations and output_padding must have ${n} values`);
  if (pads.length !== 2 * n) bad(`pads must have ${2 * n} values, got ${pads.length}`);
  if (strides.some((v) => v < 1) || dilations.some((v) => v < 1)) bad("strides and dilations must be positive");
  if (outputPadding.some((p, i) => p < 0 || p >= Math.max(strides[i]!, dilations[i]!))) bad("output_padding must be smaller than the stride or the dilation");
  // The inverse of a convolution's output size: every input position spreads one window.
  const out = spatial.map((d, i) => windowSpan(d, kernel[i]!, strides[i]!, dilations[i]!) + outputPadding[i]! - pads[i]! - pads[i + n]!);
  if (out.some((o) => o < 1)) bad(`ConvTranspose output size ${dimsToString(out)} is not positive`);
  return { kernel: [...kernel], strides, dilations, padBegin: pads.slice(0, n), padEnd: pads.slice(n), out, outputPadding };
}

const convTranspose: OnnxOpDecl = {
  type: "ConvTranspose",
  summary: "1-D or 2-D transposed convolution, weight [C, M/group, k...], optional bias [M].",
  notes: "explicit pads or VALID; no output_shape, no SAME auto_pad",
  inputs: [x1("X", floatTensor), x1("W", floatTensor), { name: "B", type: floatTensor, arity: "optional" }],
  outputs: out1(floatTensor),
  attrs: {
    ...windowAttrs(true),
    group: { kind: "int", doc: "number of groups (default 1)", default: I(1) },
    kernel_shape: { kind: "ints", doc: "spatial kernel shape (default: from W)" },
    output_padding: { kind: "ints", doc: "extra size at the end of each spatial axis (default 0)" },
    output_shape: { kind: "ints", doc: "not supported" },
  },
  infer: (ins, a) => {
    const [X, W, B] = ins;
    const e = sameElements(ins);
    checkSpatialRank(X!, "ConvTranspose");
    if (rank(W!) !== rank(X!)) bad(`ConvTranspose weight ${dimsToString(W!.shape)} must have the input's rank ${rank(X!)}`);
    const w = staticDims(W!.shape, "ConvTranspose weight shape");
    const spatial = staticDims(X!.shape.slice(2), "ConvTranspose spatial dims");
    const group = a.int("group");
    const c = X!.shape[1]!;
    if (group < 1 || w[0]! % group !== 0) bad(`group ${group} must divide the ${w[0]} input channels of the weight`);
    if (c !== null && c !== w[0]) bad(`weight has ${w[0]} input channels, input has ${c}`);
    const m = w[1]! * group;
    const kernel = a.ints("kernel_shape") ?? w.slice(2);
    if (kernel.some((k, i) => k !== w[i + 2])) bad(`kernel_shape ${dimsToString(kernel)} differs from the weight's ${dimsToString(w.slice(2))}`);
    if (B && (rank(B) !== 1 || !dimsCompatible(B.shape[0]!, m))) bad(`bias shape ${dimsToString(B.shape)} should be [${m}]`);
    const g = convTransposeGeometry(spatial, kernel, a);
    return [tensor([X!.shape[0]!, m, ...g.out], e)];
  },
  ok: { ins: [T("?x2x3x3"), T("2x4x3x3"), T("4")], out: T("?x4x6x6"), attrs: "{strides = [2, 2], pads = [1, 1, 1, 1], output_padding = [1, 1]}" },
  error: { ins: [T("1x3x3x3"), T("2x4x3x3")], out: T("1x4x5x5"), message: "weight has 2 input channels, input has 3" },
};

function poolInfer(kind: "avg" | "max"): OnnxInfer {
  return (ins, a) => {
    const X = ins[0]!;
    checkSpatialRank(X, kind === "avg" ? "AveragePool" : "MaxPool");
    const spatial = staticDims(X.shape.slice(2), "pooling spatial dims");
    const kernel = a.ints("kernel_shape") ?? bad("kernel_shape is required");
    if (kind === "max" && a.int("storage_order") !== 0) bad("storage_order 1 (column major) is not supported");
    const g = windowGeometry(spatial, kernel, a, a.int("ceil_mode") !== 0);
    return [tensor([X.shape[0]!, X.shape[1]!, ...g.out], X.element)];
  };
}

const averagePool: OnnxOpDecl = {
  type: "AveragePool",
  summary: "Average pooling over 1-D or 2-D windows.",
  inputs: [x1("X", floatTensor)],
  outputs: out1(floatTensor),
  attrs: {
    ...windowAttrs(true),
    ceil_mode: { kind: "int", doc: "ceil instead of floor for the output size (default 0)", default: I(0) },
    count_include_pad: { kind: "int", doc: "count padding in the divisor (default 0)", default: I(0) },
    kernel_shape: { kind: "ints", doc: "window shape", required: true },
  },
  infer: poolInfer("avg"),
  ok: { ins: [T("?x3x6x6")], out: T("?x3x3x3"), attrs: "{kernel_shape = [2, 2], strides = [2, 2]}" },
  error: { ins: [T("1x3x6x6")], out: T("1x3x3x3"), attrs: "{kernel_shape = [2, 2], pads = [1, 1]}", message: "pads must have 4 values, got 2" },
};

const maxPool: OnnxOpDecl = {
  type: "MaxPool",
  summary: "Max pooling over 1-D or 2-D windows (the Indices output is not supported).",
  inputs: [x1("X", floatTensor)],
  outputs: out1(floatTensor),
  attrs: {
    ...windowAttrs(true),
    ceil_mode: { kind: "int", doc: "ceil instead of floor for the output size (default 0)", default: I(0) },
    kernel_shape: { kind: "ints", doc: "window shape", required: true },
    storage_order: { kind: "int", doc: "must be 0 (row major)", default: I(0) },
  },
  infer: poolInfer("max"),
  ok: { ins: [T("1x3x5x5")], out: T("1x3x3x3"), attrs: "{ceil_mode = 1, kernel_shape = [2, 2], strides = [2, 2]}" },
  error: { ins: [T("1x3x5x5")], out: T("1x3x2x2"), attrs: "{kernel_shape = [2, 2], strides = [0, 2]}", message: "strides and dilations must be positive" },
};

const globalAveragePool: OnnxOpDecl = {
  type: "GlobalAveragePool",
  summary: "Mean over all spatial axes; keeps them as size 1.",
  inputs: [x1("X", floatTensor)],
  outputs: out1(floatTensor),
  attrs: {},
  infer: (ins) => {
    const X = ins[0]!;
    if (rank(X) < 3) bad(`GlobalAveragePool input must have rank ≥ 3, got ${dimsToString(X.shape)}`);
    return [tensor([X.shape[0]!, X.shape[1]!, ...X.shape.slice(2).map(() => 1)], X.element)];
  },
  ok: { ins: [T("?x3x4x4")], out: T("?x3x1x1") },
  error: { ins: [T("2x3")], out: T("2x3"), message: "GlobalAveragePool input must have rank ≥ 3, got [2, 3]" },
};

const batchNorm: OnnxOpDecl = {
  type: "BatchNormalization",
  summary: "Inference batch normalization: scale * (X - mean) / sqrt(var + epsilon) + B per channel (axis 1).",
  notes: "training_mode must be 0; only the first output",
  inputs: [x1("X", floatTensor), x1("scale", floatTensor), x1("B", floatTensor), x1("input_mean", floatTensor), x1("input_var", floatTensor)],
  outputs: out1(floatTensor),
  attrs: {
    epsilon: { kind: "float", doc: "added to the variance (default 1e-5)", default: F(1e-5) },
    momentum: { kind: "float", doc: "ignored in inference" },
  },
  infer: (ins) => {
    const X = ins[0]!;
    if (rank(X) < 2) bad(`BatchNormalization input must have rank ≥ 2, got ${dimsToString(X.shape)}`);
    const c = X.shape[1]!;
    for (const p of ins.slice(1)) {
      if (rank(p) !== 1 || !dimsCompatible(p.shape[0]!, c)) bad(`BatchNormalization parameters must have shape [${c}], got ${dimsToString(p.shape)}`);
    }
    return [X];
  },
  ok: { ins: [T("?x2x3"), T("2"), T("2"), T("2"), T("2")], out: T("?x2x3"), attrs: "{epsilon = 0.001}" },
  error: { ins: [T("4x2x3"), T("3"), T("2"), T("2"), T("2")], out: T("4x2x3"), message: "BatchNormalization parameters must have shape [2], got [3]" },
};

const reduceAttrs: Record<string, OnnxAttrDecl> = {
  axes: { kind: "ints", doc: "axes to reduce (default: all; from the axes input in newer opsets)" },
  keepdims: { kind: "int", doc: "keep reduced axes as size 1 (default 1)", default: I(1) },
  noop_with_empty_axes: { kind: "int", doc: "empty axes mean identity instead of all (default 0)", default: I(0) },
};

function reduce(type: string, summary: string): OnnxOpDecl {
  return {
    type,
    summary,
    notes: "axes attribute (opset < 13/18) or constant axes input",
    inputs: [x1("data")],
    outputs: out1(numericTensor),
    attrs: reduceAttrs,
    infer: inferReduce,
    ok: { ins: [T("?x3x4")], out: T("?x1x4"), attrs: "{axes = [1]}" },
    error: { ins: [T("2x3")], out: T("2x3"), attrs: "{axes = [2]}", message: "axis 2 is out of range for rank 2" },
  };
}

const softmax: OnnxOpDecl = {
  type: "Softmax",
  summary: "exp(x) / sum(exp(x)) along one axis (opset-13 semantics).",
  notes: "before opset 13 only the last axis",
  inputs: [x1("input", floatTensor)],
  outputs: out1(floatTensor),
  attrs: { axis: { kind: "int", doc: "axis (default -1)", default: I(-1) } },
  infer: (ins, a) => {
    normAxis(a.int("axis"), rank(ins[0]!));
    return [ins[0]!];
  },
  ok: { ins: [T("?x10")], out: T("?x10"), attrs: "{axis = 1}" },
  error: { ins: [T("2x10")], out: T("2x10"), attrs: "{axis = 2}", message: "axis 2 is out of range for rank 2" },
};

const argMax: OnnxOpDecl = {
  type: "ArgMax",
  summary: "Index of the largest element along an axis (i64).",
  inputs: [x1("data")],
  outputs: out1(indexTensor),
  attrs: {
    axis: { kind: "int", doc: "axis (default 0)", default: I(0) },
    keepdims: { kind: "int", doc: "keep the axis as size 1 (default 1)", default: I(1) },
    select_last_index: { kind: "int", doc: "on ties pick the last index (default 0)", default: I(0) },
  },
  infer: (ins, a) => {
    const x = ins[0]!;
    const axis = normAxis(a.int("axis"), rank(x));
    const shape = a.int("keepdims") ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
    return [tensor(shape, i64)];
  },
  ok: { ins: [T("?x3")], out: T("?", "i64"), attrs: "{axis = 1, keepdims = 0}" },
  error: { ins: [T("4x3")], out: T("4x1", "i64"), attrs: "{axis = 1, keepdims = 0}", message: "result #0 type tensor<4x1xi64> should be tensor<4xi64>" },
};

const cast: OnnxOpDecl = {
  type: "Cast",
  summary: "Converts elements to another type (float→int truncates toward zero; →i1 is x != 0).",
  inputs: [x1("input", onnxTensor)],
  outputs: out1(),
  attrs: { to: { kind: "type", doc: "target element type", required: true } },
  infer: (ins, a) => {
    const to = a.type("to");
    if (!to || !isOnnxElement(to)) bad("Cast 'to' must be an ONNX element type");
    return [tensor(ins[0]!.shape, to)];
  },
  ok: { ins: [T("?x3", "i1")], out: T("?x3"), attrs: "{to = f32}" },
  error: { ins: [T("2x3", "i1")], out: T("2x3", "i64"), attrs: "{to = f32}", message: "result #0 type tensor<2x3xi64> should be tensor<2x3xf32>" },
};

const reshape: OnnxOpDecl = {
  type: "Reshape",
  summary: "Reshapes to a constant target (0 copies the input dim, -1 is inferred).",
  notes: "target folded from the shape input (shape sub-graphs are evaluated at import)",
  inputs: [x1("data", onnxTensor)],
  outputs: out1(),
  attrs: {
    shape: { kind: "ints", doc: "target shape (ONNX semantics for 0 and -1)", required: true },
    allowzero: { kind: "int", doc: "0 means a zero-size dim instead of copy (default 0)", default: I(0) },
  },
  infer: (ins, a) => [tensor(reshapeDims(ins[0]!.shape, a.ints("shape") ?? [], a.int("allowzero") !== 0), ins[0]!.element)],
  ok: { ins: [T("?x8x3x3")], out: T("?x72"), attrs: "{shape = [0, -1]}" },
  error: { ins: [T("2x6")], out: T("5x2"), attrs: "{shape = [5, 2]}", message: "cannot reshape [2, 6] (12 elements) to [5, 2] (10 elements)" },
};

const flatten: OnnxOpDecl = {
  type: "Flatten",
  summary: "Flattens to 2-D: [prod(dims before axis), prod(dims from axis)].",
  inputs: [x1("input", onnxTensor)],
  outputs: out1(),
  attrs: { axis: { kind: "int", doc: "split point (default 1)", default: I(1) } },
  infer: (ins, a) => {
    const x = ins[0]!;
    const r = rank(x);
    const ax = a.int("axis");
    if (ax < -r || ax > r) bad(`axis ${ax} is out of range for rank ${r}`);
    const axis = ax < 0 ? ax + r : ax;
    const prod = (ds: readonly Dim[]) => ds.reduce<Dim>((p, d) => dimMul(p, d), 1);
    return [tensor([prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))], x.element)];
  },
  ok: { ins: [T("?x2x3x3")], out: T("?x18") },
  error: { ins: [T("2x3")], out: T("6"), attrs: "{axis = 3}", message: "axis 3 is out of range for rank 2" },
};

const transpose: OnnxOpDecl = {
  type: "Transpose",
  summary: "Permutes axes (default: reverses them).",
  inputs: [x1("data", onnxTensor)],
  outputs: out1(),
  attrs: { perm: { kind: "ints", doc: "permutation (default reversed)" } },
  infer: (ins, a) => {
    const x = ins[0]!;
    const r = rank(x);
    const perm = a.ints("perm") ?? x.shape.map((_, i) => r - 1 - i);
    if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) bad(`perm ${dimsToString(perm)} is not a permutation of rank ${r}`);
    return [tensor(perm.map((p) => x.shape[p]!), x.element)];
  },
  ok: { ins: [T("?x3x4")], out: T("?x4x3"), attrs: "{perm = [0, 2, 1]}" },
  error: { ins: [T("2x3x4")], out: T("2x4x3"), attrs: "{perm = [0, 2, 2]}", message: "perm [0, 2, 2] is not a permutation of rank 3" },
};

const squeeze: OnnxOpDecl = {
  type: "Squeeze",
  summary: "Removes size-1 axes (all of them when axes is absent).",
  notes: "axes attribute or constant axes input",
  inputs: [x1("data", onnxTensor)],
  outputs: out1(),
  attrs: { axes: { kind: "ints", doc: "axes to remove (default: every size-1 axis)" } },
  infer: (ins, a) => {
    const x = ins[0]!;
    const given = a.ints("axes");
    let axes: number[];
    if (given) {
      axes = given.map((ax) => normAxis(ax, rank(x)));
      const wrong = axes.find((ax) => x.shape[ax] !== 1 && x.shape[ax] !== null);
      if (wrong !== undefined) bad(`cannot squeeze axis ${wrong} of size ${x.shape[wrong]}`);
    } else {
      if (x.shape.some((d) => d === null)) bad("Squeeze without axes needs a static shape");
      axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    }
    const set = new Set(axes);
    return [tensor(x.shape.filter((_, i) => !set.has(i)), x.element)];
  },
  ok: { ins: [T("?x1x3")], out: T("?x3"), attrs: "{axes = [1]}" },
  error: { ins: [T("2x3")], out: T("2"), attrs: "{axes = [1]}", message: "cannot squeeze axis 1 of size 3" },
};

const unsqueeze: OnnxOpDecl = {
  type: "Unsqueeze",
  summary: "Inserts size-1 axes at the given positions of the result.",
  notes: "axes attribute (opset < 13) or constant axes input",
  inputs: [x1("data", onnxTensor)],
  outputs: out1(),
  attrs: { axes: { kind: "ints", doc: "positions in the result", required: true } },
  infer: (ins, a) => {
    const x = ins[0]!;
    const r = rank(x) + (a.ints("axes") ?? []).length;
    const axes = new Set((a.ints("axes") ?? []).map((ax) => normAxis(ax, r)));
    if (axes.size !== (a.ints("axes") ?? []).length) bad("Unsqueeze axes repeat an axis");
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) out.push(axes.has(i) ? 1 : x.shape[k++]!);
    return [tensor(out, x.element)];
  },
  ok: { ins: [T("?x3")], out: T("?x1x3"), attrs: "{axes = [1]}" },
  error: { ins: [T("2x3")], out: T("2x3x1"), attrs: "{axes = [3]}", message: "axis 3 is out of range for rank 3" },
};

const concat: OnnxOpDecl = {
  type: "Concat",
  summary: "Joins tensors along an axis.",
  inputs: [{ name: "inputs", type: onnxTensor, arity: "variadic" }],
  outputs: out1(),
  attrs: { axis: { kind: "int", doc: "axis", required: true } },
  infer: (ins, a) => {
    if (ins.length === 0) bad("Concat needs at least one operand");
    const e = sameElements(ins);
    const r = rank(ins[0]!);
    if (ins.some((t) => rank(t) !== r)) bad(`Concat operands must share one rank, got ${ins.map((t) => dimsToString(t.shape)).join(" and ")}`);
    const axis = normAxis(a.int("axis"), r);
    const out: Dim[] = [...ins[0]!.shape];
    for (const t of ins.slice(1)) {
      t.shape.forEach((d, i) => {
        if (i === axis) out[i] = out[i] === null || d === null ? null : out[i]! + d;
        else if (!dimsCompatible(out[i]!, d)) bad(`Concat operands differ on axis ${i}: ${dimsToString(ins[0]!.shape)} and ${dimsToString(t.shape)}`);
        else if (out[i] === null) out[i] = d;
      });
    }
    return [tensor(out, e)];
  },
  ok: { ins: [T("?x2"), T("?x3")], out: T("?x5"), attrs: "{axis = 1}" },
  error: { ins: [T("2x2"), T("3x3")], out: T("2x5"), attrs: "{axis = 1}", message: "Concat operands differ on axis 0: [2, 2] and [3, 3]" },
};

const pad: OnnxOpDecl = {
  type: "Pad",
  summary: "Pads with a constant, or by reflecting or repeating the edge.",
  notes: "pads/constant_value/axes attributes or constant inputs; modes constant, reflect, edge",
  inputs: [x1("data", onnxTensor)],
  outputs: out1(),
  attrs: {
    pads: { kind: "ints", doc: "[begin_0, …, end_0, …] for every axis (negative crops)", required: true },
    mode: { kind: "string", doc: "constant, reflect or edge (default constant)", default: S("constant") },
    value: { kind: "float", doc: "fill value in constant mode (default 0)", default: F(0) },
  },
  infer: (ins, a) => {
    const x = ins[0]!;
    const r = rank(x);
    const pads = padAmounts(r, a);
    const mode = a.str("mode");
    if (mode !== "constant" && mode !== "reflect" && mode !== "edge") bad(`Pad mode "${mode}" is not supported (constant, reflect, edge)`);
    const out = x.shape.map((d, i) => (d === null ? null : d + pads[i]! + pads[i + r]!));
    out.forEach((d, i) => {
      if (d !== null && d < 0) bad(`Pad makes axis ${i} negative`);
      if (mode === "reflect" && x.shape[i] !== null && (pads[i]! >= x.shape[i]! || pads[i + r]! >= x.shape[i]!)) bad(`reflect pads on axis ${i} must be smaller than its size ${x.shape[i]}`);
    });
    return [tensor(out, x.element)];
  },
  ok: { ins: [T("?x3x4x4")], out: T("?x3x6x6"), attrs: '{pads = [0, 0, 1, 1, 0, 0, 1, 1], mode = "reflect"}' },
  error: { ins: [T("2x3")], out: T("4x5"), attrs: "{pads = [1, 1]}", message: "Pad pads must have 4 values for rank 2, got 2" },
};

const gather: OnnxOpDecl = {
  type: "Gather",
  summary: "Selects slices along an axis by integer indices (negative indices count from the end).",
  inputs: [x1("data", onnxTensor), x1("indices", indexTensor)],
  outputs: out1(),
  attrs: { axis: { kind: "int", doc: "axis (default 0)", default: I(0) } },
  infer: (ins, a) => {
    const [d, idx] = ins;
    const axis = normAxis(a.int("axis"), rank(d!));
    return [tensor([...d!.shape.slice(0, axis), ...idx!.shape, ...d!.shape.slice(axis + 1)], d!.element)];
  },
  ok: { ins: [T("?x5"), T("2", "i64")], out: T("?x2"), attrs: "{axis = 1}" },
  error: { ins: [T("3x5"), T("2", "i64")], out: T("3x2"), attrs: "{axis = 2}", message: "axis 2 is out of range for rank 2" },
};

const sliceOp: OnnxOpDecl = {
  type: "Slice",
  summary: "Strided slice with constant starts/ends/axes/steps (ONNX clamping).",
  notes: "starts/ends/axes/steps attributes or constant inputs",
  inputs: [x1("data", onnxTensor)],
  outputs: out1(),
  attrs: {
    starts: { kind: "ints", doc: "start per sliced axis", required: true },
    ends: { kind: "ints", doc: "end per sliced axis (clamped)", required: true },
    axes: { kind: "ints", doc: "sliced axes (default 0..n-1)" },
    steps: { kind: "ints", doc: "step per sliced axis (default 1)" },
  },
  infer: (ins, a) => {
    const x = ins[0]!;
    const p = sliceParams(rank(x), a);
    const out: Dim[] = [...x.shape];
    p.axes.forEach((ax, i) => {
      const dim = x.shape[ax]!;
      if (dim === null) {
        const whole = p.starts[i] === 0 && p.steps[i] === 1 && p.ends[i]! >= 2 ** 31 - 1;
        out[ax] = whole ? null : bad(`Slice of the dynamic axis ${ax} is only supported when it keeps the whole axis`);
        return;
      }
      const b = sliceBounds(dim, p.starts[i]!, p.ends[i]!, p.steps[i]!);
      out[ax] = b.step > 0 ? Math.max(0, Math.ceil((b.end - b.start) / b.step)) : Math.max(0, Math.ceil((b.start - b.end) / -b.step));
    });
    return [tensor(out, x.element)];
  },
  ok: { ins: [T("?x10")], out: T("?x4"), attrs: "{starts = [1], ends = [-1], axes = [1], steps = [2]}" },
  error: { ins: [T("4x10")], out: T("4x4"), attrs: "{starts = [1], ends = [9], axes = [1], steps = [0]}", message: "Slice step must not be 0" },
};

const expand: OnnxOpDecl = {
  type: "Expand",
  summary: "Broadcasts to a constant shape (bidirectional broadcasting).",
  notes: "shape folded from the shape input",
  inputs: [x1("input", onnxTensor)],
  outputs: out1(),
  attrs: { shape: { kind: "ints", doc: "target shape", required: true } },
  infer: (ins, a) => {
    const x = ins[0]!;
    const shape = broadcastDims(x.shape, a.ints("shape") ?? []);
    if (!shape) bad(`cannot expand ${dimsToString(x.shape)} to ${dimsToString(a.ints("shape") ?? [])}`);
    return [tensor(shape, x.element)];
  },
  ok: { ins: [T("?x1")], out: T("?x4"), attrs: "{shape = [1, 4]}" },
  error: { ins: [T("2x3")], out: T("2x4"), attrs: "{shape = [2, 4]}", message: "cannot expand [2, 3] to [2, 4]" },
};

const shapeOp: OnnxOpDecl = {
  type: "Shape",
  summary: "The input's shape as a 1-D i64 tensor (folded at import when static).",
  inputs: [x1("data", onnxTensor)],
  outputs: out1(indexTensor),
  attrs: {
    start: { kind: "int", doc: "first axis (default 0)", default: I(0) },
    end: { kind: "int", doc: "end axis, exclusive (default: rank)" },
  },
  infer: (ins, a) => {
    const r = rank(ins[0]!);
    const { start, end } = shapeRange(r, a);
    return [tensor([Math.max(0, end - start)], i64)];
  },
  ok: { ins: [T("?x3x4")], out: T("2", "i64"), attrs: "{start = 1}" },
  error: { ins: [T("2x3")], out: T("3", "i64"), message: "result #0 type tensor<3xi64> should be tensor<2xi64>" },
};

/** The axes range [start, end) a Shape op reports (ONNX clamping). */
export function shapeRange(r: number, a: OnnxAttrs): { start: number; end: number } {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const endAttr = a.get("end");
  return { start: clamp(a.int("start")), end: endAttr ? clamp(a.int("end")) : r };
}

const constantOfShape: OnnxOpDecl = {
  type: "ConstantOfShape",
  summary: "A tensor of a constant shape filled with one value.",
  notes: "shape folded from its input",
  inputs: [],
  outputs: out1(),
  attrs: {
    shape: { kind: "ints", doc: "result shape", required: true },
    value: { kind: "dense", doc: "one-element fill value (default 0.0 : f32)" },
  },
  infer: (_ins, a) => {
    const shape = a.ints("shape") ?? [];
    if (shape.some((d) => d < 0)) bad(`shape ${dimsToString(shape)} has a negative dim`);
    const v = a.dense("value");
    if (v && v.data.length !== 1) bad("value must hold exactly one element");
    return [tensor(shape, v ? v.type.element : f32)];
  },
  ok: { ins: [], out: T("2x3", "i64"), attrs: "{shape = [2, 3], value = dense<[1]> : tensor<1xi64>}" },
  error: { ins: [], out: T("2x3"), attrs: "{shape = [2, -3]}", message: "shape [2, -3] has a negative dim" },
};

const constantOp: OnnxOpDecl = {
  type: "Constant",
  summary: "A constant tensor (initializers and Constant nodes).",
  inputs: [],
  outputs: out1(),
  attrs: { value: { kind: "dense", doc: "the value", required: true } },
  infer: (_ins, a) => {
    const v = a.dense("value") ?? bad("Constant needs a dense value");
    if (!isOnnxElement(v.type.element)) bad(`Constant element type ${typeToString(v.type.element)} is not an ONNX type`);
    const e = v.type.element;
    if (e.kind === "int") {
      const lo = e.width === 1 ? 0 : e.signed ? -(2 ** (e.width - 1)) : 0;
      const hi = e.width === 1 ? 1 : e.signed ? 2 ** (e.width - 1) - 1 : 2 ** e.width - 1;
      const wrong = v.data.find((x) => !Number.isInteger(x) || x < lo || x > hi);
      if (wrong !== undefined) bad(`value ${wrong} does not fit ${typeToString(e)}`);
    }
    return [v.type];
  },
  ok: { ins: [], out: T("2"), attrs: "{value = dense<[0.5, -1.0]> : tensor<2xf32>}" },
  error: { ins: [], out: T("2", "i8"), attrs: "{value = dense<[1, 300]> : tensor<2xi8>}", message: "value 300 does not fit i8" },
};

const clip: OnnxOpDecl = {
  type: "Clip",
  summary: "Clamps to [min, max] (either bound optional).",
  notes: "min/max attributes (opset < 11) or constant inputs",
  inputs: [x1("input", numericTensor)],
  outputs: out1(numericTensor),
  attrs: {
    min: { kind: "float", doc: "lower bound (default: none)" },
    max: { kind: "float", doc: "upper bound (default: none)" },
  },
  infer: (ins, a) => {
    const lo = a.optFloat("min");
    const hi = a.optFloat("max");
    if (lo !== undefined && hi !== undefined && lo > hi) bad(`Clip min ${lo} is larger than max ${hi}`);
    return [ins[0]!];
  },
  ok: { ins: [T("?x3")], out: T("?x3"), attrs: "{min = 0.0, max = 6.0}" },
  error: { ins: [T("2x3")], out: T("2x3"), attrs: "{min = 2.0, max = 1.0}", message: "Clip min 2 is larger than max 1" },
};

const dropout: OnnxOpDecl = {
  type: "Dropout",
  summary: "Identity in inference (the mask output is not supported).",
  inputs: [x1("data", floatTensor)],
  outputs: out1(floatTensor),
  attrs: { ratio: { kind: "float", doc: "ignored in inference" }, seed: { kind: "int", doc: "ignored" } },
  infer: sameType,
  ok: { ins: [T("?x3")], out: T("?x3") },
  error: { ins: [T("2x3")], out: T("2x3", "f64"), message: "result #0 type tensor<2x3xf64> should be tensor<2x3xf32>" },
};

const pow: OnnxOpDecl = {
  type: "Pow",
  summary: "A ^ B elementwise (broadcasting; the result has A's type).",
  inputs: [x1("X"), x1("Y")],
  outputs: out1(numericTensor),
  attrs: {},
  infer: (ins) => [tensor(broadcastAll(ins), ins[0]!.element)],
  notes: "numpy broadcasting",
  ok: { ins: [T("2x3"), T("", "f32")], out: T("2x3") },
  error: { ins: [T("2x3"), T("2")], out: T("2x3"), message: "operand shapes [2, 3] and [2] do not broadcast" },
};

const prelu: OnnxOpDecl = {
  type: "PRelu",
  summary: "x < 0 ? slope * x : x, slope broadcast to x.",
  inputs: [x1("X", floatTensor), x1("slope", floatTensor)],
  outputs: out1(floatTensor),
  attrs: {},
  infer: (ins) => {
    const [x, s] = ins;
    sameElements(ins);
    const b = broadcastDims(x!.shape, s!.shape);
    if (!b || b.length !== rank(x!) || b.some((d, i) => !dimsCompatible(d, x!.shape[i]!))) bad(`slope ${dimsToString(s!.shape)} does not broadcast to ${dimsToString(x!.shape)}`);
    return [x!];
  },
  ok: { ins: [T("?x3x2x2"), T("3x1x1")], out: T("?x3x2x2") },
  error: { ins: [T("2x3"), T("2")], out: T("2x3"), message: "slope [2] does not broadcast to [2, 3]" },
};

const where: OnnxOpDecl = {
  type: "Where",
  summary: "condition ? X : Y elementwise (broadcasting).",
  inputs: [x1("condition", boolTensor), x1("X", onnxTensor), x1("Y", onnxTensor)],
  outputs: out1(),
  attrs: {},
  infer: (ins) => [tensor(broadcastAll(ins), sameElements(ins.slice(1)))],
  notes: "numpy broadcasting",
  ok: { ins: [T("?x3", "i1"), T("?x3"), T("3")], out: T("?x3") },
  error: { ins: [T("2x3", "i1"), T("2x3"), T("3", "i64")], out: T("2x3"), message: "operands must share one element type, got f32 and i64" },
};

function variadicMinMax(type: string, summary: string): OnnxOpDecl {
  return {
    type,
    summary,
    notes: "numpy broadcasting",
    inputs: [{ name: "data", type: numericTensor, arity: "variadic" }],
    outputs: out1(numericTensor),
    attrs: {},
    infer: (ins) => {
      if (ins.length === 0) bad(`${type} needs at least one operand`);
      return [tensor(broadcastAll(ins), sameElements(ins))];
    },
    ok: { ins: [T("?x3"), T("3"), T("")], out: T("?x3") },
    error: { ins: [T("2x3"), T("2")], out: T("2x3"), message: "operand shapes [2, 3] and [2] do not broadcast" },
  };
}

function quantize(): OnnxOpDecl {
  return {
    type: "QuantizeLinear",
    summary: "saturate(round(x / scale) + zero_point) to the zero point's integer type (ui8 without one).",
    notes: "per-tensor or per-axis; no blocked quantization",
    inputs: [x1("x"), x1("y_scale", floatTensor), { name: "y_zero_point", type: intTensor, arity: "optional" }],
    outputs: out1(intTensor),
    attrs: {
      axis: { kind: "int", doc: "axis of per-axis parameters (default 1)", default: I(1) },
      saturate: { kind: "int", doc: "float8 only; ignored", default: I(1) },
    },
    infer: (ins, a) => {
      quantAxis(ins[0]!, ins[1]!, a);
      checkQuantParams(ins);
      return [tensor(ins[0]!.shape, ins[2] ? ins[2].element : { kind: "int", width: 8, signed: false })];
    },
    ok: { ins: [T("?x4"), T("4"), T("4", "i8")], out: T("?x4", "i8"), attrs: "{axis = 1}" },
    error: { ins: [T("2x4"), T("3"), T("3", "i8")], out: T("2x4", "i8"), message: "per-axis scale has 3 values but axis 1 of [2, 4] has 4" },
  };
}

function dequantize(): OnnxOpDecl {
  return {
    type: "DequantizeLinear",
    summary: "(x - zero_point) * scale, in the scale's float type.",
    notes: "per-tensor or per-axis; no blocked quantization",
    inputs: [x1("x", intTensor), x1("x_scale", floatTensor), { name: "x_zero_point", type: intTensor, arity: "optional" }],
    outputs: out1(floatTensor),
    attrs: { axis: { kind: "int", doc: "axis of per-axis parameters (default 1)", default: I(1) } },
    infer: (ins, a) => {
      quantAxis(ins[0]!, ins[1]!, a);
      checkQuantParams(ins);
      if (ins[2] && !typeEquals(ins[2].element, ins[0]!.element)) bad(`zero point type ${typeToString(ins[2].element)} differs from input type ${typeToString(ins[0]!.element)}`);
      return [tensor(ins[0]!.shape, ins[1]!.element)];
    },
    ok: { ins: [T("4x3", "i8"), T("3"), T("3", "i8")], out: T("4x3"), attrs: "{axis = 1}" },
    error: { ins: [T("4x3", "i8"), T(""), T("", "ui8")], out: T("4x3"), message: "zero point type ui8 differs from input type i8" },
  };
}

export const ONNX_OPS: readonly OnnxOpDecl[] = [
  gemm,
  matmul,
  conv,
  convTranspose,
  averagePool,
  maxPool,
  globalAveragePool,
  batchNorm,
  reduce("ReduceSum", "Sum over axes."),
  reduce("ReduceMean", "Mean over axes."),
  binary("Add", "A + B.", numericTensor, broadcastSame),
  binary("Sub", "A - B.", numericTensor, broadcastSame),
  binary("Mul", "A * B.", numericTensor, broadcastSame),
  binary("Div", "A / B (integer division truncates).", numericTensor, broadcastSame),
  pow,
  unary("Neg", "-x.", { operand: numericTensor }),
  unary("Abs", "|x|.", { operand: numericTensor }),
  unary("Sign", "-1, 0 or 1.", { operand: numericTensor }),
  unary("Relu", "max(0, x).", { operand: numericTensor }),
  prelu,
  unary("LeakyRelu", "x < 0 ? alpha * x : x.", { attrs: ALPHA(0.01), okAttrs: "{alpha = 0.1}" }),
  unary("Elu", "x < 0 ? alpha * (exp(x) - 1) : x.", { attrs: ALPHA(1) }),
  unary("Selu", "gamma * (x ≤ 0 ? alpha * (exp(x) - 1) : x).", {
    attrs: {
      alpha: { kind: "float", doc: "alpha (default 1.67326…)", default: F(1.6732632423543772) },
      gamma: { kind: "float", doc: "gamma (default 1.0507…)", default: F(1.0507009873554805) },
    },
  }),
  unary("Celu", "max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).", { attrs: ALPHA(1) }),
  unary("HardSigmoid", "max(0, min(1, alpha * x + beta)).", {
    attrs: { ...ALPHA(0.2), beta: { kind: "float", doc: "beta (default 0.5)", default: F(0.5) } },
    okAttrs: "{alpha = 0.25, beta = 0.5}",
  }),
  unary("ThresholdedRelu", "x > alpha ? x : 0.", { attrs: ALPHA(1) }),
  ...unaryMath.map(([name, what]) => unary(name, `${what[0]!.toUpperCase()}${what.slice(1)}.`)),
  clip,
  cast,
  unary("Identity", "Returns its input.", { operand: onnxTensor }),
  dropout,
  reshape,
  flatten,
  transpose,
  squeeze,
  unsqueeze,
  concat,
  pad,
  gather,
  sliceOp,
  expand,
  shapeOp,
  constantOfShape,
  constantOp,
  binary("Greater", "A > B (i1).", numericTensor, compare, "i1"),
  binary("GreaterOrEqual", "A >= B (i1).", numericTensor, compare, "i1"),
  binary("Less", "A < B (i1).", numericTensor, compare, "i1"),
  binary("LessOrEqual", "A <= B (i1).", numericTensor, compare, "i1"),
  binary("Equal", "A == B (i1).", onnxTensor, compare, "i1"),
  unary("Not", "Logical not.", { operand: boolTensor }),
  binary("And", "Logical and.", boolTensor, compare, "i1", "i1"),
  binary("Or", "Logical or.", boolTensor, compare, "i1", "i1"),
  where,
  variadicMinMax("Max", "Elementwise maximum of one or more tensors."),
  variadicMinMax("Min", "Elementwise minimum of one or more tensors."),
  softmax,
  argMax,
  quantize(),
  dequantize(),
];

const DECLS = new Map<string, OnnxOpDecl>(ONNX_OPS.map((d) => [d.type, d]));

/** The declaration of an ONNX op type (`Gemm`), or undefined when unsupported. */
export function onnxDecl(opType: string): OnnxOpDecl | undefined {
  return DECLS.get(opType);
}

/** Attribute reader (with ONNX defaults) for an `onnx.*` op's attribute map. */
export function onnxAttrs(opName: string, attributes: ReadonlyMap<string, Attribute>): OnnxAttrs {
  const decl = DECLS.get(opName.startsWith("onnx.") ? opName.slice(5) : opName);
  if (!decl) throw new Error(`no onnx declaration for '${opName}'`);
  return new OnnxAttrs(decl, attributes);
}

/** Runs an op type's inference rule; returns the result types or the error message. */
export function inferOnnx(decl: OnnxOpDecl, operandTypes: readonly Type[], attributes: ReadonlyMap<string, Attribute>): TensorType[] | string {
  try {
    const ins = operandTypes.map((t) => (t.kind === "tensor" ? t : tensor([], t)));
    return decl.infer(ins, new OnnxAttrs(decl, attributes));
  } catch (e) {
    if (e instanceof OnnxShapeError) return e.message;
    throw e;
  }
}

// ---- OpDefs ---------------------------------------------------------------------------------

function exampleFunc(name: string, ex: OnnxExample): string {
  const args = ex.ins.map((t, i) => `%${String.fromCharCode(97 + i)}: ${t}`).join(", ");
  const operands = ex.ins.map((_, i) => `%${String.fromCharCode(97 + i)}`).join(", ");
  const head = ex.ins.length === 0 ? name : `${name} ${operands}`;
  const attrs = ex.attrs ? ` ${ex.attrs}` : "";
  const outs = typeof ex.out === "string" ? [ex.out] : ex.out;
  const results = outs.length === 1 ? outs[0]! : `(${outs.join(", ")})`;
  const lhs = outs.map((_, i) => `%${i}`).join(", ");
  return `func.func @${name.slice(name.indexOf(".") + 1).toLowerCase()}(${args}) -> ${results} {
  ${lhs} = ${head}${attrs} : (${ex.ins.join(", ")}) -> ${results}
  return ${lhs} : ${outs.join(", ")}
}`;
}

/** The IR op of a declaration: `onnx.Gemm`, or `onnx_ml.TreeEnsembleClassifier` with that dialect. */
export function toOpDef(d: OnnxOpDecl, dialect = "onnx"): OpDef {
  const name = `${dialect}.${d.type}`;
  const attributes: Record<string, AttrSpec> = {};
  for (const [k, v] of Object.entries(d.attrs)) attributes[k] = { kind: v.kind, doc: v.doc, optional: !v.required };
  return defineOp({
    name,
    summary: d.summary,
    ...(d.notes ? { description: d.notes } : {}),
    operands: [...d.inputs],
    results: [...d.outputs],
    attributes,
    traits: d.type === "Constant" ? ["pure", "constantLike"] : ["pure"],
    verify: (op, report) => {
      const inferred = inferOnnx(d, op.operands.map((v) => v.type), op.attributes);
      if (typeof inferred === "string") return report(inferred);
      op.results.forEach((r, i) => {
        const want = inferred[i];
        if (want && !typeEquals(r.type, want)) report(`result #${i} type ${typeToString(r.type)} should be ${typeToString(want)}`);
      });
    },
    examples: { ok: exampleFunc(name, d.ok), error: { text: exampleFunc(name, d.error), message: d.error.message } },
  });
}

export const onnxDialect: OpDef[] = ONNX_OPS.map((d) => toOpDef(d));
