// Univariate chains: ops on one encrypted value with constants. Affine ones only relabel the
// scale and zero point; the others are deferred and fused into one table when materialized.
import { type Operation } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { onnxAttrs } from "../../ir/dialects/onnx.js";
import { type NDArray, stridesOf } from "../../ir/tensor.js";
import { type TensorType } from "../../ir/types.js";
import { at, type ChainStep, type DeferredRepr, type EncRepr, type Repr, scalarOf } from "./repr.js";
import type { LoweringContext } from "./lowering_context.js";
import { broadcastConst, perSample, product } from "./lower_util.js";

export function lowerUnivariate(gq: LoweringContext, op: Operation, reprs: Repr[]): void {
  // The one encrypted operand (client-side post values were lowered before, by lowerPost).
  const flow = reprs.find((r): r is EncRepr | DeferredRepr => r.kind === "enc" || r.kind === "deferred")!;
  const flowIndex = reprs.indexOf(flow);
  const constants = reprs.map((r) => (r.kind === "const" ? r.value : undefined));
  const type = op.name.slice(5);
  const shape = flow.shape;
  const outShape = perSample(op.result.type as TensorType, `result of ${op.name}`, op.loc);
  if (product(outShape) !== product(shape)) {
    fail("E0601", `${type} broadcasts an encrypted ${JSON.stringify(shape)} tensor to ${JSON.stringify(outShape)}; not supported`, op.loc, op.name);
  }

  if (flow.kind === "enc") {
    // Affine ops with constants only change the scale and zero point: exact and free.
    const affine = foldAffine(gq, op, type, flow, flowIndex, constants);
    if (affine) return gq.set(op, affine);
    // A DequantizeLinear of integer codes is a relabelling: real = s · (q − z).
    if (type === "DequantizeLinear" && scalarOf(flow.scale) === 1 && scalarOf(flow.zeroPoint) === 0 && flowIndex === 0) {
      return gq.set(op, dequantizeCodes(gq, op, flow, constants));
    }
  }

  const step: ChainStep = { op, flowIndex, constants };
  if (flow.kind === "deferred" && type === "DequantizeLinear" && flow.integerCode) {
    // Q → (Clip) → DQ keeps the graph's own scales: tabulate the integer codes, then relabel.
    const codes = gq.materializeInteger(flow, op.loc);
    gq.set(op, dequantizeCodes(gq, op, codes, constants));
    return;
  }
  const deferred: DeferredRepr =
    flow.kind === "enc"
      ? { kind: "deferred", src: flow, steps: [step], shape, integerCode: type === "QuantizeLinear" }
      : { ...flow, steps: [...flow.steps, step], integerCode: type === "QuantizeLinear" || (flow.integerCode && type === "Clip") };
  gq.set(op, deferred);
}

/** x·c, x/c, x+c, x−c, c−x, −x on an encrypted value: new scale and zero point, same integers. */
export function foldAffine(gq: LoweringContext, op: Operation, type: string, x: EncRepr, flowIndex: number, constants: (NDArray | undefined)[]): EncRepr | undefined {
  const n = product(x.shape);
  const c = type === "Neg" ? undefined : constants[1 - flowIndex];
  if (type !== "Neg" && !c) return undefined;
  const cv = c ? broadcastConst(c, x.shape, op.loc) : undefined;
  const scale = new Float64Array(n);
  const zp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = at(x.scale, i);
    const z = at(x.zeroPoint, i);
    const k = cv ? cv[i]! : 0;
    switch (type) {
      case "Mul":
        if (k === 0) return undefined;
        scale[i] = s * k;
        zp[i] = z;
        break;
      case "Div":
        if (flowIndex !== 0 || k === 0) return undefined;
        scale[i] = s / k;
        zp[i] = z;
        break;
      case "Add":
        scale[i] = s;
        zp[i] = z - k / s;
        break;
      case "Sub":
        // x − c = s(q − (z + c/s));  c − x = −s(q − (z + c/s)).
        scale[i] = flowIndex === 0 ? s : -s;
        zp[i] = z + k / s;
        break;
      case "Neg":
        scale[i] = -s;
        zp[i] = z;
        break;
      default:
        return undefined;
    }
  }
  return gq.enc(x.value, x.shape, scale, zp, x.lo, x.hi, x.fresh);
}

export function dequantizeCodes(gq: LoweringContext, op: Operation, codes: EncRepr, constants: (NDArray | undefined)[]): EncRepr {
  const a = onnxAttrs(op.name, op.attributes);
  const scale = constants[1]!;
  const zp = constants[2];
  const n = product(codes.shape);
  if (scale.data.length === 1) {
    return gq.enc(codes.value, codes.shape, Float64Array.of(scale.data[0]!), Float64Array.of(zp?.data[0] ?? 0), codes.lo, codes.hi, codes.fresh);
  }
  const rank = codes.shape.length;
  const axis = (a.int("axis") + rank) % rank;
  const strides = stridesOf(codes.shape);
  const s = new Float64Array(n);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / strides[axis]!) % codes.shape[axis]!;
    s[i] = scale.data[c]!;
    z[i] = zp?.data[c] ?? 0;
  }
  return gq.enc(codes.value, codes.shape, s, z, codes.lo, codes.hi, codes.fresh);
}
