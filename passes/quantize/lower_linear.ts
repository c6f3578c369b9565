// Lowering of the linear ops (Gemm, MatMul, Conv, AveragePool, reductions) to integer fhe ops:
// weights are quantized, input scales and zero points fold into them and into the output's
// zero point, so the encrypted accumulator needs no table.
import { conv2dOutputShape, tapPosition } from "../../ir/conv_geometry.js";
import { type Operation, type Value } from "../../ir/core.js";
import { fail, type Location } from "../../ir/diagnostics.js";
import { onnxAttrs, windowGeometry } from "../../ir/dialects/onnx.js";
import { type NDArray, stridesOf } from "../../ir/tensor.js";
import { elementOf, tensor } from "../../ir/types.js";
import { quantizeWeights, type WeightCompensation } from "./qparams.js";
import { INPUT_GRAM_ATTR, roundingFactors, type RoundingFactors } from "./compensated_rounding.js";
import { at, type ConstRepr, type EncRepr, type Repr, typeForInterval } from "./repr.js";
import type { LoweringContext } from "./lowering_context.js";
import { broadcastConst, ints, overlap, product, spanOf, transposeConst } from "./lower_util.js";

/** Integer weights (minus zero points) and per-output-channel scales for a [K, N]-like matrix. */
export function weights(gq: LoweringContext, w: ConstRepr, outAxis: number, compensation?: WeightCompensation): { values: Float64Array; scales: Float64Array } {
  const shape = w.value.shape;
  const strides = stridesOf(shape);
  const channels = shape[outAxis]!;
  const channelOf = (i: number) => Math.floor(i / strides[outAxis]!) % channels;
  const q = w.quantized;
  if (q && (q.axis === undefined || q.axis === outAxis)) {
    const values = new Float64Array(q.q.data.length);
    const scales = new Float64Array(q.axis === undefined ? 1 : channels);
    for (let i = 0; i < values.length; i++) {
      const c = q.axis === undefined ? 0 : channelOf(i);
      values[i] = q.q.data[i]! - q.zeroPoint.data[c]!;
      scales[c] = q.scale.data[c]!;
    }
    return { values, scales };
  }
  // A per-axis QDQ weight along another axis is quantized again from its float value below.
  const perChannel = gq.cfg.perChannelWeights;
  return quantizeWeights(w.value.data, gq.cfg.nBits.weights, {
    symmetric: gq.cfg.symmetricWeights,
    channels: perChannel ? channels : 1,
    channelOf: perChannel ? channelOf : () => 0,
    ...(perChannel && gq.cfg.compensateWeights && compensation ? { compensation } : {}),
  });
}

/**
 * Compensated rounding for an op's weights laid out [groups · outputsPerGroup, K] ("outputsMajor",
 * Conv) or [K, outputs] ("inputsMajor", MatMul), from the op's calibration Gram matrix, if any.
 * `inputScale(i)` divides input i (the per-input scales folded into the weights).
 */
function compensationFor(op: Operation, k: number, outputs: number, layout: "outputsMajor" | "inputsMajor", inputScale?: (i: number) => number): WeightCompensation | undefined {
  const gram = op.attributes.get(INPUT_GRAM_ATTR);
  if (gram?.kind !== "dense" || gram.type.shape[1] !== k) return undefined;
  const groups = gram.type.shape[0] as number;
  const factors = new Map<number, RoundingFactors>();
  const groupOf = (c: number) => Math.floor(c / (outputs / groups));
  return {
    elementsOf: (c) => Array.from({ length: k }, (_, i) => (layout === "outputsMajor" ? c * k + i : i * outputs + c)),
    factorsOf: (c) => {
      const g = groupOf(c);
      if (!factors.has(g)) factors.set(g, roundingFactors(gram.data.subarray(g * k * k, (g + 1) * k * k), k, inputScale));
      return factors.get(g)!;
    },
  };
}

function constOperand(r: Repr | undefined, what: string, op: Operation): ConstRepr {
  if (!r || r.kind !== "const") return fail("E0601", `${op.name.slice(5)} with an encrypted ${what} has no FHE lowering (weights must be constants)`, op.loc, op.name);
  return r;
}

export function lowerGemm(gq: LoweringContext, op: Operation, reprs: Repr[]): void {
  const a = onnxAttrs(op.name, op.attributes);
  if (a.int("transA")) fail("E0601", "Gemm with transA = 1 on an encrypted input is not supported", op.loc, op.name);
  const x = gq.linearInput(op.operands[0]!, op.loc, "perK");
  const b = constOperand(reprs[1], "B", op);
  const c = reprs[2] ? constOperand(reprs[2], "C", op) : undefined;
  const transB = a.int("transB") !== 0;
  const w = transB ? transposeConst(b) : b;
  emitMatmul(gq, op, x, w, a.float("alpha"), c ? { value: c.value, factor: a.float("beta") } : undefined);
}

