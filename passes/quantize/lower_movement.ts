// Lowering of data movement (Reshape, Transpose, Slice, Gather, Concat, Pad, ...) on encrypted
// values: the op is evaluated on element indices and becomes one gather (or a reshape).
import { denseAttr } from "../../ir/attributes.js";
import { type Operation, type Value } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { onnxAttrs } from "../../ir/dialects/onnx.js";
import { type TensorType, i64, tensor } from "../../ir/types.js";
import { roundHalfEven } from "./qparams.js";
import { at, type ConstRepr, type DeferredRepr, type EncRepr, type Repr, scalarOf, typeForInterval } from "./repr.js";
import type { LoweringContext } from "./lowering_context.js";
import { ints, perSample, product } from "./lower_util.js";

export function lowerDataMovement(gq: LoweringContext, op: Operation, reprs: Repr[]): void {
  const live = reprs.map((r, i) => ({ r, i })).filter(({ r }) => r.kind !== "const");
  // A chain with per-element constants cannot move past a permutation: tabulate it first.
  const encs = live.map(({ r, i }) => {
    if (r.kind === "deferred" && live.length === 1 && r.steps.every((s) => s.constants.every((c) => !c || c.data.length <= 1))) return r;
    return r.kind === "enc" ? r : gq.linearInput(op.operands[i]!, op.loc, "uniform");
  });
  const iotaOffsets: number[] = [];
  let offset = 0;
  const operands = reprs.map((r, i) => {
    const idx = live.findIndex((l) => l.i === i);
    if (idx < 0) return (r as ConstRepr).value;
    const shape = (encs[idx] as EncRepr | DeferredRepr).shape;
    const n = product(shape);
    iotaOffsets.push(offset);
    const data = new Float64Array(n);
    for (let j = 0; j < n; j++) data[j] = offset + j;
    offset += n;
    return { shape: [...shape], data };
  });
  const moved = gq.evaluate(op, operands)[0]!;
  const map = moved.data;
  const outShape = [...moved.shape];
  const first = encs[0]!;
  if (first.kind === "deferred") {
    const src = moveEnc(gq, op, [first.src], map, outShape);
    gq.set(op, { ...first, src, shape: outShape });
    return;
  }
  gq.set(op, moveEnc(gq, op, encs as EncRepr[], map, outShape));
}

/** Emits the element movement `map` (output element → flat index into the concatenated inputs). */
export function moveEnc(gq: LoweringContext, op: Operation, inputs: EncRepr[], map: Float64Array, outShape: number[]): EncRepr {
  const lo = Math.min(...inputs.map((e) => e.lo));
  const hi = Math.max(...inputs.map((e) => e.hi));
  const t = typeForInterval(lo, hi);
  const total = inputs.reduce((s, e) => s + product(e.shape), 0);
  const identity = inputs.length === 1 && map.length === total && map.every((v, i) => v === i);
  let value: Value;
  if (identity) {
    value = gq.builder.create("fhe.reshape", [inputs[0]!.value], [tensor(outShape, t)], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
  } else {
    const flat = inputs.map((e) => gq.builder.create("fhe.reshape", [e.value], [tensor([product(e.shape)], t)], {}, { loc: op.loc }).result);
    const all = flat.length === 1 ? flat[0]! : gq.builder.create("fhe.concat", flat, [tensor([total], t)], { axis: { kind: "int", value: 0 } }, { loc: op.loc }).result;
    const gathered = gq.builder.create(
      "fhe.gather",
      [all],
      [tensor([map.length], t)],
      { indices: denseAttr(tensor([map.length], i64), map), axis: { kind: "int", value: 0 } },
      { loc: op.loc },
    ).result;
    value = gq.builder.create("fhe.reshape", [gathered], [tensor(outShape, t)], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
  }
  const moveParam = (pick: (e: EncRepr) => Float64Array) => {
    const scalars = inputs.map((e) => scalarOf(pick(e)));
    if (scalars.every((s) => s !== undefined && s === scalars[0])) return Float64Array.of(scalars[0]!);
    const cat = new Float64Array(total);
    let o = 0;
    for (const e of inputs) {
      const n = product(e.shape);
      const p = pick(e);
      for (let j = 0; j < n; j++) cat[o + j] = at(p, j);
      o += n;
    }
    return map.map((m) => cat[m]!);
  };
  return gq.enc(value, outShape, moveParam((e) => e.scale), moveParam((e) => e.zeroPoint), lo, hi, inputs.every((e) => e.fresh));
}

export function lowerPad(gq: LoweringContext, op: Operation, r: Repr): void {
  const a = onnxAttrs(op.name, op.attributes);
  const mode = a.get("mode") ? a.str("mode") : "constant";
  if (mode !== "constant") fail("E0601", `Pad mode "${mode}" on encrypted values is not supported (constant only)`, op.loc, op.name);
  const x = r.kind === "enc" ? r : gq.linearInput(op.operands[0]!, op.loc, "uniform");
  const zp = scalarOf(x.zeroPoint);
  const s = scalarOf(x.scale);
  if (zp === undefined || s === undefined) return gq.set(op, lowerPadGeneric(gq, op, gq.linearInput(op.operands[0]!, op.loc, "uniform")));
  gq.set(op, lowerPadGeneric(gq, op, x));
}

export function lowerPadGeneric(gq: LoweringContext, op: Operation, x: EncRepr): EncRepr {
  const a = onnxAttrs(op.name, op.attributes);
  const outShape = perSample(op.result.type as TensorType, `result of ${op.name}`, op.loc);
  const r = x.shape.length;
  const pads = a.ints("pads") ?? new Array<number>(2 * r).fill(0);
  const axes = a.ints("axes");
  const full = new Array<number>(2 * r).fill(0);
  if (axes) axes.forEach((ax, i) => ((full[(ax + r) % r] = pads[i]!), (full[((ax + r) % r) + r] = pads[i + axes.length]!)));
  else pads.forEach((p, i) => (full[i] = p));
  if (full.some((p) => p < 0)) fail("E0601", "negative pads (cropping) on encrypted values are not supported", op.loc, op.name);
  const realValue = a.optFloat("constant_value") ?? 0;
  const code = roundHalfEven(realValue / x.scale[0]!) + x.zeroPoint[0]!;
  const lo = Math.min(x.lo, code);
  const hi = Math.max(x.hi, code);
  const v = gq.builder.create("fhe.pad", [x.value], [tensor(outShape, typeForInterval(lo, hi))], { pads: ints(full), value: { kind: "int", value: code } }, { loc: op.loc, names: [op.result.nameHint] }).result;
  return gq.enc(v, outShape, x.scale, x.zeroPoint, lo, hi, x.fresh);
}
