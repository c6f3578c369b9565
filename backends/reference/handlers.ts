// One handler per `onnx.*` op: the float reference semantics. Handlers receive the operand arrays,
// the op's attributes (with ONNX defaults) and the concrete result types computed by the dialect's
// inference rule on the actual input shapes; they compute in float64 and the interpreter rounds
// results to their element types.
import type { Operation } from "../../ir/core.js";
import { type OnnxAttrs, convTransposeGeometry, normAxis, padAmounts, quantAxis, shapeRange, sliceBounds, sliceParams, windowGeometry } from "../../ir/dialects/onnx.js";
import { type NDArray, broadcastTo, concat, gather, reduceSum, reshape, slice, transpose, unaryOp } from "../../ir/tensor.js";
import { type ElementType, type TensorType } from "../../ir/types.js";
import { conv, convTranspose, erf, forEachLane, map2, mapN, matmul, padND, pool, roundHalfEven } from "./kernels.js";

export interface HandlerContext {
  readonly op: Operation;
  readonly attrs: OnnxAttrs;
  /** Operand types with the concrete shapes of this run. */
  readonly inTypes: readonly TensorType[];
  /** Result types with concrete shapes (from the dialect's inference rule). */
  readonly outTypes: readonly TensorType[];
}

export type Handler = (ins: readonly NDArray[], ctx: HandlerContext) => NDArray[];

/** Raised for inputs the reference semantics reject at run time (bad index, …). */
export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReferenceError";
  }
}

const shapeOut = (ctx: HandlerContext, i = 0) => ctx.outTypes[i]!.shape as number[];

function unary(f: (x: number, a: OnnxAttrs) => number): Handler {
  return ([x], ctx) => [unaryOp(x!, (v) => f(v, ctx.attrs))];
}

function binary(f: (x: number, y: number, e: ElementType) => number): Handler {
  return ([a, b], ctx) => {
    const e = ctx.inTypes[0]!.element;
    return [map2(a!, b!, shapeOut(ctx), (x, y) => f(x, y, e))];
  };
}

const isInt = (e: ElementType) => e.kind === "int";
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

function intDiv(x: number, y: number): number {
  if (y === 0) throw new ReferenceError("integer division by zero");
  return Math.trunc(x / y);
}

function gemm(ins: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const [A, B, C] = ins;
  const a = ctx.attrs.int("transA") ? transpose(A!, [1, 0]) : A!;
  const b = ctx.attrs.int("transB") ? transpose(B!, [1, 0]) : B!;
  const alpha = ctx.attrs.float("alpha");
  const beta = ctx.attrs.float("beta");
  const out = shapeOut(ctx);
  const prod = matmul(a, b, out);
  if (alpha !== 1) for (let i = 0; i < prod.data.length; i++) prod.data[i] = prod.data[i]! * alpha;
  if (C) return [map2(prod, C, out, (p, c) => p + beta * c)];
  return [prod];
}

function geometry(ctx: HandlerContext, kernel: number[], ceil: boolean) {
  return windowGeometry(ctx.inTypes[0]!.shape.slice(2) as number[], kernel, ctx.attrs, ceil);
}

function reduceHandler(mean: boolean): Handler {
  return ([x], ctx) => {
    const r = x!.shape.length;
    const given = ctx.attrs.ints("axes");
    let axes: number[];
    if (!given || given.length === 0) {
      if (ctx.attrs.int("noop_with_empty_axes")) return [x!];
      axes = x!.shape.map((_, i) => i);
    } else axes = given.map((a) => normAxis(a, r));
    const sum = reduceSum(x!, axes, true);
    if (mean) {
      const count = axes.reduce((p, a) => p * x!.shape[a]!, 1);
      for (let i = 0; i < sum.data.length; i++) sum.data[i] = sum.data[i]! / count;
    }
    return [reshape(sum, shapeOut(ctx))];
  };
}

function softmax([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const axis = normAxis(ctx.attrs.int("axis"), x!.shape.length);
  const out = new Float64Array(x!.data.length);
  forEachLane(x!.shape, axis, (off, stride, len) => {
    let max = -Infinity;
    for (let i = 0; i < len; i++) max = Math.max(max, x!.data[off + i * stride]!);
    let sum = 0;
    for (let i = 0; i < len; i++) {
      const e = Math.exp(x!.data[off + i * stride]! - max);
      out[off + i * stride] = e;
      sum += e;
    }
    for (let i = 0; i < len; i++) out[off + i * stride] = out[off + i * stride]! / sum;
  });
  return [{ shape: [...x!.shape], data: out }];
}

function argMax([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const axis = normAxis(ctx.attrs.int("axis"), x!.shape.length);
  const last = ctx.attrs.int("select_last_index") !== 0;
  const shape = [...x!.shape];
  const len = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bestV = -Infinity;
      for (let k = 0; k < len; k++) {
        const v = x!.data[(o * len + k) * inner + i]!;
        if (k === 0 || v > bestV || (last && v === bestV)) {
          best = k;
          bestV = v;
        }
      }
      out[o * inner + i] = best;
    }
  }
  return [{ shape: shapeOut(ctx), data: out }];
}

