// The quantizer proper: walks an `onnx`-dialect function in order and builds the equivalent
// integer `fhe` function (what the server runs), the input quantizers and output de-quantizers
// (what the client applies), and a float `onnx` post-processing function (what the client runs
// after decryption: trailing Softmax/ArgMax/univariate ops).
import { asFloats, type Attribute, type DenseAttr, denseAttr } from "../../ir/attributes.js";
import { Builder } from "../../ir/builder.js";
import { FuncOp, type Operation, type Value } from "../../ir/core.js";
import { fail, type Location } from "../../ir/diagnostics.js";
import { onnxAttrs } from "../../ir/dialects/onnx.js";
import { type NDArray } from "../../ir/tensor.js";
import { type ElementType, type TensorType, elementOf, f32, shapeOf, tensor } from "../../ir/types.js";
import type { OnnxEvaluator } from "../pass.js";
import { affineQuantizer } from "./qparams.js";
import { type ChainStep, type ConstRepr, type DeferredRepr, type EncRepr, type PostRepr, type Repr, scalarOf, typeForInterval } from "./repr.js";
import { tabulate } from "./tables.js";
import type { InputQuantizer, InputSpec, OutputSpec, QuantizeConfig, QuantizedGraph } from "./graph_spec.js";
import { arrayOf, clearIntType, compact, perSample, product, variesOnlyAlongLastAxis } from "./lower_util.js";
import { lowerUnivariate } from "./lower_univariate.js";
import { lowerAveragePool, lowerConv, lowerGemm, lowerMatMul, lowerReduce } from "./lower_linear.js";
import { lowerDataMovement, lowerPad } from "./lower_movement.js";
import { lowerBivariate, lowerMaxPool } from "./lower_bivariate.js";
import type { LoweringContext } from "./lowering_context.js";
import { CLIENT_ONLY_OPS, isClientSideConcat } from "./client_tail.js";

export type { InputQuantizer, InputSpec, NBits, OutputSpec, QuantizeConfig, QuantizedGraph } from "./graph_spec.js";

/** Elementwise ops that become part of a table when exactly one operand is encrypted. */
const UNIVARIATE = new Set([
  "Abs", "Acos", "Acosh", "Add", "And", "Asin", "Asinh", "Atan", "Atanh", "BatchNormalization", "Cast", "Celu", "Clip", "Cos",
  "Cosh", "DequantizeLinear", "Div", "Elu", "Equal", "Erf", "Exp", "Floor", "Greater", "GreaterOrEqual", "HardSigmoid", "HardSwish",
  "LeakyRelu", "Less", "LessOrEqual", "Log", "Max", "Min", "Mul", "Neg", "Not", "Or", "Pow", "PRelu", "QuantizeLinear", "Relu",
  "Round", "Selu", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus", "Sqrt", "Sub", "Tan", "Tanh", "ThresholdedRelu", "Where",
]);

/** Ops that only move elements: lowered through an index map computed by evaluating them on indices. */
const DATA_MOVEMENT = new Set(["Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Gather", "Expand", "Concat"]);


export class GraphQuantizer implements LoweringContext {
  readonly reprs = new Map<Value, Repr>();
  readonly circuit: FuncOp;
  readonly builder: Builder;
  readonly post: FuncOp;
  readonly postBuilder: Builder;
  readonly postArgs = new Map<Value, Value>();
  readonly fheOutputs: EncRepr[] = [];
  readonly inputs: InputSpec[] = [];

