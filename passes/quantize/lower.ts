// The quantizer proper: walks an `onnx`-dialect function in order and builds the equivalent
// integer `fhe` function (what the server runs), the input quantizers and output de-quantizers
// (what the client applies), and a float `onnx` post-processing function (what the client runs
// after decryption: trailing Softmax/ArgMax/univariate ops).
import { asFloats, type Attribute, type DenseAttr, denseAttr } from "../../ir/attributes.js";
import { Builder } from "../../ir/builder.js";
import { FuncOp, type Operation, type Value } from "../../ir/core.js";
import { fail, type Location } from "../../ir/diagnostics.js";
import { onnxAttrs, windowGeometry } from "../../ir/dialects/onnx.js";
import { type NDArray, sizeOf, stridesOf } from "../../ir/tensor.js";
import { type ElementType, type TensorType, elementOf, f32, i64, intType, shapeOf, tensor, typeToString } from "../../ir/types.js";
import { PROVEN_ATTR } from "../bitwidth.js";
import type { OnnxEvaluator } from "../pass.js";
import { affineQuantizer, type Quantizer, quantizeWeights, roundHalfEven } from "./qparams.js";
import { at, type ChainStep, type ConstRepr, type DeferredRepr, type EncRepr, type PostRepr, type Repr, scalarOf, typeForInterval } from "./repr.js";
import { type RoundingConfig, tabulate } from "./tables.js";
import { CLIENT_ONLY_OPS, isClientSideConcat } from "./client_tail.js";

export interface NBits {
  readonly inputs: number;
  readonly weights: number;
  readonly activations: number;
  readonly outputs: number;
}

export interface QuantizeConfig {
  readonly nBits: NBits;
  /** One input quantizer per feature for tabular ([N, F]) inputs. */
  readonly perFeatureInputs: boolean;
  readonly symmetricWeights: boolean;
  readonly perChannelWeights: boolean;
  readonly rounding: RoundingConfig;
}

/** The client's quantizer for one input: per tensor (one scale) or per element of a sample. */
export interface InputQuantizer {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly qmin: number;
  readonly qmax: number;
}

export interface InputSpec {
  readonly name: string;
  /** The ONNX input's shape (`null` for the dynamic batch dimension). */
  readonly shape: readonly (number | null)[];
  readonly quantizer: InputQuantizer;
}

export interface OutputSpec {
  /** Per-sample shape of the encrypted output (batch dimension 1). */
  readonly shape: readonly number[];
  /** Real value = scale · (q − zeroPoint); one value or one per element. */
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
}

export interface QuantizedGraph {
  readonly circuit: FuncOp;
  readonly postprocess: FuncOp;
  readonly inputs: InputSpec[];
  readonly outputs: OutputSpec[];
}

/** Elementwise ops that become part of a table when exactly one operand is encrypted. */
const UNIVARIATE = new Set([
  "Abs", "Acos", "Acosh", "Add", "And", "Asin", "Asinh", "Atan", "Atanh", "BatchNormalization", "Cast", "Celu", "Clip", "Cos",
  "Cosh", "DequantizeLinear", "Div", "Elu", "Equal", "Erf", "Exp", "Floor", "Greater", "GreaterOrEqual", "HardSigmoid", "HardSwish",
  "LeakyRelu", "Less", "LessOrEqual", "Log", "Max", "Min", "Mul", "Neg", "Not", "Or", "Pow", "PRelu", "QuantizeLinear", "Relu",
  "Round", "Selu", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus", "Sqrt", "Sub", "Tan", "Tanh", "ThresholdedRelu", "Where",
]);

/** Ops that only move elements: lowered through an index map computed by evaluating them on indices. */
const DATA_MOVEMENT = new Set(["Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Gather", "Expand", "Concat"]);

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function arrayOf(d: DenseAttr): NDArray {
  return { shape: [...(d.type.shape as number[])], data: d.data };
}

/** The per-sample shape of an onnx type: the leading (batch) dimension becomes 1. */
function perSample(t: TensorType, what: string, loc: Location): number[] {
  return t.shape.map((d, i) => {
    if (d !== null) return i === 0 ? d : d;
    if (i === 0) return 1;
    return fail("E0601", `${what} has a dynamic dimension ${i} (${typeToString(t)}); only the batch dimension may be dynamic`, loc);
  });
}

/** Smallest signed clear integer type holding the values. */
function clearIntType(values: Float64Array): ElementType {
  let w = 2;
  for (const v of values) {
    while (v < -(2 ** (w - 1)) || v > 2 ** (w - 1) - 1) w++;
  }
  return intType(w);
}

export class GraphQuantizer {
  private readonly reprs = new Map<Value, Repr>();
  private readonly circuit: FuncOp;
  private readonly builder: Builder;
  private readonly post: FuncOp;
  private readonly postBuilder: Builder;
  private readonly postArgs = new Map<Value, Value>();
  private readonly fheOutputs: EncRepr[] = [];
  private readonly inputs: InputSpec[] = [];

  constructor(
    private readonly src: FuncOp,
    private readonly cfg: QuantizeConfig,
    private readonly evaluate: OnnxEvaluator,
  ) {
    this.circuit = new FuncOp(src.name, [], [], src.loc);
    this.builder = Builder.atEnd(this.circuit.body, src.loc);
    this.post = new FuncOp("postprocess", [], [], src.loc);
    this.postBuilder = Builder.atEnd(this.post.body, src.loc);
  }

  run(): QuantizedGraph {
    this.src.args.forEach((arg, i) => this.bindInput(arg, i));
    for (const op of this.src.body.ops) {
      if (op.name === "func.return") {
        this.finish(op);
        break;
      }
      this.lowerOp(op);
    }
    return { circuit: this.circuit, postprocess: this.post, inputs: this.inputs, outputs: this.outputSpecs() };
  }

  // ---- inputs, outputs ------------------------------------------------------------------------

  private range(v: Value, loc: Location): { lo: number; hi: number; integer: boolean } {
    const def = v.definingOp;
    let r: Attribute | undefined;
    let integer: Attribute | undefined;
    if (def) {
      r = def.attr("fhec.range");
      integer = def.attr("fhec.integer");
    } else if (v.def?.kind === "arg") {
      const all = this.src.attributes.get("fhec.input_ranges");
      if (all?.kind === "array") r = all.items[v.def.index];
      const ints = this.src.attributes.get("fhec.input_integer");
      if (ints?.kind === "array") integer = ints.items[v.def.index];
    }
    if (r?.kind !== "array" || r.items.length !== 2 || r.items.some((x) => x.kind !== "float" && x.kind !== "int")) {
      return fail(
        "E0600",
        `no calibration range for value %${v.nameHint ?? "?"}: compile with calibration data (or a QDQ model that quantizes it)`,
        loc,
      );
    }
    const [lo, hi] = r.items.map((x) => (x as { value: number }).value) as [number, number];
    return { lo, hi, integer: integer?.kind === "bool" && integer.value };
  }