function castTo(v: number, to: ElementType): number {
  if (to.kind === "float") return v;
  if (to.kind === "int" && to.width === 1) return v !== 0 ? 1 : 0;
  if (Number.isNaN(v)) return 0;
  return Math.trunc(v);
}

/** Per-element quantization parameters: scale/zero point broadcast along the axis (or scalar). */
function quantParams(ctx: HandlerContext, x: NDArray, scale: NDArray, zp: NDArray | undefined): { s: Float64Array; z: Float64Array } {
  const axis = quantAxis(ctx.inTypes[0]!, ctx.inTypes[1]!, ctx.attrs);
  const shape = x.shape.map((d, i) => (i === axis ? d : 1));
  const fit = (p: NDArray) => broadcastTo(axis === undefined ? { shape: [], data: p.data.subarray(0, 1) } : reshape(p, shape), x.shape).data;
  return { s: fit(scale), z: zp ? fit(zp) : new Float64Array(x.data.length) };
}

function quantize([x, scale, zp]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const { s, z } = quantParams(ctx, x!, scale!, zp);
  const e = ctx.outTypes[0]!.element;
  const width = e.kind === "int" ? e.width : 8;
  const signed = e.kind === "int" ? e.signed : false;
  const lo = signed ? -(2 ** (width - 1)) : 0;
  const hi = signed ? 2 ** (width - 1) - 1 : 2 ** width - 1;
  const f32 = ctx.inTypes[1]!.element.kind === "float" && ctx.inTypes[1]!.element.width === 32;
  const out = new Float64Array(x!.data.length);
  for (let i = 0; i < out.length; i++) {
    const q = f32 ? Math.fround(x!.data[i]! / s[i]!) : x!.data[i]! / s[i]!;
    out[i] = Math.min(hi, Math.max(lo, roundHalfEven(q) + z[i]!));
  }
  return [{ shape: [...x!.shape], data: out }];
}