  constructor(
    readonly src: FuncOp,
    readonly cfg: QuantizeConfig,
    readonly evaluate: OnnxEvaluator,
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

  range(v: Value, loc: Location): { lo: number; hi: number; integer: boolean } {
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

  bindInput(arg: Value, index: number): void {
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
  elementRanges(arg: Value, n: number): { lo: number; hi: number; integer: boolean; step?: number }[] {
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

  inputQuantizeLinear(arg: Value): { quantizer: InputQuantizer; codes: Value[] } | undefined {
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

  finish(ret: Operation): void {
    const results = ret.operands.map((v) => this.asPost(v, ret.loc));
    this.circuit.resultTypes.push(...this.fheOutputs.map((o) => o.value.type));
    this.builder.ret(this.fheOutputs.map((o) => o.value));
    this.post.resultTypes.push(...results.map((v) => v.type));
    this.postBuilder.ret(results);
  }

  outputSpecs(): OutputSpec[] {
    return this.fheOutputs.map((o) => ({ shape: [...o.shape], scale: [...o.scale], zeroPoint: [...o.zeroPoint] }));
  }

  /** The value, computed in the clear by the client from decrypted outputs. */
  asPost(v: Value, loc: Location): Value {
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
  postEligible(d: DeferredRepr): boolean {
    return d.steps.every((s) => s.constants.every((c) => c === undefined || c.data.length <= 1));
  }

  /** An encrypted value as a circuit output (wide accumulators stay wide: the client de-quantizes). */
  outputEnc(e: EncRepr): EncRepr {
    if (!this.fheOutputs.includes(e)) this.fheOutputs.push(e);
    return e;
  }

  postArg(e: EncRepr, like: Value["type"]): Value {
    const existing = this.postArgs.get(e.value);
    if (existing) return existing;
    const el = elementOf(like).kind === "float" ? elementOf(like) : f32;
    const arg = this.post.body.addArg(tensor([null, ...e.shape.slice(1)], el), `out${this.post.body.args.length}`);
    this.postArgs.set(e.value, arg);
    return arg;
  }

  postConstant(value: NDArray, element: ElementType, loc: Location): Value {
    const t = tensor(value.shape, element);
    return this.postBuilder.create("onnx.Constant", [], [t], { value: denseAttr(t, value.data) }, { loc }).result;
  }

  clonePost(op: Operation, operands: Value[]): Value {
    return this.postBuilder.create(op.name, operands, op.results.map((r) => r.type), op.attributes, { loc: op.loc, names: op.results.map((r) => r.nameHint) }).results[0]!;
  }

  // ---- representations ------------------------------------------------------------------------

  reprOf(v: Value, loc: Location): Repr {
    const r = this.reprs.get(v);
    if (!r) return fail("E0601", `value %${v.nameHint ?? "?"} was not lowered`, loc);
    return r;
  }

  constOf(v: Value): ConstRepr | undefined {
    const r = this.reprs.get(v);
    if (r?.kind === "const") return r;
    const def = v.definingOp;
    if (def?.name === "onnx.Constant") {
      const value = def.attr("value") as DenseAttr;
      return { kind: "const", value: arrayOf(value), element: value.type.element };
    }
    return undefined;
  }

  set(op: Operation, r: Repr): void {
    this.reprs.set(op.results[0]!, r);
  }

  enc(value: Value, shape: readonly number[], scale: Float64Array, zeroPoint: Float64Array, lo: number, hi: number, fresh: boolean): EncRepr {
    return { kind: "enc", value, shape, scale: compact(scale), zeroPoint: compact(zeroPoint), lo, hi, fresh };
  }

  intConstant(values: Float64Array, shape: readonly number[], name?: string): Value {
    return this.builder.constant(denseAttr(tensor(shape, clearIntType(values)), values), name);
  }

  // ---- the walk -------------------------------------------------------------------------------

  lowerOp(op: Operation): void {
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
        return lowerGemm(this, op, reprs);
      case "MatMul":
        return lowerMatMul(this, op, reprs);
      case "Conv":
        return lowerConv(this, op, reprs);
      case "AveragePool":
        return lowerAveragePool(this, op);
      case "GlobalAveragePool":
        return lowerReduce(this, op, [2, 3], true, true);
      case "ReduceSum":
      case "ReduceMean": {
        const a = onnxAttrs(op.name, op.attributes);
        const r = shapeOf(op.operands[0]!.type).length;
        const axes = (a.ints("axes") ?? []).map((x) => (x < 0 ? x + r : x));
        const all = axes.length === 0 ? Array.from({ length: r - 1 }, (_, i) => i + 1) : axes;
        if (all.includes(0)) fail("E0601", "reducing over the batch axis is not supported", loc, op.name);
        return lowerReduce(this, op, all, a.int("keepdims") !== 0, type === "ReduceMean");
      }
      case "MaxPool":
        return lowerMaxPool(this, op);
      case "Pad":
        return lowerPad(this, op, reprs[0]!);
      default:
        break;
    }
    if (DATA_MOVEMENT.has(type)) return lowerDataMovement(this, op, reprs);
    const live = reprs.filter((r) => r.kind !== "const");
    if (UNIVARIATE.has(type) && live.length === 1) return lowerUnivariate(this, op, reprs);
    if (live.length === 2 && ["Add", "Sub", "Mul", "Max", "Min"].includes(type)) return lowerBivariate(this, op, type);
    fail(
      "E0601",
      live.length > 1
        ? `${type} of ${live.length} encrypted values has no FHE lowering (Add, Sub, Mul, Max and Min combine exactly two encrypted values; chain two-input ops instead)`
        : `${type} on encrypted values is not supported by the quantizer`,
      loc,
      op.name,
    );
  }

  foldConstant(op: Operation, reprs: ConstRepr[]): void {
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
  lowerPost(op: Operation, reprs: Repr[]): void {
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



  /** Runs a chain's steps on a batch of real inputs laid out [D, …]. */
  runSteps(steps: readonly ChainStep[], x: NDArray): NDArray {
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

  materializeInteger(d: DeferredRepr, loc: Location): EncRepr {
    return tabulate(this.builder, d.src, (x) => this.runSteps(d.steps, x), "integer", this.cfg.rounding, loc, d.steps[d.steps.length - 1]!.op.name);
  }

  /** A table lookup computing a deferred chain (or a requantization of `enc`) into `role`-bit codes. */
  materialize(r: DeferredRepr | EncRepr, v: Value, loc: Location, role: "activations" | "outputs"): EncRepr {
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
  linearInput(v: Value, loc: Location, mode: "perK" | "uniform"): EncRepr {
    const r = this.reprOf(v, loc);
    if (r.kind === "const" || r.kind === "post") return fail("E0601", "expected an encrypted operand", loc);
    if (r.kind === "deferred") return this.materialize(r, v, loc, "activations");
    const narrow = typeForInterval(r.lo, r.hi).width <= Math.max(this.cfg.nBits.activations, this.cfg.nBits.inputs);
    const absorbable = mode === "perK" ? variesOnlyAlongLastAxis(r) : scalarOf(r.scale) !== undefined && Number.isInteger(scalarOf(r.zeroPoint));
    if (r.fresh && narrow && absorbable) return r;
    return this.materialize(r, v, loc, "activations");
  }

  // ---- two encrypted operands --------------------------------------------------------------------

}