  private bindInput(arg: Value, index: number): void {
    const t = arg.type as TensorType;
    const loc = this.src.loc;
    const name = arg.nameHint ?? `input${index}`;
    const shape = perSample(t, `input '${name}'`, loc);
    // An input whose only use is a QuantizeLinear (optionally then a Clip) is quantized by the
    // client with exactly those parameters: its encrypted value is the integer code.
    const qdq = this.inputQuantizeLinear(arg);
    let quantizer: InputQuantizer;
    if (qdq) {
      quantizer = qdq.quantizer;
    } else {
      // Tabular inputs ([N, F]) get one quantizer per feature (features have unrelated ranges);
      // the first linear op folds the per-feature scales into its weights at no cost.
      const perFeature = t.shape.length === 2 && this.cfg.perFeatureInputs;
      const ranges = perFeature ? this.elementRanges(arg, product(shape)) : [this.range(arg, loc)];
      const qs = ranges.map((r) => affineQuantizer(r.lo, r.hi, this.cfg.nBits.inputs, r.integer, "step" in r ? (r.step as number | undefined) : undefined));
      quantizer = { scale: qs.map((q) => q.scale), zeroPoint: qs.map((q) => q.zeroPoint), qmin: 0, qmax: 2 ** this.cfg.nBits.inputs - 1 };
    }
    const fheArg = this.circuit.body.addArg(tensor(shape, typeForInterval(quantizer.qmin, quantizer.qmax)), name);
    this.inputs.push({ name, shape: t.shape, quantizer });
    const enc: EncRepr = {
      kind: "enc",
      value: fheArg,
      shape,
      scale: compact(qdq ? Float64Array.of(1) : Float64Array.from(quantizer.scale)),
      zeroPoint: compact(qdq ? Float64Array.of(0) : Float64Array.from(quantizer.zeroPoint)),
      lo: quantizer.qmin,
      hi: quantizer.qmax,
      fresh: true,
    };
    if (qdq) {
      // The ONNX argument itself is never used in the clear; its QuantizeLinear (and Clip) results are the codes.
      for (const v of qdq.codes) this.reprs.set(v, enc);
    } else {
      this.reprs.set(arg, enc);
    }
  }

  /** Per-element calibration ranges (and data grid steps) of an argument. */
  private elementRanges(arg: Value, n: number): { lo: number; hi: number; integer: boolean; step?: number }[] {
    const index = arg.def?.kind === "arg" ? arg.def.index : 0;
    const pick = (name: string) => {
      const all = this.src.attributes.get(name);
      return asFloats(all?.kind === "array" ? all.items[index] : undefined);
    };
    const flat = pick("fhec.input_element_ranges");
    const steps = pick("fhec.input_element_steps");
    const whole = this.range(arg, this.src.loc);
    if (!flat || flat.length !== 2 * n) return new Array(n).fill(whole);
    return Array.from({ length: n }, (_, i) => ({
      lo: flat[2 * i]!,
      hi: flat[2 * i + 1]!,
      integer: whole.integer,
      ...(steps && steps[i]! > 0 ? { step: steps[i]! } : {}),
    }));
  }

  private inputQuantizeLinear(arg: Value): { quantizer: InputQuantizer; codes: Value[] } | undefined {
    if (arg.uses.length !== 1) return undefined;
    const q = arg.uses[0]!.op;
    if (q.name !== "onnx.QuantizeLinear" || arg.uses[0]!.index !== 0) return undefined;
    const scale = this.constOf(q.operands[1]!);
    const zp = q.operands[2] ? this.constOf(q.operands[2]) : undefined;
    if (!scale || scale.value.data.length !== 1 || (q.operands[2] && (!zp || zp.value.data.length !== 1))) return undefined;
    const e = elementOf(q.result.type);
    const width = e.kind === "int" ? e.width : 8;
    const signed = e.kind === "int" && e.signed;
    let qmin = signed ? -(2 ** (width - 1)) : 0;
    let qmax = signed ? 2 ** (width - 1) - 1 : 2 ** width - 1;
    const codes = [q.result];
    const clip = q.result.uses.length === 1 ? q.result.uses[0]!.op : undefined;
    if (clip?.name === "onnx.Clip") {
      const a = onnxAttrs(clip.name, clip.attributes);
      const lo = a.optFloat("min");
      const hi = a.optFloat("max");
      if (lo !== undefined) qmin = Math.max(qmin, Math.ceil(lo));
      if (hi !== undefined) qmax = Math.min(qmax, Math.floor(hi));
      codes.push(clip.result);
    }
    return { quantizer: { scale: [scale.value.data[0]!], zeroPoint: [zp ? zp.value.data[0]! : 0], qmin, qmax }, codes };
  }

  private finish(ret: Operation): void {
    const results = ret.operands.map((v) => this.asPost(v, ret.loc));
    this.circuit.resultTypes.push(...this.fheOutputs.map((o) => o.value.type));
    this.builder.ret(this.fheOutputs.map((o) => o.value));
    this.post.resultTypes.push(...results.map((v) => v.type));
    this.postBuilder.ret(results);
  }

  private outputSpecs(): OutputSpec[] {
    return this.fheOutputs.map((o) => ({ shape: [...o.shape], scale: [...o.scale], zeroPoint: [...o.zeroPoint] }));
  }

  /** The value, computed in the clear by the client from decrypted outputs. */
  private asPost(v: Value, loc: Location): Value {
    const r = this.reprOf(v, loc);
    switch (r.kind) {
      case "post":
        return r.value;
      case "const":
        return this.postConstant(r.value, r.element, loc);
      case "enc":
        return this.postArg(this.outputEnc(r), v.type);
      case "deferred": {
        if (r.integerCode || !this.postEligible(r)) return this.postArg(this.outputEnc(this.materialize(r, v, loc, "outputs")), v.type);
        let cur = this.postArg(this.outputEnc(r.src), v.type);
        for (const s of r.steps) cur = this.clonePost(s.op, s.op.operands.map((o, i) => (i === s.flowIndex ? cur : this.postConstant(s.constants[i]!, elementOf(o.type), s.op.loc))));
        return cur;
      }
    }
  }

  /** Trailing chains move to the client only with scalar constants (weights stay on the server). */
  private postEligible(d: DeferredRepr): boolean {
    return d.steps.every((s) => s.constants.every((c) => c === undefined || c.data.length <= 1));
  }

  /** An encrypted value as a circuit output (wide accumulators stay wide: the client de-quantizes). */
  private outputEnc(e: EncRepr): EncRepr {
    if (!this.fheOutputs.includes(e)) this.fheOutputs.push(e);
    return e;
  }