function dequantize([x, scale, zp]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const { s, z } = quantParams(ctx, x!, scale!, zp);
  const out = new Float64Array(x!.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (x!.data[i]! - z[i]!) * s[i]!;
  return [{ shape: [...x!.shape], data: out }];
}

function sliceHandler([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const r = x!.shape.length;
  const p = sliceParams(r, ctx.attrs);
  const starts = x!.shape.map(() => 0);
  const ends = [...x!.shape];
  const steps = x!.shape.map(() => 1);
  p.axes.forEach((ax, i) => {
    const b = sliceBounds(x!.shape[ax]!, p.starts[i]!, p.ends[i]!, p.steps[i]!);
    starts[ax] = b.start;
    ends[ax] = b.end;
    steps[ax] = b.step;
  });
  return [slice(x!, starts, ends, steps)];
}

function gatherHandler([x, idx]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const axis = normAxis(ctx.attrs.int("axis"), x!.shape.length);
  const dim = x!.shape[axis]!;
  const fixed = unaryOp(idx!, (v) => {
    const k = v < 0 ? v + dim : v;
    if (k < 0 || k >= dim) throw new ReferenceError(`Gather index ${v} is out of range for axis ${axis} of size ${dim}`);
    return k;
  });
  return [gather(x!, fixed, axis)];
}

const copy: Handler = ([x], ctx) => [{ shape: shapeOut(ctx), data: x!.data }];

export const HANDLERS: Readonly<Record<string, Handler>> = {
  "onnx.Gemm": gemm,
  "onnx.MatMul": ([a, b], ctx) => [matmul(a!, b!, shapeOut(ctx))],
  "onnx.Conv": ([x, w, b], ctx) => {
    const kernel = ctx.attrs.ints("kernel_shape") ?? (w!.shape.slice(2) as number[]);
    return [conv(x!, w!, b, geometry(ctx, kernel, false), ctx.attrs.int("group"), shapeOut(ctx))];
  },
  "onnx.ConvTranspose": ([x, w, b], ctx) => {
    const kernel = ctx.attrs.ints("kernel_shape") ?? (w!.shape.slice(2) as number[]);
    const geom = convTransposeGeometry(ctx.inTypes[0]!.shape.slice(2) as number[], kernel, ctx.attrs);
    return [convTranspose(x!, w!, b, geom, ctx.attrs.int("group"), shapeOut(ctx))];
  },
  "onnx.AveragePool": ([x], ctx) => [
    pool(x!, geometry(ctx, ctx.attrs.ints("kernel_shape")!, ctx.attrs.int("ceil_mode") !== 0), "avg", ctx.attrs.int("count_include_pad") !== 0, shapeOut(ctx)),
  ],
  "onnx.MaxPool": ([x], ctx) => [pool(x!, geometry(ctx, ctx.attrs.ints("kernel_shape")!, ctx.attrs.int("ceil_mode") !== 0), "max", false, shapeOut(ctx))],
  "onnx.GlobalAveragePool": ([x]) => {
    const sum = reduceSum(x!, x!.shape.map((_, i) => i).filter((i) => i >= 2), true);
    const count = x!.shape.slice(2).reduce((p, d) => p * d, 1);
    return [unaryOp(sum, (v) => v / count)];
  },
  "onnx.BatchNormalization": ([x, scale, b, mean, v], ctx) => {
    const eps = ctx.attrs.float("epsilon");
    const shape = x!.shape.map((d, i) => (i === 1 ? d : 1));
    const at = (p: NDArray) => broadcastTo(reshape(p, shape), x!.shape).data;
    const [s, bb, m, vv] = [at(scale!), at(b!), at(mean!), at(v!)];
    const out = new Float64Array(x!.data.length);
    for (let i = 0; i < out.length; i++) out[i] = ((x!.data[i]! - m[i]!) / Math.sqrt(vv[i]! + eps)) * s[i]! + bb[i]!;
    return [{ shape: [...x!.shape], data: out }];
  },
  "onnx.ReduceSum": reduceHandler(false),
  "onnx.ReduceMean": reduceHandler(true),
  "onnx.Add": binary((x, y) => x + y),
  "onnx.Sub": binary((x, y) => x - y),
  "onnx.Mul": binary((x, y) => x * y),
  "onnx.Div": binary((x, y, e) => (isInt(e) ? intDiv(x, y) : x / y)),
  "onnx.Pow": binary((x, y, e) => (isInt(e) ? Math.trunc(x ** y) : x ** y)),
  "onnx.Neg": unary((x) => -x),
  "onnx.Abs": unary((x) => Math.abs(x)),
  "onnx.Sign": unary((x) => (Number.isNaN(x) ? NaN : Math.sign(x) + 0)),
  "onnx.Relu": unary((x) => (x > 0 ? x : 0)),
  "onnx.PRelu": binary((x, s) => (x < 0 ? s * x : x)),
  "onnx.LeakyRelu": unary((x, a) => (x < 0 ? a.float("alpha") * x : x)),
  "onnx.Elu": unary((x, a) => (x < 0 ? a.float("alpha") * Math.expm1(x) : x)),
  "onnx.Selu": unary((x, a) => a.float("gamma") * (x <= 0 ? a.float("alpha") * Math.expm1(x) : x)),
  "onnx.Celu": unary((x, a) => {
    const alpha = a.float("alpha");
    return Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha));
  }),
  "onnx.HardSigmoid": unary((x, a) => Math.max(0, Math.min(1, a.float("alpha") * x + a.float("beta")))),
  "onnx.ThresholdedRelu": unary((x, a) => (x > a.float("alpha") ? x : 0)),
  "onnx.Sigmoid": unary(sigmoid),
  "onnx.Tanh": unary(Math.tanh),
  "onnx.Softplus": unary(softplus),
  "onnx.Erf": unary(erf),
  "onnx.Exp": unary(Math.exp),
  "onnx.Log": unary(Math.log),
  "onnx.Sqrt": unary(Math.sqrt),
  "onnx.Floor": unary(Math.floor),
  "onnx.Round": unary(roundHalfEven),
  "onnx.Sin": unary(Math.sin),
  "onnx.Cos": unary(Math.cos),
  "onnx.Tan": unary(Math.tan),
  "onnx.Asin": unary(Math.asin),
  "onnx.Acos": unary(Math.acos),
  "onnx.Atan": unary(Math.atan),
  "onnx.Sinh": unary(Math.sinh),
  "onnx.Cosh": unary(Math.cosh),
  "onnx.Asinh": unary(Math.asinh),
  "onnx.Acosh": unary(Math.acosh),
  "onnx.Atanh": unary(Math.atanh),
  "onnx.HardSwish": unary((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  "onnx.Clip": unary((x, a) => {
    const lo = a.optFloat("min");
    const hi = a.optFloat("max");
    let v = x;
    if (lo !== undefined && v < lo) v = lo;
    if (hi !== undefined && v > hi) v = hi;
    return v;
  }),
  "onnx.Cast": ([x], ctx) => {
    const to = ctx.outTypes[0]!.element;
    return [unaryOp(x!, (v) => castTo(v, to))];
  },
  "onnx.Identity": copy,
  "onnx.Dropout": copy,
  "onnx.Reshape": copy,
  "onnx.Flatten": copy,
  "onnx.Squeeze": copy,
  "onnx.Unsqueeze": copy,
  "onnx.Transpose": ([x], ctx) => {
    const r = x!.shape.length;
    const perm = ctx.attrs.ints("perm") ?? x!.shape.map((_, i) => r - 1 - i);
    return [transpose(x!, perm)];
  },
  "onnx.Concat": (ins, ctx) => [concat(ins, normAxis(ctx.attrs.int("axis"), ins[0]!.shape.length))],
  "onnx.Pad": ([x], ctx) => [padND(x!, padAmounts(x!.shape.length, ctx.attrs), ctx.attrs.str("mode"), ctx.attrs.float("value"), shapeOut(ctx))],
  "onnx.Gather": gatherHandler,
  "onnx.Slice": sliceHandler,
  "onnx.Expand": ([x], ctx) => [broadcastTo(x!, shapeOut(ctx))],
  "onnx.Shape": ([x], ctx) => {
    const { start, end } = shapeRange(x!.shape.length, ctx.attrs);
    return [{ shape: shapeOut(ctx), data: Float64Array.from(x!.shape.slice(start, end)) }];
  },
  "onnx.ConstantOfShape": (_ins, ctx) => {
    const v = ctx.attrs.dense("value");
    const out = shapeOut(ctx);
    return [{ shape: out, data: new Float64Array(out.reduce((p, d) => p * d, 1)).fill(v ? v.data[0]! : 0) }];
  },
  "onnx.Constant": (_ins, ctx) => {
    const v = ctx.attrs.dense("value")!;
    return [{ shape: [...(v.type.shape as number[])], data: v.data }];
  },
  "onnx.Greater": binary((x, y) => (x > y ? 1 : 0)),
  "onnx.GreaterOrEqual": binary((x, y) => (x >= y ? 1 : 0)),
  "onnx.Less": binary((x, y) => (x < y ? 1 : 0)),
  "onnx.LessOrEqual": binary((x, y) => (x <= y ? 1 : 0)),
  "onnx.Equal": binary((x, y) => (x === y ? 1 : 0)),
  "onnx.Not": unary((x) => (x ? 0 : 1)),
  "onnx.And": binary((x, y) => (x && y ? 1 : 0)),
  "onnx.Or": binary((x, y) => (x || y ? 1 : 0)),
  "onnx.Where": (ins, ctx) => [mapN(ins, shapeOut(ctx), ([c, a, b]) => (c ? a! : b!))],
  "onnx.Max": (ins, ctx) => [mapN(ins, shapeOut(ctx), (xs) => xs.reduce((m, v) => (Number.isNaN(v) || v > m ? v : m)))],
  "onnx.Min": (ins, ctx) => [mapN(ins, shapeOut(ctx), (xs) => xs.reduce((m, v) => (Number.isNaN(v) || v < m ? v : m)))],
  "onnx.Softmax": softmax,
  "onnx.ArgMax": argMax,
  "onnx.QuantizeLinear": quantize,
  "onnx.DequantizeLinear": dequantize,
};

/** Rounds float64 results to what the element type stores (f32 rounding, integer wrap-around, i1). */
export function storeAs(e: ElementType, a: NDArray): NDArray {
  const d = a.data;
  if (e.kind === "float") {
    if (e.width === 32) for (let i = 0; i < d.length; i++) d[i] = Math.fround(d[i]!);
    return a;
  }
  if (e.kind === "int") {
    if (e.width === 1) {
      for (let i = 0; i < d.length; i++) d[i] = d[i] ? 1 : 0;
      return a;
    }
    if (e.width <= 32) {
      const m = 2 ** e.width;
      const half = 2 ** (e.width - 1);
      for (let i = 0; i < d.length; i++) {
        let v = ((Math.trunc(d[i]!) % m) + m) % m;
        if (e.signed && v >= half) v -= m;
        d[i] = v;
      }
    }
  }
  return a;
}