export function lowerMatMul(gq: LoweringContext, op: Operation, reprs: Repr[]): void {
  if (reprs[0]!.kind !== "const" && reprs[1]!.kind === "const") {
    const x = gq.linearInput(op.operands[0]!, op.loc, "perK");
    const w = reprs[1] as ConstRepr;
    if (w.value.shape.length !== 2) fail("E0601", `MatMul with a ${w.value.shape.length}-D constant is not supported (2-D weights only)`, op.loc, op.name);
    return emitMatmul(gq, op, x, w, 1, undefined);
  }
  if (reprs[0]!.kind === "const" && reprs[1]!.kind !== "const") {
    const w = reprs[0] as ConstRepr;
    const x = gq.linearInput(op.operands[1]!, op.loc, "uniform");
    if (w.value.shape.length !== 2 || x.shape.length !== 2) fail("E0601", "MatMul of a constant by an encrypted value needs 2-D operands", op.loc, op.name);
    const { values, scales } = weights(gq, w, 0);
    const [m, k] = w.value.shape as [number, number];
    const n = x.shape[1]!;
    const zx = x.zeroPoint[0]!;
    const sx = x.scale[0]!;
    const lo = new Float64Array(m);
    const hi = new Float64Array(m);
    const rowSum = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        const wv = values[i * k + j]!;
        rowSum[i] = rowSum[i]! + wv;
        lo[i] = lo[i]! + Math.min(wv * x.lo, wv * x.hi);
        hi[i] = hi[i]! + Math.max(wv * x.lo, wv * x.hi);
      }
    }
    const outShape = [m, n];
    const range = spanOf(lo, hi);
    const acc = gq.builder.create("fhe.matmul_int_eint", [gq.intConstant(values, [m, k], "w"), x.value], [tensor(outShape, typeForInterval(range.lo, range.hi))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
    const scale = new Float64Array(m * n);
    const zp = new Float64Array(m * n);
    for (let i = 0; i < m * n; i++) {
      const row = Math.floor(i / n);
      scale[i] = scales[scales.length === 1 ? 0 : row]! * sx;
      zp[i] = zx * rowSum[row]!;
    }
    gq.set(op, gq.enc(acc, outShape, scale, zp, range.lo, range.hi, false));
    return;
  }
  fail("E0601", "MatMul of two encrypted values has no FHE lowering (one operand must be a constant)", op.loc, op.name);
}

/**
 * acc = q_x · W' for x [..., K] and W [K, N]. Per-K input scales fold into the weights before
 * they are quantized; zero points and the bias fold into the output zero point:
 * real_n = alpha · S_n · (acc_n − zp_n) with zp_n = Σ_k W'_kn · Z_k − factor · bias_n / (alpha · S_n).
 */
