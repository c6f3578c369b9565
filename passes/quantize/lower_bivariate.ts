// Ops on two encrypted values: Add/Sub after aligning quantizers, Max/Min as a + relu(b − a),
// Mul through two squaring tables, and MaxPool as a pairwise maximum tree (on the codes before a
// pending non-decreasing chain when there is one).
import { windowSpan } from "../../ir/conv_geometry.js";
import { type Operation, type Value } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { onnxAttrs, windowGeometry } from "../../ir/dialects/onnx.js";
import { type TensorType, tensor } from "../../ir/types.js";
import { PROVEN_ATTR } from "../bitwidth.js";
import { affineQuantizer, type Quantizer } from "./qparams.js";
import { at, type DeferredRepr, type EncRepr, typeForInterval } from "./repr.js";
import { poolableChain } from "./monotone_chain.js";
import { pointwise, tabulate } from "./tables.js";
import type { LoweringContext } from "./lowering_context.js";
import { ints, perSample } from "./lower_util.js";

/** Requantizes both operands onto one scale and zero point (table lookups where they differ). */
export function aligned(gq: LoweringContext, op: Operation, av: Value, bv: Value): [EncRepr, EncRepr] {
  let a = gq.linearInput(av, op.loc, "uniform");
  let b = gq.linearInput(bv, op.loc, "uniform");
  if (a.scale[0] === b.scale[0] && a.zeroPoint[0] === b.zeroPoint[0]) return [a, b];
  // Common quantizer covering both ranges, at the finer of the two steps' coarser bound.
  const ra = { lo: a.scale[0]! * (a.lo - a.zeroPoint[0]!), hi: a.scale[0]! * (a.hi - a.zeroPoint[0]!) };
  const rb = { lo: b.scale[0]! * (b.lo - b.zeroPoint[0]!), hi: b.scale[0]! * (b.hi - b.zeroPoint[0]!) };
  const q = affineQuantizer(Math.min(ra.lo, rb.lo, 0), Math.max(ra.hi, rb.hi, 0), gq.cfg.nBits.activations);
  const requant = (e: EncRepr) => (e.scale[0] === q.scale && e.zeroPoint[0] === q.zeroPoint ? e : tabulate(gq.builder, e, pointwise((v) => v), q, gq.cfg.rounding, op.loc, op.name));
  a = requant(a);
  b = requant(b);
  return [a, b];
}