  private postArg(e: EncRepr, like: Value["type"]): Value {
    const existing = this.postArgs.get(e.value);
    if (existing) return existing;
    const el = elementOf(like).kind === "float" ? elementOf(like) : f32;
    const arg = this.post.body.addArg(tensor([null, ...e.shape.slice(1)], el), `out${this.post.body.args.length}`);
    this.postArgs.set(e.value, arg);
    return arg;
  }

  private postConstant(value: NDArray, element: ElementType, loc: Location): Value {
    const t = tensor(value.shape, element);
    return this.postBuilder.create("onnx.Constant", [], [t], { value: denseAttr(t, value.data) }, { loc }).result;
  }

  private clonePost(op: Operation, operands: Value[]): Value {
    return this.postBuilder.create(op.name, operands, op.results.map((r) => r.type), op.attributes, { loc: op.loc, names: op.results.map((r) => r.nameHint) }).results[0]!;
  }

  // ---- representations ------------------------------------------------------------------------

  private reprOf(v: Value, loc: Location): Repr {
    const r = this.reprs.get(v);
    if (!r) return fail("E0601", `value %${v.nameHint ?? "?"} was not lowered`, loc);
    return r;
  }

  private constOf(v: Value): ConstRepr | undefined {
    const r = this.reprs.get(v);
    if (r?.kind === "const") return r;
    const def = v.definingOp;
    if (def?.name === "onnx.Constant") {
      const value = def.attr("value") as DenseAttr;
      return { kind: "const", value: arrayOf(value), element: value.type.element };
    }
    return undefined;
  }

  private set(op: Operation, r: Repr): void {
    this.reprs.set(op.results[0]!, r);
  }

  private enc(value: Value, shape: readonly number[], scale: Float64Array, zeroPoint: Float64Array, lo: number, hi: number, fresh: boolean): EncRepr {
    return { kind: "enc", value, shape, scale: compact(scale), zeroPoint: compact(zeroPoint), lo, hi, fresh };
  }

  private intConstant(values: Float64Array, shape: readonly number[], name?: string): Value {
    return this.builder.constant(denseAttr(tensor(shape, clearIntType(values)), values), name);
  }

  // ---- the walk -------------------------------------------------------------------------------

  private lowerOp(op: Operation): void {
    const type = op.name.slice("onnx.".length);
    const loc = op.loc;
    // Already bound (a QuantizeLinear/Clip of an input that the client applies).
    if (op.results.every((r) => this.reprs.has(r))) return;
    if (op.name === "onnx.Constant") {
      const value = op.attr("value") as DenseAttr;
      this.set(op, { kind: "const", value: arrayOf(value), element: value.type.element });
      return;
    }
    const reprs = op.operands.map((v) => this.reprOf(v, loc));
    if (reprs.every((r) => r.kind === "const")) return this.foldConstant(op, reprs as ConstRepr[]);
    if (reprs.some((r) => r.kind === "post") || CLIENT_ONLY_OPS.has(op.name)) return this.lowerPost(op, reprs);
    // Trailing chains joined by a Concat that only the client reads: the client computes them exactly.
    if (isClientSideConcat(op) && reprs.every((r) => r.kind === "enc" || r.kind === "const" || (r.kind === "deferred" && !r.integerCode && this.postEligible(r)))) return this.lowerPost(op, reprs);

    switch (type) {
      case "Identity":
      case "Dropout":
        this.set(op, reprs[0]!);
        return;
      case "Gemm":
        return this.lowerGemm(op, reprs);
      case "MatMul":
        return this.lowerMatMul(op, reprs);
      case "Conv":
        return this.lowerConv(op, reprs);
      case "AveragePool":
        return this.lowerAveragePool(op);
      case "GlobalAveragePool":
        return this.lowerReduce(op, [2, 3], true, true);
      case "ReduceSum":
      case "ReduceMean": {
        const a = onnxAttrs(op.name, op.attributes);
        const r = shapeOf(op.operands[0]!.type).length;
        const axes = (a.ints("axes") ?? []).map((x) => (x < 0 ? x + r : x));
        const all = axes.length === 0 ? Array.from({ length: r - 1 }, (_, i) => i + 1) : axes;
        if (all.includes(0)) fail("E0601", "reducing over the batch axis is not supported", loc, op.name);
        return this.lowerReduce(op, all, a.int("keepdims") !== 0, type === "ReduceMean");
      }
      case "MaxPool":
        return this.lowerMaxPool(op);
      case "Pad":
        return this.lowerPad(op, reprs[0]!);
      default:
        break;
    }
    if (DATA_MOVEMENT.has(type)) return this.lowerDataMovement(op, reprs);
    const live = reprs.filter((r) => r.kind !== "const");
    if (UNIVARIATE.has(type) && live.length === 1) return this.lowerUnivariate(op, reprs);
    if (live.length === 2 && ["Add", "Sub", "Mul", "Max", "Min"].includes(type)) return this.lowerBivariate(op, type);
    fail(
      "E0601",
      live.length > 1
        ? `${type} of ${live.length} encrypted values has no FHE lowering (Add, Sub, Mul, Max and Min combine exactly two encrypted values; chain two-input ops instead)`
        : `${type} on encrypted values is not supported by the quantizer`,
      loc,
      op.name,
    );
  }

  private foldConstant(op: Operation, reprs: ConstRepr[]): void {
    const out = this.evaluate(op, reprs.map((r) => r.value));
    op.results.forEach((res, i) => {
      const repr: ConstRepr = { kind: "const", value: out[i]!, element: elementOf(res.type) };
      if (op.name === "onnx.DequantizeLinear" && i === 0) {
        const a = onnxAttrs(op.name, op.attributes);
        const rank = reprs[0]!.value.shape.length;
        const axis = reprs[1]!.value.data.length > 1 ? (a.int("axis") + rank) % rank : undefined;
        this.reprs.set(res, {
          ...repr,
          quantized: {
            q: reprs[0]!.value,
            scale: reprs[1]!.value,
            zeroPoint: reprs[2]?.value ?? { shape: reprs[1]!.value.shape, data: new Float64Array(reprs[1]!.value.data.length) },
            axis,
          },
        });
      } else {
        this.reprs.set(res, repr);
      }
    });
  }

  /** Ops run by the client after decryption; their constants must not carry model weights. */
  private lowerPost(op: Operation, reprs: Repr[]): void {
    const weighty = reprs.find((r) => r.kind === "const" && r.value.data.length > 1);
    if (weighty && !DATA_MOVEMENT.has(op.name.slice(5))) {
      fail(
        "E0601",
        `${op.name.slice(5)} uses the result of a client-side op (Softmax, ArgMax, Normalizer) together with constant weights; ` +
          "only scalar constants may run on the client (the weights stay on the server)",
        op.loc,
        op.name,
      );
    }
    const operands = op.operands.map((v) => this.asPost(v, op.loc));
    const value = this.clonePost(op, operands);
    this.set(op, { kind: "post", value } satisfies PostRepr);
  }

  // ---- univariate chains ------------------------------------------------------------------------