export function emitMatmul(gq: LoweringContext, op: Operation, x: EncRepr, w: ConstRepr, alpha: number, bias: { value: NDArray; factor: number } | undefined): void {
  const [k, n] = w.value.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== k) fail("E0601", `inner dimensions differ: ${JSON.stringify(x.shape)} and [${k}, ${n}]`, op.loc, op.name);
  const sk = (i: number) => at(x.scale, x.scale.length === 1 ? 0 : i);
  const zk = (i: number) => at(x.zeroPoint, x.zeroPoint.length === 1 ? 0 : i);
  // Weights seen by the integer codes: W_kn · S_k (the quantized-weight path keeps its own scales).
  const folded: ConstRepr =
    x.scale.length === 1 && w.quantized
      ? w
      : { kind: "const", element: w.element, value: { shape: [k, n], data: w.value.data.map((v, i) => v * sk(Math.floor(i / n))) } };
  const { values, scales } = weights(gq, folded, 1, compensationFor(op, k, n, "inputsMajor", folded === w ? undefined : sk));
  const inputScale = folded === w ? x.scale[0]! : 1;
  const colScale = new Float64Array(n);
  for (let j = 0; j < n; j++) colScale[j] = alpha * inputScale * scales[scales.length === 1 ? 0 : j]!;
  const biasCol = bias ? broadcastConst(bias.value, [n], op.loc) : undefined;
  const zp = new Float64Array(n);
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let z = 0;
    for (let i = 0; i < k; i++) {
      const wv = values[i * n + j]!;
      z += wv * zk(i);
      lo[j] = lo[j]! + Math.min(wv * x.lo, wv * x.hi);
      hi[j] = hi[j]! + Math.max(wv * x.lo, wv * x.hi);
    }
    zp[j] = z - (biasCol ? (bias!.factor * biasCol[j]!) / colScale[j]! : 0);
  }
  const range = spanOf(lo, hi);
  const outShape = [...x.shape.slice(0, -1), n];
  const acc = gq.builder.create("fhe.matmul_eint_int", [x.value, gq.intConstant(values, [k, n], "w")], [tensor(outShape, typeForInterval(range.lo, range.hi))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
  const total = product(outShape);
  gq.set(op, gq.enc(acc, outShape, Float64Array.from({ length: total }, (_, i) => colScale[i % n]!), Float64Array.from({ length: total }, (_, i) => zp[i % n]!), range.lo, range.hi, false));
}

export function lowerConv(gq: LoweringContext, op: Operation, reprs: Repr[]): void {
  const a = onnxAttrs(op.name, op.attributes);
  const w = constOperand(reprs[1], "weight", op);
  const bias = reprs[2] ? constOperand(reprs[2], "bias", op) : undefined;
  const x = gq.linearInput(op.operands[0]!, op.loc, "uniform");
  const oneD = x.shape.length === 3;
  const geom = windowGeometry(x.shape.slice(2), w.value.shape.slice(2), a, false);
  const group = a.int("group");
  const wShape = oneD ? [w.value.shape[0]!, w.value.shape[1]!, 1, w.value.shape[2]!] : [...w.value.shape];
  const f = wShape[0]!;
  const { values, scales } = weights(gq, w, 0, compensationFor(op, product(wShape.slice(1)), f, "outputsMajor"));
  const pad2 = oneD ? [0, geom.padBegin[0]!, 0, geom.padEnd[0]!] : [geom.padBegin[0]!, geom.padBegin[1]!, geom.padEnd[0]!, geom.padEnd[1]!];
  const strides = oneD ? [1, geom.strides[0]!] : geom.strides;
  const dil = oneD ? [1, geom.dilations[0]!] : geom.dilations;
  let xv = x.value;
  let xShape = oneD ? [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!] : [...x.shape];
  if (oneD) xv = gq.builder.create("fhe.reshape", [xv], [tensor(xShape, elementOf(xv.type))], {}, { loc: op.loc }).result;
  // Padding with Z (the code of real 0) makes every window hold a full kernel of (q − Z) terms.
  const padded = padWithZeroPoint(gq, xv, xShape, x, pad2, op.loc);
  xv = padded.value;
  xShape = padded.shape;
  const zx = x.zeroPoint[0]!;
  const per = values.length / f;
  const lo = new Float64Array(f);
  const hi = new Float64Array(f);
  const fScale = new Float64Array(f);
  const fZp = new Float64Array(f);
  const biasVals = bias ? broadcastConst(bias.value, [f], op.loc) : undefined;
  for (let o = 0; o < f; o++) {
    let sum = 0;
    for (let i = 0; i < per; i++) {
      const wv = values[o * per + i]!;
      sum += wv;
      lo[o] = lo[o]! + Math.min(wv * padded.lo, wv * padded.hi);
      hi[o] = hi[o]! + Math.max(wv * padded.lo, wv * padded.hi);
    }
    fScale[o] = x.scale[0]! * scales[scales.length === 1 ? 0 : o]!;
    fZp[o] = zx * sum - (biasVals ? biasVals[o]! / fScale[o]! : 0);
  }
  const range = spanOf(lo, hi);
  const attrs = { strides, pads: [0, 0, 0, 0], dilations: dil, group };
  const out4 = conv2dOutputShape(xShape, wShape, attrs);
  const ow = out4[3]!;
  let acc = gq.builder.create(
    "fhe.conv2d",
    [xv, gq.intConstant(values, wShape, "w")],
    [tensor(out4, typeForInterval(range.lo, range.hi))],
    { strides: ints(attrs.strides), pads: ints(attrs.pads), dilations: ints(attrs.dilations), group: { kind: "int", value: group } },
    { loc: op.loc, names: [oneD ? undefined : op.result.nameHint] },
  ).result;
  const outShape = oneD ? [out4[0]!, f, ow] : out4;
  if (oneD) acc = gq.builder.create("fhe.reshape", [acc], [tensor(outShape, elementOf(acc.type))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
  const plane = product(outShape.slice(2));
  const n = product(outShape);
  const chan = (i: number) => Math.floor(i / plane) % f;
  gq.set(op, gq.enc(acc, outShape, Float64Array.from({ length: n }, (_, i) => fScale[chan(i)]!), Float64Array.from({ length: n }, (_, i) => fZp[chan(i)]!), range.lo, range.hi, false));
}

/** Pads spatial dims [top, left, bottom, right] with the zero point (no op when there is no padding). */
export function padWithZeroPoint(gq: LoweringContext, xv: Value, shape: number[], x: EncRepr, pads: readonly number[], loc: Location): { value: Value; shape: number[]; lo: number; hi: number } {
  if (!pads.some((p) => p > 0)) return { value: xv, shape, lo: x.lo, hi: x.hi };
  const z = x.zeroPoint[0]!;
  const lo = Math.min(x.lo, z);
  const hi = Math.max(x.hi, z);
  const out = [shape[0]!, shape[1]!, shape[2]! + pads[0]! + pads[2]!, shape[3]! + pads[1]! + pads[3]!];
  const value = gq.builder.create("fhe.pad", [xv], [tensor(out, typeForInterval(lo, hi))], { pads: ints([0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!]), value: { kind: "int", value: z } }, { loc }).result;
  return { value, shape: out, lo, hi };
}

export function lowerAveragePool(gq: LoweringContext, op: Operation): void {
  const a = onnxAttrs(op.name, op.attributes);
  const x = gq.linearInput(op.operands[0]!, op.loc, "uniform");
  if (x.shape.length !== 4) fail("E0601", "AveragePool is supported on 4-D inputs only", op.loc, op.name);
  const kernel = a.ints("kernel_shape")!;
  const spatial = x.shape.slice(2);
  const geom = windowGeometry(spatial, kernel, a, a.int("ceil_mode") !== 0);
  const floorGeom = windowGeometry(spatial, kernel, a, false);
  if (geom.out.some((o, i) => o !== floorGeom.out[i])) fail("E0601", "AveragePool with ceil_mode changing the output size is not supported", op.loc, op.name);
  const c = x.shape[1]!;
  const kk = kernel[0]! * kernel[1]!;
  const pads = [geom.padBegin[0]!, geom.padBegin[1]!, geom.padEnd[0]!, geom.padEnd[1]!];
  const padded = padWithZeroPoint(gq, x.value, [...x.shape], x, pads, op.loc);
  const [oh, ow] = geom.out as [number, number];
  const outShape = [x.shape[0]!, c, oh, ow];
  const lo = kk * padded.lo;
  const hi = kk * padded.hi;
  const acc = gq.builder.create(
    "fhe.conv2d",
    [padded.value, gq.intConstant(new Float64Array(c * kk).fill(1), [c, 1, kernel[0]!, kernel[1]!])],
    [tensor(outShape, typeForInterval(lo, hi))],
    { strides: ints(geom.strides), pads: ints([0, 0, 0, 0]), dilations: ints([1, 1]), group: { kind: "int", value: c } },
    { loc: op.loc, names: [op.result.nameHint] },
  ).result;
  // Divisor per output position: the full window, or only its non-padding part.
  const includePad = a.int("count_include_pad") !== 0;
  const scale = new Float64Array(product(outShape));
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let count = kk;
        if (!includePad) count = overlap(tapPosition(i, 0, geom.strides[0]!, pads[0]!, 1), kernel[0]!, spatial[0]!) * overlap(tapPosition(j, 0, geom.strides[1]!, pads[1]!, 1), kernel[1]!, spatial[1]!);
        scale[(ch * oh + i) * ow + j] = x.scale[0]! / count;
      }
    }
  }
  gq.set(op, gq.enc(acc, outShape, scale, Float64Array.of(kk * x.zeroPoint[0]!), lo, hi, false));
}

export function lowerReduce(gq: LoweringContext, op: Operation, axes: number[], keepDims: boolean, mean: boolean): void {
  const x = gq.linearInput(op.operands[0]!, op.loc, "uniform");
  const set = new Set(axes);
  const count = axes.reduce((acc, ax) => acc * x.shape[ax]!, 1);
  const outShape = keepDims ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i));
  const lo = count * x.lo;
  const hi = count * x.hi;
  const acc = gq.builder.create("fhe.sum", [x.value], [tensor(outShape, typeForInterval(lo, hi))], { axes: ints(axes), keep_dims: { kind: "bool", value: keepDims } }, { loc: op.loc, names: [op.result.nameHint] }).result;
  gq.set(op, gq.enc(acc, outShape, Float64Array.of(mean ? x.scale[0]! / count : x.scale[0]!), Float64Array.of(count * x.zeroPoint[0]!), lo, hi, false));
}