export function lowerBivariate(gq: LoweringContext, op: Operation, type: string): void {
  const [av, bv] = [op.operands[0]!, op.operands[1]!];
  const outShape = perSample(op.result.type as TensorType, `result of ${op.name}`, op.loc);
  if (type === "Mul") return gq.set(op, multiply(gq, op, av, bv, outShape));
  const [a, b] = aligned(gq, op, av, bv);
  const s = a.scale[0]!;
  const za = a.zeroPoint[0]!;
  const zb = b.zeroPoint[0]!;
  const emit = (name: string, x: Value, y: Value, lo: number, hi: number) => gq.builder.create(name, [x, y], [tensor(outShape, typeForInterval(lo, hi))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
  switch (type) {
    case "Add": {
      const v = emit("fhe.add_eint", a.value, b.value, a.lo + b.lo, a.hi + b.hi);
      gq.set(op, gq.enc(v, outShape, Float64Array.of(s), Float64Array.of(za + zb), a.lo + b.lo, a.hi + b.hi, false));
      return;
    }
    case "Sub": {
      const v = emit("fhe.sub_eint", a.value, b.value, a.lo - b.hi, a.hi - b.lo);
      gq.set(op, gq.enc(v, outShape, Float64Array.of(s), Float64Array.of(za - zb), a.lo - b.hi, a.hi - b.lo, false));
      return;
    }
    default: {
      // max(a, b) = a + relu(b − a); min(a, b) = a − relu(a − b). Same scale and zero point.
      const isMax = type === "Max";
      const dLo = isMax ? b.lo - a.hi : a.lo - b.hi;
      const dHi = isMax ? b.hi - a.lo : a.hi - b.lo;
      const d = gq.builder.create("fhe.sub_eint", isMax ? [b.value, a.value] : [a.value, b.value], [tensor(outShape, typeForInterval(dLo, dHi))], {}, { loc: op.loc }).result;
      const diff: EncRepr = gq.enc(d, outShape, Float64Array.of(1), Float64Array.of(0), dLo, dHi, false);
      const relu = tabulate(gq.builder, diff, pointwise((v) => Math.max(v, 0)), "integer", gq.cfg.rounding, op.loc, op.name);
      const lo = isMax ? Math.max(a.lo, b.lo) : Math.min(a.lo, b.lo);
      const hi = isMax ? Math.max(a.hi, b.hi) : Math.min(a.hi, b.hi);
      const name = isMax ? "fhe.add_eint" : "fhe.sub_eint";
      const sumLo = isMax ? a.lo + relu.lo : a.lo - relu.hi;
      const sumHi = isMax ? a.hi + relu.hi : a.hi - relu.lo;
      const v = emit(name, a.value, relu.value, Math.max(lo, sumLo), Math.min(hi, sumHi));
      v.definingOp!.attributes.set(PROVEN_ATTR, ints([Math.max(lo, sumLo), Math.min(hi, sumHi)]));
      gq.set(op, gq.enc(v, outShape, Float64Array.of(s), Float64Array.of(za), Math.max(lo, sumLo), Math.min(hi, sumHi), false));
    }
  }
}

/** a·b = ((a+b)² − (a−b)²)/4 with two squaring tables; x·x uses one. */
export function multiply(gq: LoweringContext, op: Operation, av: Value, bv: Value, outShape: number[]): EncRepr {
  const range = gq.range(op.result, op.loc);
  const out = affineQuantizer(Math.min(range.lo, 0), Math.max(range.hi, 0), gq.cfg.nBits.activations);
  const sq: Quantizer = { ...out, zeroPoint: 0, qmin: -(2 ** 40), qmax: 2 ** 40 };
  if (av === bv) {
    const a = gq.linearInput(av, op.loc, "uniform");
    return tabulate(gq.builder, a, pointwise((v) => v * v), out, gq.cfg.rounding, op.loc, op.name, op.result.nameHint);
  }
  const [a, b] = aligned(gq, op, av, bv);
  const s = a.scale[0]!;
  const z = a.zeroPoint[0]!;
  const sumLo = a.lo + b.lo;
  const sumHi = a.hi + b.hi;
  const sum = gq.builder.create("fhe.add_eint", [a.value, b.value], [tensor(outShape, typeForInterval(sumLo, sumHi))], {}, { loc: op.loc }).result;
  const dLo = a.lo - b.hi;
  const dHi = a.hi - b.lo;
  const diff = gq.builder.create("fhe.sub_eint", [a.value, b.value], [tensor(outShape, typeForInterval(dLo, dHi))], {}, { loc: op.loc }).result;
  // real(a)+real(b) = s·(sum − 2z); real(a)−real(b) = s·diff.
  const u = tabulate(gq.builder, gq.enc(sum, outShape, Float64Array.of(s), Float64Array.of(2 * z), sumLo, sumHi, false), pointwise((v) => (v * v) / 4), sq, gq.cfg.rounding, op.loc, op.name);
  const d = tabulate(gq.builder, gq.enc(diff, outShape, Float64Array.of(s), Float64Array.of(0), dLo, dHi, false), pointwise((v) => (v * v) / 4), sq, gq.cfg.rounding, op.loc, op.name);
  const lo = u.lo - d.hi;
  const hi = u.hi - d.lo;
  const v = gq.builder.create("fhe.sub_eint", [u.value, d.value], [tensor(outShape, typeForInterval(lo, hi))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
  return gq.enc(v, outShape, Float64Array.of(out.scale), Float64Array.of(0), lo, hi, false);
}

export function lowerMaxPool(gq: LoweringContext, op: Operation): void {
  const r = gq.reprOf(op.operands[0]!, op.loc);
  const beforeChain = r.kind === "deferred" ? poolBeforeChain(gq, op, r) : undefined;
  if (beforeChain) return gq.set(op, beforeChain);
  const x = gq.linearInput(op.operands[0]!, op.loc, "uniform");
  if (x.shape.length !== 4) fail("E0601", "MaxPool is supported on 4-D inputs only", op.loc, op.name);
  const { pooled, factor } = maxPoolCodes(gq, op, x);
  gq.set(op, { ...pooled, scale: x.scale.map((s) => s / factor), zeroPoint: x.zeroPoint.map((z) => z * factor), fresh: false });
}

/**
 * MaxPool(f(x)) = f(MaxPool(x)) when the pending chain f (ReLU, a BatchNorm with positive scales,
 * …) is non-decreasing in every element: pooling the codes of x first leaves one table of f per
 * pooled output instead of one per input (a 2×2 pool: 3 + 1 tables per output instead of
 * 4 + 3 + 1). The codes must map to reals by one positive scale and zero point per channel, so
 * that their order is the order of the reals. Undefined when the rewrite does not apply.
 */
function poolBeforeChain(gq: LoweringContext, op: Operation, d: DeferredRepr): DeferredRepr | undefined {
  const src = d.src;
  if (!poolableChain(d, (steps, x) => gq.runSteps(steps, x))) return undefined;
  const [, channels, h, w] = src.shape as [number, number, number, number];
  const perChannel = (a: Float64Array): Float64Array | undefined => {
    const out = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      out[c] = at(a, c * h * w);
      for (let e = c * h * w; e < (c + 1) * h * w; e++) if (at(a, e) !== out[c]) return undefined;
    }
    return out;
  };
  const scale = perChannel(src.scale);
  const zeroPoint = perChannel(src.zeroPoint);
  if (!scale || !zeroPoint || scale.some((v) => !(v > 0))) return undefined;
  const { pooled, factor } = maxPoolCodes(gq, op, src);
  const per = pooled.shape[2]! * pooled.shape[3]!;
  const expand = (v: Float64Array, by: number) => Float64Array.from({ length: channels * per }, (_, e) => v[Math.floor(e / per)]! * by);
  const enc = gq.enc(pooled.value, pooled.shape, expand(scale, 1 / factor), expand(zeroPoint, factor), pooled.lo, pooled.hi, false);
  return { kind: "deferred", src: enc, steps: d.steps, shape: pooled.shape, integerCode: false };
}

/**
 * The max-pooled codes of `x` (one scale and zero point per channel at most): pad, slice, pairwise
 * max tree. The codes come back multiplied by `factor` (2 per level of the tree, see `doubledMax`):
 * real = (scale / factor) · (code − factor · zeroPoint).
 */
function maxPoolCodes(gq: LoweringContext, op: Operation, x: EncRepr): { pooled: EncRepr; factor: number } {
  const a = onnxAttrs(op.name, op.attributes);
  const kernel = a.ints("kernel_shape")!;
  const geom = windowGeometry(x.shape.slice(2), kernel, a, a.int("ceil_mode") !== 0);
  const pads = [geom.padBegin[0]!, geom.padBegin[1]!, geom.padEnd[0]!, geom.padEnd[1]!];
  const [oh, ow] = geom.out as [number, number];
  // Pad with the smallest code so padding never wins; extra end padding covers ceil_mode windows.
  const needH = windowSpan(oh, kernel[0]!, geom.strides[0]!, geom.dilations[0]!);
  const needW = windowSpan(ow, kernel[1]!, geom.strides[1]!, geom.dilations[1]!);
  const h = x.shape[2]! + pads[0]!;
  const w = x.shape[3]! + pads[1]!;
  const endH = Math.max(0, needH - h);
  const endW = Math.max(0, needW - w);
  let xv = x.value;
  if (pads[0]! + pads[1]! + endH + endW > 0) {
    xv = gq.builder.create(
      "fhe.pad",
      [xv],
      [tensor([x.shape[0]!, x.shape[1]!, h + endH, w + endW], typeForInterval(x.lo, x.hi))],
      { pads: ints([0, 0, pads[0]!, pads[1]!, 0, 0, endH, endW]), value: { kind: "int", value: x.lo } },
      { loc: op.loc },
    ).result;
  }
  const padded: EncRepr = { ...x, value: xv, shape: [x.shape[0]!, x.shape[1]!, h + endH, w + endW] };
  const outShape = [x.shape[0]!, x.shape[1]!, oh, ow];
  const windows: EncRepr[] = [];
  for (let i = 0; i < kernel[0]!; i++) {
    for (let j = 0; j < kernel[1]!; j++) {
      const starts = [0, 0, i * geom.dilations[0]!, j * geom.dilations[1]!];
      const ends = [outShape[0]!, outShape[1]!, starts[2]! + (oh - 1) * geom.strides[0]! + 1, starts[3]! + (ow - 1) * geom.strides[1]! + 1];
      const v = gq.builder.create("fhe.slice", [padded.value], [tensor(outShape, typeForInterval(x.lo, x.hi))], { starts: ints(starts), ends: ints(ends), steps: ints([1, 1, geom.strides[0]!, geom.strides[1]!]) }, { loc: op.loc }).result;
      windows.push({ ...x, value: v, shape: outShape });
    }
  }
  // Pairwise maximum tree. With doubled maxima every level doubles the codes (an odd one out is
  // doubled by adding it to itself, so that both operands of the next level share one factor).
  const halveErrors = gq.cfg.doubledPoolMaxima;
  let level = windows;
  let factor = 1;
  while (level.length > 1) {
    const next: EncRepr[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push((halveErrors ? doubledMax : maxOf)(gq, op, level[i]!, level[i + 1]!, outShape));
    if (level.length % 2 === 1) next.push(halveErrors ? doubled(gq, op, level[level.length - 1]!, outShape) : level[level.length - 1]!);
    level = next;
    if (halveErrors) factor *= 2;
  }
  return { pooled: level[0]!, factor };
}

/** f(b − a) by one table, in the codes' units. */
function tableOfDifference(gq: LoweringContext, op: Operation, a: EncRepr, b: EncRepr, shape: number[], f: (d: number) => number): EncRepr {
  const dLo = b.lo - a.hi;
  const dHi = b.hi - a.lo;
  const d = gq.builder.create("fhe.sub_eint", [b.value, a.value], [tensor(shape, typeForInterval(dLo, dHi))], {}, { loc: op.loc }).result;
  return tabulate(gq.builder, gq.enc(d, shape, Float64Array.of(1), Float64Array.of(0), dLo, dHi, false), pointwise(f), "integer", gq.cfg.rounding, op.loc, op.name);
}

function maxOf(gq: LoweringContext, op: Operation, a: EncRepr, b: EncRepr, shape: number[]): EncRepr {
  const relu = tableOfDifference(gq, op, a, b, shape, (v) => Math.max(v, 0));
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.max(a.hi, b.hi);
  const v = gq.builder.create("fhe.add_eint", [a.value, relu.value], [tensor(shape, typeForInterval(lo, hi))], { [PROVEN_ATTR]: ints([lo, hi]) }, { loc: op.loc }).result;
  return { ...a, value: v, lo, hi, fresh: false };
}

/**
 * 2·max(a, b) = a + b + |b − a|, one table. Against max = a + relu(b − a) (the same table count),
 * the error of the table's read (its window's cell, the rounding's ±1) lands on twice the value,
 * so on the maximum it is halved; relu's output carried it whole wherever b > a. It pays where
 * the read is inexact (a window of a wider difference); where the table reads its input whole,
 * both are exact and the doubled codes only widen the tables after the pool.
 */
function doubledMax(gq: LoweringContext, op: Operation, a: EncRepr, b: EncRepr, shape: number[]): EncRepr {
  const abs = tableOfDifference(gq, op, a, b, shape, Math.abs);
  const sum = gq.builder.create("fhe.add_eint", [a.value, b.value], [tensor(shape, typeForInterval(a.lo + b.lo, a.hi + b.hi))], {}, { loc: op.loc }).result;
  const lo = 2 * Math.max(a.lo, b.lo);
  const hi = 2 * Math.max(a.hi, b.hi);
  const v = gq.builder.create("fhe.add_eint", [sum, abs.value], [tensor(shape, typeForInterval(lo, hi))], { [PROVEN_ATTR]: ints([lo, hi]) }, { loc: op.loc }).result;
  return { ...a, value: v, lo, hi, fresh: false };
}

function doubled(gq: LoweringContext, op: Operation, a: EncRepr, shape: number[]): EncRepr {
  const v = gq.builder.create("fhe.add_eint", [a.value, a.value], [tensor(shape, typeForInterval(2 * a.lo, 2 * a.hi))], {}, { loc: op.loc }).result;
  return { ...a, value: v, lo: 2 * a.lo, hi: 2 * a.hi, fresh: false };
}