  private lowerUnivariate(op: Operation, reprs: Repr[]): void {
    const flowIndex = reprs.findIndex((r) => r.kind !== "const");
    const flow = reprs[flowIndex]!;
    const constants = reprs.map((r) => (r.kind === "const" ? r.value : undefined));
    const type = op.name.slice(5);
    const shape = flow.kind === "enc" ? flow.shape : (flow as DeferredRepr).shape;
    const outShape = perSample(op.result.type as TensorType, `result of ${op.name}`, op.loc);
    if (product(outShape) !== product(shape)) {
      fail("E0601", `${type} broadcasts an encrypted ${JSON.stringify(shape)} tensor to ${JSON.stringify(outShape)}; not supported`, op.loc, op.name);
    }

    if (flow.kind === "enc") {
      // Affine ops with constants only change the scale and zero point: exact and free.
      const affine = this.foldAffine(op, type, flow, flowIndex, constants);
      if (affine) return this.set(op, affine);
      // A DequantizeLinear of integer codes is a relabelling: real = s · (q − z).
      if (type === "DequantizeLinear" && scalarOf(flow.scale) === 1 && scalarOf(flow.zeroPoint) === 0 && flowIndex === 0) {
        return this.set(op, this.dequantizeCodes(op, flow, constants));
      }
    }

    const step: ChainStep = { op, flowIndex, constants };
    if (flow.kind === "deferred" && type === "DequantizeLinear" && flow.integerCode) {
      // Q → (Clip) → DQ keeps the graph's own scales: tabulate the integer codes, then relabel.
      const codes = this.materializeInteger(flow, op.loc);
      this.set(op, this.dequantizeCodes(op, codes, constants));
      return;
    }
    const deferred: DeferredRepr =
      flow.kind === "enc"
        ? { kind: "deferred", src: flow, steps: [step], shape, integerCode: type === "QuantizeLinear" }
        : { ...(flow as DeferredRepr), steps: [...(flow as DeferredRepr).steps, step], integerCode: type === "QuantizeLinear" || ((flow as DeferredRepr).integerCode && type === "Clip") };
    this.set(op, deferred);
  }

  /** x·c, x/c, x+c, x−c, c−x, −x on an encrypted value: new scale and zero point, same integers. */
  private foldAffine(op: Operation, type: string, x: EncRepr, flowIndex: number, constants: (NDArray | undefined)[]): EncRepr | undefined {
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
    return this.enc(x.value, x.shape, scale, zp, x.lo, x.hi, x.fresh);
  }

  private dequantizeCodes(op: Operation, codes: EncRepr, constants: (NDArray | undefined)[]): EncRepr {
    const a = onnxAttrs(op.name, op.attributes);
    const scale = constants[1]!;
    const zp = constants[2];
    const n = product(codes.shape);
    if (scale.data.length === 1) {
      return this.enc(codes.value, codes.shape, Float64Array.of(scale.data[0]!), Float64Array.of(zp?.data[0] ?? 0), codes.lo, codes.hi, codes.fresh);
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
    return this.enc(codes.value, codes.shape, s, z, codes.lo, codes.hi, codes.fresh);
  }



  /** Runs a chain's steps on a batch of real inputs laid out [D, …]. */
  private runSteps(steps: readonly ChainStep[], x: NDArray): NDArray {
    // The model computes in its own element type: real inputs are f32 values when the ONNX value is f32.
    const first = steps[0];
    const e = first ? elementOf(first.op.operands[first.flowIndex]!.type) : undefined;
    let cur = e?.kind === "float" && e.width === 32 ? { shape: x.shape, data: x.data.map(Math.fround) } : x;
    for (const s of steps) {
      const operands = s.constants.map((c, i) => (i === s.flowIndex ? cur : c!));
      cur = this.evaluate(s.op, operands)[0]!;
    }
    return cur;
  }

  private materializeInteger(d: DeferredRepr, loc: Location): EncRepr {
    return tabulate(this.builder, d.src, (x) => this.runSteps(d.steps, x), "integer", this.cfg.rounding, loc, d.steps[d.steps.length - 1]!.op.name);
  }

  /** A table lookup computing a deferred chain (or a requantization of `enc`) into `role`-bit codes. */
  private materialize(r: DeferredRepr | EncRepr, v: Value, loc: Location, role: "activations" | "outputs"): EncRepr {
    if (r.kind === "deferred" && r.integerCode) return this.materializeInteger(r, loc);
    const range = this.range(v, loc);
    const q = affineQuantizer(Math.min(range.lo, 0), Math.max(range.hi, 0), this.cfg.nBits[role], range.integer);
    const src = r.kind === "deferred" ? r.src : r;
    const steps = r.kind === "deferred" ? r.steps : [];
    const opName = steps.length > 0 ? steps[steps.length - 1]!.op.name : "requantize";
    return tabulate(this.builder, src, (x) => this.runSteps(steps, x), q, this.cfg.rounding, loc, opName, v.nameHint);
  }

  /**
   * An encrypted operand for a linear op: produced by a table or the client (so its class is its
   * own), with narrow codes, and scale/zero point that the op can absorb (`perK`: may vary along the
   * last axis — matmul folds them into its weights; `uniform`: one scale and an integer zero point).
   */
  private linearInput(v: Value, loc: Location, mode: "perK" | "uniform"): EncRepr {
    const r = this.reprOf(v, loc);
    if (r.kind === "const" || r.kind === "post") return fail("E0601", "expected an encrypted operand", loc);
    if (r.kind === "deferred") return this.materialize(r, v, loc, "activations");
    const narrow = typeForInterval(r.lo, r.hi).width <= Math.max(this.cfg.nBits.activations, this.cfg.nBits.inputs);
    const absorbable = mode === "perK" ? variesOnlyAlongLastAxis(r) : scalarOf(r.scale) !== undefined && Number.isInteger(scalarOf(r.zeroPoint));
    if (r.fresh && narrow && absorbable) return r;
    return this.materialize(r, v, loc, "activations");
  }

  /** Integer weights (minus zero points) and per-output-channel scales for a [K, N]-like matrix. */
  private weights(w: ConstRepr, outAxis: number): { values: Float64Array; scales: Float64Array } {
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
    const perChannel = this.cfg.perChannelWeights;
    return quantizeWeights(w.value.data, this.cfg.nBits.weights, {
      symmetric: this.cfg.symmetricWeights,
      channels: perChannel ? channels : 1,
      channelOf: perChannel ? channelOf : () => 0,
    });
  }

  private constOperand(r: Repr | undefined, what: string, op: Operation): ConstRepr {
    if (!r || r.kind !== "const") return fail("E0601", `${op.name.slice(5)} with an encrypted ${what} has no FHE lowering (weights must be constants)`, op.loc, op.name);
    return r;
  }

  private lowerGemm(op: Operation, reprs: Repr[]): void {
    const a = onnxAttrs(op.name, op.attributes);
    if (a.int("transA")) fail("E0601", "Gemm with transA = 1 on an encrypted input is not supported", op.loc, op.name);
    const x = this.linearInput(op.operands[0]!, op.loc, "perK");
    const b = this.constOperand(reprs[1], "B", op);
    const c = reprs[2] ? this.constOperand(reprs[2], "C", op) : undefined;
    const transB = a.int("transB") !== 0;
    const w = transB ? transposeConst(b) : b;
    this.emitMatmul(op, x, w, a.float("alpha"), c ? { value: c.value, factor: a.float("beta") } : undefined);
  }

  private lowerMatMul(op: Operation, reprs: Repr[]): void {
    if (reprs[0]!.kind !== "const" && reprs[1]!.kind === "const") {
      const x = this.linearInput(op.operands[0]!, op.loc, "perK");
      const w = reprs[1] as ConstRepr;
      if (w.value.shape.length !== 2) fail("E0601", `MatMul with a ${w.value.shape.length}-D constant is not supported (2-D weights only)`, op.loc, op.name);
      return this.emitMatmul(op, x, w, 1, undefined);
    }
    if (reprs[0]!.kind === "const" && reprs[1]!.kind !== "const") {
      const w = reprs[0] as ConstRepr;
      const x = this.linearInput(op.operands[1]!, op.loc, "uniform");
      if (w.value.shape.length !== 2 || x.shape.length !== 2) fail("E0601", "MatMul of a constant by an encrypted value needs 2-D operands", op.loc, op.name);
      const { values, scales } = this.weights(w, 0);
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
      const acc = this.builder.create("fhe.matmul_int_eint", [this.intConstant(values, [m, k], "w"), x.value], [tensor(outShape, typeForInterval(range.lo, range.hi))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
      const scale = new Float64Array(m * n);
      const zp = new Float64Array(m * n);
      for (let i = 0; i < m * n; i++) {
        const row = Math.floor(i / n);
        scale[i] = scales[scales.length === 1 ? 0 : row]! * sx;
        zp[i] = zx * rowSum[row]!;
      }
      this.set(op, this.enc(acc, outShape, scale, zp, range.lo, range.hi, false));
      return;
    }
    fail("E0601", "MatMul of two encrypted values has no FHE lowering (one operand must be a constant)", op.loc, op.name);
  }

  /**
   * acc = q_x · W' for x [..., K] and W [K, N]. Per-K input scales fold into the weights before
   * they are quantized; zero points and the bias fold into the output zero point:
   * real_n = alpha · S_n · (acc_n − zp_n) with zp_n = Σ_k W'_kn · Z_k − factor · bias_n / (alpha · S_n).
   */
  private emitMatmul(op: Operation, x: EncRepr, w: ConstRepr, alpha: number, bias: { value: NDArray; factor: number } | undefined): void {
    const [k, n] = w.value.shape as [number, number];
    if (x.shape[x.shape.length - 1] !== k) fail("E0601", `inner dimensions differ: ${JSON.stringify(x.shape)} and [${k}, ${n}]`, op.loc, op.name);
    const sk = (i: number) => at(x.scale, x.scale.length === 1 ? 0 : i);
    const zk = (i: number) => at(x.zeroPoint, x.zeroPoint.length === 1 ? 0 : i);
    // Weights seen by the integer codes: W_kn · S_k (the quantized-weight path keeps its own scales).
    const folded: ConstRepr =
      x.scale.length === 1 && w.quantized
        ? w
        : { kind: "const", element: w.element, value: { shape: [k, n], data: w.value.data.map((v, i) => v * sk(Math.floor(i / n))) } };
    const { values, scales } = this.weights(folded, 1);
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
    const acc = this.builder.create("fhe.matmul_eint_int", [x.value, this.intConstant(values, [k, n], "w")], [tensor(outShape, typeForInterval(range.lo, range.hi))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
    const total = product(outShape);
    this.set(op, this.enc(acc, outShape, Float64Array.from({ length: total }, (_, i) => colScale[i % n]!), Float64Array.from({ length: total }, (_, i) => zp[i % n]!), range.lo, range.hi, false));
  }

  private lowerConv(op: Operation, reprs: Repr[]): void {
    const a = onnxAttrs(op.name, op.attributes);
    const w = this.constOperand(reprs[1], "weight", op);
    const bias = reprs[2] ? this.constOperand(reprs[2], "bias", op) : undefined;
    const x = this.linearInput(op.operands[0]!, op.loc, "uniform");
    const oneD = x.shape.length === 3;
    const geom = windowGeometry(x.shape.slice(2), w.value.shape.slice(2), a, false);
    const group = a.int("group");
    const wShape = oneD ? [w.value.shape[0]!, w.value.shape[1]!, 1, w.value.shape[2]!] : [...w.value.shape];
    const f = wShape[0]!;
    const { values, scales } = this.weights(w, 0);
    const pad2 = oneD ? [0, geom.padBegin[0]!, 0, geom.padEnd[0]!] : [geom.padBegin[0]!, geom.padBegin[1]!, geom.padEnd[0]!, geom.padEnd[1]!];
    const strides = oneD ? [1, geom.strides[0]!] : geom.strides;
    const dil = oneD ? [1, geom.dilations[0]!] : geom.dilations;
    let xv = x.value;
    let xShape = oneD ? [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!] : [...x.shape];
    if (oneD) xv = this.builder.create("fhe.reshape", [xv], [tensor(xShape, elementOf(xv.type))], {}, { loc: op.loc }).result;
    // Padding with Z (the code of real 0) makes every window hold a full kernel of (q − Z) terms.
    const padded = this.padWithZeroPoint(xv, xShape, x, pad2, op.loc);
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
    const oh = Math.floor((xShape[2]! - dil[0]! * (wShape[2]! - 1) - 1) / strides[0]!) + 1;
    const ow = Math.floor((xShape[3]! - dil[1]! * (wShape[3]! - 1) - 1) / strides[1]!) + 1;
    const out4 = [xShape[0]!, f, oh, ow];
    let acc = this.builder.create(
      "fhe.conv2d",
      [xv, this.intConstant(values, wShape, "w")],
      [tensor(out4, typeForInterval(range.lo, range.hi))],
      { strides: ints(strides), pads: ints([0, 0, 0, 0]), dilations: ints(dil), group: { kind: "int", value: group } },
      { loc: op.loc, names: [oneD ? undefined : op.result.nameHint] },
    ).result;
    const outShape = oneD ? [out4[0]!, f, ow] : out4;
    if (oneD) acc = this.builder.create("fhe.reshape", [acc], [tensor(outShape, elementOf(acc.type))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
    const plane = product(outShape.slice(2));
    const n = product(outShape);
    const chan = (i: number) => Math.floor(i / plane) % f;
    this.set(op, this.enc(acc, outShape, Float64Array.from({ length: n }, (_, i) => fScale[chan(i)]!), Float64Array.from({ length: n }, (_, i) => fZp[chan(i)]!), range.lo, range.hi, false));
  }

  /** Pads spatial dims [top, left, bottom, right] with the zero point (no op when there is no padding). */
  private padWithZeroPoint(xv: Value, shape: number[], x: EncRepr, pads: readonly number[], loc: Location): { value: Value; shape: number[]; lo: number; hi: number } {
    if (!pads.some((p) => p > 0)) return { value: xv, shape, lo: x.lo, hi: x.hi };
    const z = x.zeroPoint[0]!;
    const lo = Math.min(x.lo, z);
    const hi = Math.max(x.hi, z);
    const out = [shape[0]!, shape[1]!, shape[2]! + pads[0]! + pads[2]!, shape[3]! + pads[1]! + pads[3]!];
    const value = this.builder.create("fhe.pad", [xv], [tensor(out, typeForInterval(lo, hi))], { pads: ints([0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!]), value: { kind: "int", value: z } }, { loc }).result;
    return { value, shape: out, lo, hi };
  }

  private lowerAveragePool(op: Operation): void {
    const a = onnxAttrs(op.name, op.attributes);
    const x = this.linearInput(op.operands[0]!, op.loc, "uniform");
    if (x.shape.length !== 4) fail("E0601", "AveragePool is supported on 4-D inputs only", op.loc, op.name);
    const kernel = a.ints("kernel_shape")!;
    const spatial = x.shape.slice(2);
    const geom = windowGeometry(spatial, kernel, a, a.int("ceil_mode") !== 0);
    const floorGeom = windowGeometry(spatial, kernel, a, false);
    if (geom.out.some((o, i) => o !== floorGeom.out[i])) fail("E0601", "AveragePool with ceil_mode changing the output size is not supported", op.loc, op.name);
    const c = x.shape[1]!;
    const kk = kernel[0]! * kernel[1]!;
    const pads = [geom.padBegin[0]!, geom.padBegin[1]!, geom.padEnd[0]!, geom.padEnd[1]!];
    const padded = this.padWithZeroPoint(x.value, [...x.shape], x, pads, op.loc);
    const [oh, ow] = geom.out as [number, number];
    const outShape = [x.shape[0]!, c, oh, ow];
    const lo = kk * padded.lo;
    const hi = kk * padded.hi;
    const acc = this.builder.create(
      "fhe.conv2d",
      [padded.value, this.intConstant(new Float64Array(c * kk).fill(1), [c, 1, kernel[0]!, kernel[1]!])],
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
          if (!includePad) count = overlap(i * geom.strides[0]! - pads[0]!, kernel[0]!, spatial[0]!) * overlap(j * geom.strides[1]! - pads[1]!, kernel[1]!, spatial[1]!);
          scale[(ch * oh + i) * ow + j] = x.scale[0]! / count;
        }
      }
    }
    this.set(op, this.enc(acc, outShape, scale, Float64Array.of(kk * x.zeroPoint[0]!), lo, hi, false));
  }

  private lowerReduce(op: Operation, axes: number[], keepDims: boolean, mean: boolean): void {
    const x = this.linearInput(op.operands[0]!, op.loc, "uniform");
    const set = new Set(axes);
    const count = axes.reduce((acc, ax) => acc * x.shape[ax]!, 1);
    const outShape = keepDims ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i));
    const lo = count * x.lo;
    const hi = count * x.hi;
    const acc = this.builder.create("fhe.sum", [x.value], [tensor(outShape, typeForInterval(lo, hi))], { axes: ints(axes), keep_dims: { kind: "bool", value: keepDims } }, { loc: op.loc, names: [op.result.nameHint] }).result;
    this.set(op, this.enc(acc, outShape, Float64Array.of(mean ? x.scale[0]! / count : x.scale[0]!), Float64Array.of(count * x.zeroPoint[0]!), lo, hi, false));
  }

  private lowerDataMovement(op: Operation, reprs: Repr[]): void {
    const live = reprs.map((r, i) => ({ r, i })).filter(({ r }) => r.kind !== "const");
    // A chain with per-element constants cannot move past a permutation: tabulate it first.
    const encs = live.map(({ r, i }) => {
      if (r.kind === "deferred" && live.length === 1 && r.steps.every((s) => s.constants.every((c) => !c || c.data.length <= 1))) return r;
      return r.kind === "enc" ? r : this.linearInput(op.operands[i]!, op.loc, "uniform");
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
    const moved = this.evaluate(op, operands)[0]!;
    const map = moved.data;
    const outShape = [...moved.shape];
    const first = encs[0]!;
    if (first.kind === "deferred") {
      const src = this.moveEnc(op, [first.src], map, outShape);
      this.set(op, { ...first, src, shape: outShape });
      return;
    }
    this.set(op, this.moveEnc(op, encs as EncRepr[], map, outShape));
  }

  /** Emits the element movement `map` (output element → flat index into the concatenated inputs). */
  private moveEnc(op: Operation, inputs: EncRepr[], map: Float64Array, outShape: number[]): EncRepr {
    const lo = Math.min(...inputs.map((e) => e.lo));
    const hi = Math.max(...inputs.map((e) => e.hi));
    const t = typeForInterval(lo, hi);
    const total = inputs.reduce((s, e) => s + product(e.shape), 0);
    const identity = inputs.length === 1 && map.length === total && map.every((v, i) => v === i);
    let value: Value;
    if (identity) {
      value = this.builder.create("fhe.reshape", [inputs[0]!.value], [tensor(outShape, t)], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
    } else {
      const flat = inputs.map((e) => this.builder.create("fhe.reshape", [e.value], [tensor([product(e.shape)], t)], {}, { loc: op.loc }).result);
      const all = flat.length === 1 ? flat[0]! : this.builder.create("fhe.concat", flat, [tensor([total], t)], { axis: { kind: "int", value: 0 } }, { loc: op.loc }).result;
      const gathered = this.builder.create(
        "fhe.gather",
        [all],
        [tensor([map.length], t)],
        { indices: denseAttr(tensor([map.length], i64), map), axis: { kind: "int", value: 0 } },
        { loc: op.loc },
      ).result;
      value = this.builder.create("fhe.reshape", [gathered], [tensor(outShape, t)], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
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
    return this.enc(value, outShape, moveParam((e) => e.scale), moveParam((e) => e.zeroPoint), lo, hi, inputs.every((e) => e.fresh));
  }

  private lowerPad(op: Operation, r: Repr): void {
    const a = onnxAttrs(op.name, op.attributes);
    const mode = a.get("mode") ? a.str("mode") : "constant";
    if (mode !== "constant") fail("E0601", `Pad mode "${mode}" on encrypted values is not supported (constant only)`, op.loc, op.name);
    const x = r.kind === "enc" ? r : this.linearInput(op.operands[0]!, op.loc, "uniform");
    const zp = scalarOf(x.zeroPoint);
    const s = scalarOf(x.scale);
    if (zp === undefined || s === undefined) return this.set(op, this.lowerPadGeneric(op, this.linearInput(op.operands[0]!, op.loc, "uniform")));
    this.set(op, this.lowerPadGeneric(op, x));
  }

  private lowerPadGeneric(op: Operation, x: EncRepr): EncRepr {
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
    const v = this.builder.create("fhe.pad", [x.value], [tensor(outShape, typeForInterval(lo, hi))], { pads: ints(full), value: { kind: "int", value: code } }, { loc: op.loc, names: [op.result.nameHint] }).result;
    return this.enc(v, outShape, x.scale, x.zeroPoint, lo, hi, x.fresh);
  }

  // ---- two encrypted operands --------------------------------------------------------------------

  /** Requantizes both operands onto one scale and zero point (table lookups where they differ). */
  private aligned(op: Operation, av: Value, bv: Value): [EncRepr, EncRepr] {
    let a = this.linearInput(av, op.loc, "uniform");
    let b = this.linearInput(bv, op.loc, "uniform");
    if (a.scale[0] === b.scale[0] && a.zeroPoint[0] === b.zeroPoint[0]) return [a, b];
    // Common quantizer covering both ranges, at the finer of the two steps' coarser bound.
    const ra = { lo: a.scale[0]! * (a.lo - a.zeroPoint[0]!), hi: a.scale[0]! * (a.hi - a.zeroPoint[0]!) };
    const rb = { lo: b.scale[0]! * (b.lo - b.zeroPoint[0]!), hi: b.scale[0]! * (b.hi - b.zeroPoint[0]!) };
    const q = affineQuantizer(Math.min(ra.lo, rb.lo, 0), Math.max(ra.hi, rb.hi, 0), this.cfg.nBits.activations);
    const requant = (e: EncRepr) => (e.scale[0] === q.scale && e.zeroPoint[0] === q.zeroPoint ? e : tabulate(this.builder, e, (x) => x, q, this.cfg.rounding, op.loc, op.name));
    a = requant(a);
    b = requant(b);
    return [a, b];
  }

  private lowerBivariate(op: Operation, type: string): void {
    const [av, bv] = [op.operands[0]!, op.operands[1]!];
    const outShape = perSample(op.result.type as TensorType, `result of ${op.name}`, op.loc);
    if (type === "Mul") return this.set(op, this.multiply(op, av, bv, outShape));
    const [a, b] = this.aligned(op, av, bv);
    const s = a.scale[0]!;
    const za = a.zeroPoint[0]!;
    const zb = b.zeroPoint[0]!;
    const emit = (name: string, x: Value, y: Value, lo: number, hi: number) => this.builder.create(name, [x, y], [tensor(outShape, typeForInterval(lo, hi))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
    switch (type) {
      case "Add": {
        const v = emit("fhe.add_eint", a.value, b.value, a.lo + b.lo, a.hi + b.hi);
        this.set(op, this.enc(v, outShape, Float64Array.of(s), Float64Array.of(za + zb), a.lo + b.lo, a.hi + b.hi, false));
        return;
      }
      case "Sub": {
        const v = emit("fhe.sub_eint", a.value, b.value, a.lo - b.hi, a.hi - b.lo);
        this.set(op, this.enc(v, outShape, Float64Array.of(s), Float64Array.of(za - zb), a.lo - b.hi, a.hi - b.lo, false));
        return;
      }
      default: {
        // max(a, b) = a + relu(b − a); min(a, b) = a − relu(a − b). Same scale and zero point.
        const isMax = type === "Max";
        const dLo = isMax ? b.lo - a.hi : a.lo - b.hi;
        const dHi = isMax ? b.hi - a.lo : a.hi - b.lo;
        const d = this.builder.create("fhe.sub_eint", isMax ? [b.value, a.value] : [a.value, b.value], [tensor(outShape, typeForInterval(dLo, dHi))], {}, { loc: op.loc }).result;
        const diff: EncRepr = this.enc(d, outShape, Float64Array.of(1), Float64Array.of(0), dLo, dHi, false);
        const relu = tabulate(this.builder, diff, (x) => ({ shape: x.shape, data: x.data.map((v) => Math.max(v, 0)) }), "integer", this.cfg.rounding, op.loc, op.name);
        const lo = isMax ? Math.max(a.lo, b.lo) : Math.min(a.lo, b.lo);
        const hi = isMax ? Math.max(a.hi, b.hi) : Math.min(a.hi, b.hi);
        const name = isMax ? "fhe.add_eint" : "fhe.sub_eint";
        const sumLo = isMax ? a.lo + relu.lo : a.lo - relu.hi;
        const sumHi = isMax ? a.hi + relu.hi : a.hi - relu.lo;
        const v = emit(name, a.value, relu.value, Math.max(lo, sumLo), Math.min(hi, sumHi));
        v.definingOp!.attributes.set(PROVEN_ATTR, ints([Math.max(lo, sumLo), Math.min(hi, sumHi)]));
        this.set(op, this.enc(v, outShape, Float64Array.of(s), Float64Array.of(za), Math.max(lo, sumLo), Math.min(hi, sumHi), false));
      }
    }
  }

  /** a·b = ((a+b)² − (a−b)²)/4 with two squaring tables; x·x uses one. */
  private multiply(op: Operation, av: Value, bv: Value, outShape: number[]): EncRepr {
    const range = this.range(op.result, op.loc);
    const out = affineQuantizer(Math.min(range.lo, 0), Math.max(range.hi, 0), this.cfg.nBits.activations);
    const sq: Quantizer = { ...out, zeroPoint: 0, qmin: -(2 ** 40), qmax: 2 ** 40 };
    if (av === bv) {
      const a = this.linearInput(av, op.loc, "uniform");
      return tabulate(this.builder, a, (x) => ({ shape: x.shape, data: x.data.map((v) => v * v) }), out, this.cfg.rounding, op.loc, op.name, op.result.nameHint);
    }
    const [a, b] = this.aligned(op, av, bv);
    const s = a.scale[0]!;
    const z = a.zeroPoint[0]!;
    const sumLo = a.lo + b.lo;
    const sumHi = a.hi + b.hi;
    const sum = this.builder.create("fhe.add_eint", [a.value, b.value], [tensor(outShape, typeForInterval(sumLo, sumHi))], {}, { loc: op.loc }).result;
    const dLo = a.lo - b.hi;
    const dHi = a.hi - b.lo;
    const diff = this.builder.create("fhe.sub_eint", [a.value, b.value], [tensor(outShape, typeForInterval(dLo, dHi))], {}, { loc: op.loc }).result;
    // real(a)+real(b) = s·(sum − 2z); real(a)−real(b) = s·diff.
    const u = tabulate(this.builder, this.enc(sum, outShape, Float64Array.of(s), Float64Array.of(2 * z), sumLo, sumHi, false), (x) => ({ shape: x.shape, data: x.data.map((v) => (v * v) / 4) }), sq, this.cfg.rounding, op.loc, op.name);
    const d = tabulate(this.builder, this.enc(diff, outShape, Float64Array.of(s), Float64Array.of(0), dLo, dHi, false), (x) => ({ shape: x.shape, data: x.data.map((v) => (v * v) / 4) }), sq, this.cfg.rounding, op.loc, op.name);
    const lo = u.lo - d.hi;
    const hi = u.hi - d.lo;
    const v = this.builder.create("fhe.sub_eint", [u.value, d.value], [tensor(outShape, typeForInterval(lo, hi))], {}, { loc: op.loc, names: [op.result.nameHint] }).result;
    return this.enc(v, outShape, Float64Array.of(out.scale), Float64Array.of(0), lo, hi, false);
  }

  private lowerMaxPool(op: Operation): void {
    const a = onnxAttrs(op.name, op.attributes);
    const x = this.linearInput(op.operands[0]!, op.loc, "uniform");
    if (x.shape.length !== 4) fail("E0601", "MaxPool is supported on 4-D inputs only", op.loc, op.name);
    const kernel = a.ints("kernel_shape")!;
    const geom = windowGeometry(x.shape.slice(2), kernel, a, a.int("ceil_mode") !== 0);
    const pads = [geom.padBegin[0]!, geom.padBegin[1]!, geom.padEnd[0]!, geom.padEnd[1]!];
    const [oh, ow] = geom.out as [number, number];
    // Pad with the smallest code so padding never wins; extra end padding covers ceil_mode windows.
    const needH = (oh - 1) * geom.strides[0]! + geom.dilations[0]! * (kernel[0]! - 1) + 1;
    const needW = (ow - 1) * geom.strides[1]! + geom.dilations[1]! * (kernel[1]! - 1) + 1;
    const h = x.shape[2]! + pads[0]!;
    const w = x.shape[3]! + pads[1]!;
    const endH = Math.max(0, needH - h);
    const endW = Math.max(0, needW - w);
    let xv = x.value;
    if (pads[0]! + pads[1]! + endH + endW > 0) {
      xv = this.builder.create(
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
        const v = this.builder.create("fhe.slice", [padded.value], [tensor(outShape, typeForInterval(x.lo, x.hi))], { starts: ints(starts), ends: ints(ends), steps: ints([1, 1, geom.strides[0]!, geom.strides[1]!]) }, { loc: op.loc }).result;
        windows.push({ ...x, value: v, shape: outShape });
      }
    }
    // Pairwise maximum tree: max(a, b) = a + relu(b − a).
    let level = windows;
    while (level.length > 1) {
      const next: EncRepr[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(this.maxOf(op, level[i]!, level[i + 1]!, outShape));
      if (level.length % 2 === 1) next.push(level[level.length - 1]!);
      level = next;
    }
    const result = level[0]!;
    this.set(op, { ...result, scale: x.scale, zeroPoint: x.zeroPoint, fresh: false });
  }

  private maxOf(op: Operation, a: EncRepr, b: EncRepr, shape: number[]): EncRepr {
    const dLo = b.lo - a.hi;
    const dHi = b.hi - a.lo;
    const d = this.builder.create("fhe.sub_eint", [b.value, a.value], [tensor(shape, typeForInterval(dLo, dHi))], {}, { loc: op.loc }).result;
    const relu = tabulate(this.builder, this.enc(d, shape, Float64Array.of(1), Float64Array.of(0), dLo, dHi, false), (x) => ({ shape: x.shape, data: x.data.map((v) => Math.max(v, 0)) }), "integer", this.cfg.rounding, op.loc, op.name);
    const lo = Math.max(a.lo, b.lo);
    const hi = Math.max(a.hi, b.hi);
    const v = this.builder.create("fhe.add_eint", [a.value, relu.value], [tensor(shape, typeForInterval(lo, hi))], { [PROVEN_ATTR]: ints([lo, hi]) }, { loc: op.loc }).result;
    return { ...a, value: v, lo, hi, fresh: false };
  }
}

function compact(a: Float64Array): Float64Array {
  const s = scalarOf(a);
  return s !== undefined ? Float64Array.of(s) : a;
}

function ints(values: readonly number[]): Attribute {
  return { kind: "array", items: values.map((value) => ({ kind: "int", value })) };
}

function spanOf(lo: Float64Array, hi: Float64Array): { lo: number; hi: number } {
  let l = Infinity;
  let h = -Infinity;
  for (let i = 0; i < lo.length; i++) {
    l = Math.min(l, lo[i]!);
    h = Math.max(h, hi[i]!);
  }
  return { lo: l, hi: h };
}

/** Scale and zero point depend only on the last axis (what a matmul can fold into its weights). */
function variesOnlyAlongLastAxis(r: EncRepr): boolean {
  const k = r.shape[r.shape.length - 1]!;
  const ok = (a: Float64Array) => a.length === 1 || a.every((v, i) => v === a[i % k]);
  return ok(r.scale) && ok(r.zeroPoint);
}

function transposeConst(c: ConstRepr): ConstRepr {
  const [r, k] = c.value.shape as [number, number];
  const t = (a: NDArray): NDArray => {
    const out = new Float64Array(a.data.length);
    for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) out[j * r + i] = a.data[i * k + j]!;
    return { shape: [k, r], data: out };
  };
  const q = c.quantized;
  return {
    kind: "const",
    value: t(c.value),
    element: c.element,
    ...(q ? { quantized: { ...q, q: t(q.q), axis: q.axis === undefined ? undefined : 1 - q.axis } } : {}),
  };
}

/** A constant broadcast to a per-sample shape, as a flat array. */
function broadcastConst(c: NDArray, shape: readonly number[], loc: Location): Float64Array {
  const n = sizeOf(shape);
  if (c.data.length === 1) return new Float64Array(n).fill(c.data[0]!);
  const cs = c.shape.length > shape.length && c.shape[0] === 1 ? c.shape.slice(1) : c.shape;
  const offset = shape.length - cs.length;
  if (offset < 0 || cs.some((d, i) => d !== 1 && d !== shape[offset + i])) {
    return fail("E0601", `constant of shape ${JSON.stringify(c.shape)} does not broadcast to ${JSON.stringify(shape)}`, loc);
  }
  const out = new Float64Array(n);
  const outStrides = stridesOf(shape);
  const inStrides = stridesOf(cs);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < cs.length; d++) {
      const idx = Math.floor(i / outStrides[offset + d]!) % shape[offset + d]!;
      if (cs[d] !== 1) src += idx * inStrides[d]!;
    }
    out[i] = c.data[src]!;
  }
  return out;
}

/** Number of positions of a window [start, start + k) that fall inside [0, size). */
function overlap(start: number, k: number, size: number): number {
  return Math.max(0, Math.min(start + k, size) - Math.max(start, 0));
}
