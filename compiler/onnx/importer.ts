// ONNX graph → `onnx` dialect. Nodes are visited in topological order. Shape computations
// (Shape, Gather, Unsqueeze, Concat, … on integer tensors) are evaluated at import with the
// reference interpreter, including partially known shapes whose entries are a dynamic dim
// ("dim k of value v"); constant parameters passed as inputs become attributes. Values are emitted
// lazily: a folded value is materialized (as onnx.Constant, or by emitting its node) only when a
// runtime op reads it. The protobuf is never mutated.
import { type Attribute, type DenseAttr, denseAttr, floatAttr, intAttr, intsAttr, stringAttr, typeAttr } from "../../ir/attributes.js";
import { addFunction, type Builder } from "../../ir/builder.js";
import { ModuleOp, type Value } from "../../ir/core.js";
import { CompileError, fail, type Location } from "../../ir/diagnostics.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { inferOnnx, onnxAttrs, onnxDecl, type OnnxOpDecl, ONNX_OPS, shapeRange } from "../../ir/dialects/onnx.js";
import { ONNX_ML_OPS, onnxMlDecl } from "../../ir/dialects/onnx_ml.js";
import { OUTPUT_NAMES_ATTR } from "../../ir/dialects/onnx_decls.js";
import { type Dim, type ElementType, type TensorType, type Type, i64, tensor, typeToString } from "../../ir/types.js";
import { verifyModule } from "../../ir/verifier.js";
import { evaluateOnnxOp } from "../../backends/reference/interpreter.js";
import { type GraphIndex, indexGraph, MAX_OPSET, MIN_OPSET, nodeLoc, type NodeInfo } from "./graph.js";
import { type AttributeProto, dataTypeName, elementOfDataType, type ModelProto, type OnnxAttrValue, readAttribute, readTensor, type TensorValue, toNum, type TypeProto } from "./proto.js";

export interface ImportOptions {
  /** File name used in messages (default "<memory>"). */
  readonly file?: string;
  /** Name of the generated function (default "main"). */
  readonly funcName?: string;
  /** Replace the dynamic batch dimension by this size (default: keep it as `?`). */
  readonly batchSize?: number;
  /**
   * Most elements a constant computed at import may have (ConstantOfShape, folded shape
   * arithmetic): larger ones are refused, naming the node, before anything is allocated.
   */
  readonly maxFoldedElements?: number;
}

/** Default cap on a folded constant: 2^26 elements (512 MiB as float64). */
export const DEFAULT_MAX_FOLDED_ELEMENTS = 2 ** 26;

/** A dynamic entry of a shape tensor: "dim `axis` of value `source`". */
interface SymDim {
  readonly source: string;
  readonly axis: number;
}

/** A value known at import time; `syms` marks entries that are dynamic dims. */
interface Known {
  readonly shape: number[];
  readonly element: ElementType;
  readonly data: Float64Array;
  readonly syms?: readonly (SymDim | undefined)[];
  readonly loc: Location;
}

const isPartial = (k: Known) => k.syms !== undefined && k.syms.some((s) => s !== undefined);
const INT53 = Number.MAX_SAFE_INTEGER;

/** Data-movement ops whose result entries are copies of operand entries (folded through dynamic dims). */
const MOVES: Readonly<Record<string, readonly number[]>> = {
  Identity: [0],
  Reshape: [0],
  Flatten: [0],
  Squeeze: [0],
  Unsqueeze: [0],
  Concat: [-1],
  Gather: [0],
  Slice: [0],
  Transpose: [0],
  Expand: [0],
};

/** Ops never folded even when their operands are constant (later passes want to see them). */
const NEVER_FOLD = new Set(["QuantizeLinear", "DequantizeLinear", "Constant"]);

/** Attributes accepted from the file but not kept (checked or irrelevant for inference). */
const IGNORED_ATTRS: Readonly<Record<string, readonly string[]>> = {
  Cast: ["saturate"],
  BatchNormalization: ["training_mode", "spatial", "consumed_inputs"],
  Dropout: ["is_test", "training_mode"],
  QuantizeLinear: ["block_size", "output_dtype"],
  DequantizeLinear: ["block_size"],
};

export function sanitizeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.$-]/g, "_");
  return s.length > 0 ? s : "v";
}

interface Prepared {
  readonly operands: string[];
  readonly attrs: Map<string, Attribute>;
}

class Importer {
  private readonly ssa = new Map<string, Value>();
  private readonly known = new Map<string, Known>();
  private readonly usedNames = new Set<string>();
  private readonly builder: Builder;
  readonly module: ModuleOp;

  constructor(
    private readonly g: GraphIndex,
    model: ModelProto,
    private readonly opts: ImportOptions,
  ) {
    const attrs: [string, Attribute][] = [["onnx.opset", intAttr(g.opset)]];
    if (model.producerName) attrs.push(["onnx.producer", stringAttr(`${model.producerName}${model.producerVersion ? " " + model.producerVersion : ""}`)]);
    this.module = new ModuleOp(attrs);
    const args = g.inputs.map((vi) => ({ type: this.inputType(vi.name!, vi.type), name: this.uniqueName(vi.name!) }));
    const { func, builder } = addFunction(this.module, opts.funcName ?? "main", args, []);
    this.builder = builder;
    g.inputs.forEach((vi, i) => this.ssa.set(vi.name!, func.args[i]!));
    for (const [name, t] of g.initializers) {
      const loc = nodeLoc(name, "initializer");
      const v = readTensor(t, `initializer '${name}'`, loc);
      this.known.set(name, { shape: v.dims, element: v.element, data: v.data, loc });
    }
    for (const node of g.nodes) this.visit(node);
    const outs = g.outputs.map((name) => this.materialize(name));
    (g.graph.output ?? []).forEach((vi, i) => this.checkDeclaredOutput(vi.name ?? "", vi.type, outs[i]!.type as TensorType));
    builder.ret(outs);
    func.resultTypes.push(...outs.map((v) => v.type));
    // The ONNX output names, for outputs written by name (.npz) after compilation.
    func.attributes.set(OUTPUT_NAMES_ATTR, { kind: "array", items: g.outputs.map((n) => stringAttr(n)) });
  }

  private uniqueName(name: string): string {
    const base = sanitizeName(name);
    let n = base;
    for (let k = 1; this.usedNames.has(n); k++) n = `${base}_${k}`;
    this.usedNames.add(n);
    return n;
  }

  private inputType(name: string, t: TypeProto | null | undefined): TensorType {
    const where = `graph input '${name}'`;
    const tt = t?.tensorType;
    if (!tt) return fail("E0502", `${where} is not a tensor (sequences, maps and optionals are not supported)`);
    const element = elementOfDataType(tt.elemType ?? 0);
    if (!element) return fail("E0502", `${where} has element type ${dataTypeName(tt.elemType ?? 0)}, which fhec does not support`);
    if (!tt.shape) return fail("E0502", `${where} has no shape; fhec needs the rank and every non-batch dimension`);
    const dims: Dim[] = (tt.shape.dim ?? []).map((d, axis) => {
      const v = d.dimValue !== null && d.dimValue !== undefined ? toNum(d.dimValue) : 0;
      if (v > 0) return v;
      if (axis !== 0) fail("E0502", `${where} has a dynamic dimension at axis ${axis} ('${d.dimParam ?? "?"}'); only the batch dimension (axis 0) may be dynamic`);
      return this.opts.batchSize ?? null;
    });
    return tensor(dims, element);
  }

  /** A graph output's declared element type and static dims must agree with the computed type. */
  private checkDeclaredOutput(name: string, declared: TypeProto | null | undefined, got: TensorType): void {
    const tt = declared?.tensorType;
    if (!tt) return;
    const where = `graph output '${name}'`;
    const e = tt.elemType ? elementOfDataType(tt.elemType) : undefined;
    if (tt.elemType && (!e || typeToString(e) !== typeToString(got.element))) {
      fail("E0500", `${where} is declared as ${dataTypeName(tt.elemType)} but computes ${typeToString(got)}`);
    }
    if (!tt.shape) return;
    const dims = (tt.shape.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : null));
    const clash = dims.length !== got.shape.length || dims.some((d, i) => d !== null && got.shape[i] !== null && d !== got.shape[i]);
    if (clash) fail("E0500", `${where} is declared with shape [${dims.map((d) => d ?? "?").join(", ")}] but computes ${typeToString(got)}`);
  }

  // ---- values ---------------------------------------------------------------------------------

  private typeOf(name: string): TensorType {
    const v = this.ssa.get(name);
    if (v) return v.type as TensorType;
    const k = this.known.get(name);
    if (k) return tensor(k.shape, k.element);
    throw new Error(`importer: value '${name}' has no type yet`);
  }

  /** The SSA value of an ONNX value, emitting a constant or the folded producer when needed. */
  private materialize(name: string): Value {
    const have = this.ssa.get(name);
    if (have) return have;
    const k = this.known.get(name);
    if (!k) throw new Error(`importer: value '${name}' is neither emitted nor known`);
    if (isPartial(k)) {
      const node = this.g.producer.get(name)!;
      this.emit(node, this.prepare(node));
      return this.ssa.get(name)!;
    }
    const big = k.data.find((x) => Math.abs(x) > INT53);
    if (big !== undefined) fail("E0502", `constant '${name}' holds ${big}, beyond the 2^53 integers fhec represents exactly`, k.loc);
    const value = denseAttr(tensor(k.shape, k.element), k.data);
    const op = this.builder.create("onnx.Constant", [], [value.type], { value }, { loc: k.loc, names: [this.uniqueName(name)] });
    this.ssa.set(name, op.result);
    return op.result;
  }

  // ---- nodes ----------------------------------------------------------------------------------

  /** The node's declaration in its dialect (`onnx` or `onnx_ml`), or a clear error. */
  private declOf(node: NodeInfo): OnnxOpDecl {
    if (node.dialect === "onnx_ml") {
      const decl = onnxMlDecl(node.opType);
      if (decl) return decl;
      if (node.opType === "ZipMap") {
        fail(
          "E0501",
          `ZipMap (node '${node.name}') returns a sequence of maps, which FHE cannot produce; export the model with the converter's zipmap=False option (skl2onnx: options={id(model): {'zipmap': False}}) to get the probability tensor`,
          node.loc,
        );
      }
      return fail(
        "E0501",
        `unsupported ai.onnx.ml operator '${node.opType}' (node '${node.name}', ai.onnx.ml opset ${this.g.mlOpset}); see \`fhec import --list-ops\` for the ${ONNX_ML_OPS.length} supported ai.onnx.ml operators`,
        node.loc,
      );
    }
    const decl = onnxDecl(node.opType);
    if (decl) return decl;
    return fail(
      "E0501",
      `unsupported ONNX operator '${node.opType}' (node '${node.name}', opset ${this.g.opset}); see \`fhec import --list-ops\` for the ${ONNX_OPS.length} supported operators`,
      node.loc,
    );
  }

  private visit(node: NodeInfo): void {
    const decl = this.declOf(node);
    this.checkExtraOutputs(node, decl);
    if (node.dialect === "onnx" && node.opType === "Constant") {
      const value = this.constantNodeValue(node);
      this.known.set(node.outputs[0]!, { shape: value.dims, element: value.element, data: value.data, loc: node.loc });
      return;
    }
    const prepared = this.prepare(node);
    if (node.dialect === "onnx" && this.tryFold(node, decl, prepared)) return;
    this.emit(node, prepared);
  }

  private checkExtraOutputs(node: NodeInfo, decl: OnnxOpDecl): void {
    if (node.outputs.length === 0 || !node.outputs[0]) fail("E0500", `node '${node.name}' (${node.opType}) has no output`, node.loc);
    node.outputs.forEach((o, i) => {
      if (i < decl.outputs.length || !o) return;
      if ((this.g.useCount.get(o) ?? 0) > 0) {
        fail("E0502", `output #${i} ('${o}') of ${node.opType} is used, but fhec supports only its first output (inference semantics)`, node.loc);
      }
    });
  }

  private emit(node: NodeInfo, p: Prepared): void {
    const operands = p.operands.map((n) => this.materialize(n));
    const types = this.inferTypes(node, operands.map((v) => v.type), p.attrs);
    const names = types.map((_, i) => this.uniqueName(node.outputs[i]!));
    const op = this.builder.create(`${node.dialect}.${node.opType}`, operands, types, p.attrs, { loc: node.loc, names });
    op.results.forEach((r, i) => this.ssa.set(node.outputs[i]!, r));
  }

  private inferTypes(node: NodeInfo, types: readonly Type[], attrs: ReadonlyMap<string, Attribute>): TensorType[] {
    const decl = this.declOf(node);
    const r = inferOnnx(decl, types, attrs);
    if (typeof r === "string") fail("E0500", `${r} (operands: ${types.map(typeToString).join(", ") || "none"})`, node.loc, `${node.dialect}.${node.opType}`);
    return r;
  }

  /** Folds integer computations on known values (and moves of partially known shapes). */
  private tryFold(node: NodeInfo, decl: OnnxOpDecl, p: Prepared): boolean {
    if (NEVER_FOLD.has(node.opType)) return false;
    const out = node.outputs[0]!;
    if (node.opType === "Shape") {
      const source = p.operands[0]!;
      const t = this.typeOf(source);
      const { start, end } = shapeRange(t.shape.length, onnxAttrs("onnx.Shape", p.attrs));
      const dims = t.shape.slice(start, Math.max(start, end));
      const syms = dims.map((d, i) => (d === null ? { source, axis: start + i } : undefined));
      this.known.set(out, { shape: [dims.length], element: i64, data: Float64Array.from(dims, (d) => d ?? -1), syms, loc: node.loc });
      return true;
    }
    const ins = p.operands.map((n) => this.known.get(n));
    if (ins.some((k) => k === undefined)) return false;
    const knowns = ins as Known[];
    const types = knowns.map((k) => tensor(k.shape, k.element));
    const outTypes = this.inferTypes(node, types, p.attrs);
    if (outTypes.some((t) => t.element.kind !== "int") || decl.outputs.length !== 1) return false;
    const moved = MOVES[node.opType];
    if (knowns.some(isPartial)) {
      if (node.opType === "Cast") {
        this.known.set(out, { ...knowns[0]!, element: outTypes[0]!.element, data: knowns[0]!.data.map(Math.trunc), loc: node.loc });
        return true;
      }
      if (!moved) return false;
      const movedIdx = moved[0] === -1 ? knowns.map((_, i) => i) : moved;
      if (knowns.some((k, i) => isPartial(k) && !movedIdx.includes(i))) return false;
      // Run the op on entry ids, then map ids back to entries (values or dynamic dims).
      const BASE = 2 ** 26;
      const idInputs = knowns.map((k, i) => (movedIdx.includes(i) ? { ...k, element: i64, data: k.data.map((_, j) => i * BASE + j) } : k));
      const r = this.evaluate(node, p, idInputs);
      if (!r) return false;
      const syms: (SymDim | undefined)[] = [];
      const data = Float64Array.from(r.data, (id, j) => {
        const src = knowns[Math.floor(id / BASE)]!;
        const at = id % BASE;
        syms[j] = src.syms?.[at];
        return src.data[at]!;
      });
      this.known.set(out, { shape: r.shape, element: outTypes[0]!.element, data, syms, loc: node.loc });
      return true;
    }
    this.checkFoldSize(node, outTypes[0]!.shape);
    const r = this.evaluate(node, p, knowns);
    if (!r) return false;
    this.known.set(out, r);
    return true;
  }

  /** Refuses a constant of more elements than the cap, before it is computed. */
  private checkFoldSize(node: NodeInfo, shape: readonly (number | null)[]): void {
    const cap = this.opts.maxFoldedElements ?? DEFAULT_MAX_FOLDED_ELEMENTS;
    const elements = shape.reduce<number>((a, d) => a * Math.max(0, d ?? 1), 1);
    if (elements > cap) {
      fail("E0502", `node '${node.name}' (${node.opType}) makes a constant of ${elements} elements [${shape.join(", ")}], more than the ${cap} fhec computes at import (ImportOptions.maxFoldedElements)`, node.loc);
    }
  }

  private evaluate(node: NodeInfo, p: Prepared, ins: readonly Known[]): Known | undefined {
    const arrays = ins.map((k) => ({ shape: k.shape, data: k.data }));
    const r = evaluateOnnxOp(`onnx.${node.opType}`, p.attrs, arrays, ins.map((k) => k.element));
    if (typeof r === "string") fail("E0500", r, node.loc, `onnx.${node.opType}`);
    const a = r.arrays[0]!;
    return { shape: [...a.shape], element: r.types[0]!.element, data: a.data, loc: node.loc };
  }

  // ---- attribute and operand normalisation ---------------------------------------------------

  private constantNodeValue(node: NodeInfo): TensorValue {
    const attrs = node.proto.attribute ?? [];
    if (attrs.length !== 1) fail("E0500", `Constant node '${node.name}' must have exactly one value attribute`, node.loc);
    const a = attrs[0]!;
    const v = readAttribute(a);
    const what = `Constant node '${node.name}'`;
    switch (a.name) {
      case "value":
        if (v.kind !== "tensor") break;
        return readTensor(v.value, what, node.loc);
      case "value_float":
        if (v.kind === "float") return { name: "", dims: [], element: { kind: "float", width: 32 }, data: Float64Array.of(v.value) };
        break;
      case "value_floats":
        if (v.kind === "floats") return { name: "", dims: [v.value.length], element: { kind: "float", width: 32 }, data: Float64Array.from(v.value) };
        break;
      case "value_int":
        if (v.kind === "int") return { name: "", dims: [], element: i64, data: Float64Array.of(v.value) };
        break;
      case "value_ints":
        if (v.kind === "ints") return { name: "", dims: [v.value.length], element: i64, data: Float64Array.from(v.value) };
        break;
      default:
        fail("E0502", `${what}: attribute '${a.name}' is not supported (only numeric tensors)`, node.loc);
    }
    return fail("E0500", `${what}: attribute '${a.name}' has the wrong type`, node.loc);
  }

  /** Converts the node's attributes to the dialect's and moves constant parameter inputs into attributes. */
  private prepare(node: NodeInfo): Prepared {
    const decl = this.declOf(node);
    const attrs = new Map<string, Attribute>();
    const raw = new Map<string, OnnxAttrValue>();
    for (const a of node.proto.attribute ?? []) raw.set(a.name ?? "", readAttribute(a as AttributeProto));
    for (const [name, v] of raw) {
      const spec = decl.attrs[name];
      if (!spec) {
        if (IGNORED_ATTRS[node.opType]?.includes(name)) continue;
        fail("E0502", `attribute '${name}' of ${node.opType} is not supported (node '${node.name}', opset ${this.g.opset})`, node.loc);
      }
      if ((v.kind === "float" || v.kind === "floats") && [v.value].flat().some((x) => !Number.isFinite(x))) {
        fail("E0500", `attribute '${name}' of node '${node.name}' (${node.opType}) is ${JSON.stringify(v.value).replace(/null/g, "NaN/Inf")}: it must be finite`, node.loc);
      }
      attrs.set(name, this.convertAttr(node, name, spec.kind, v));
    }
    let operands = [...node.inputs];
    while (operands.length > 0 && operands[operands.length - 1] === "") operands.pop();
    const param = (i: number) => (node.inputs[i] ? node.inputs[i] : undefined);
    const setInts = (name: string, input: number, what: string) => {
      const n = param(input);
      if (n !== undefined) attrs.set(name, intsAttr(this.constInts(node, n, what)));
    };
    const opset = this.g.opset;
    // Parameters passed as inputs exist in the default domain only.
    switch (node.dialect === "onnx" ? node.opType : "") {
      case "Reshape": {
        attrs.set("shape", intsAttr(this.reshapeTarget(node, attrs)));
        operands = [operands[0]!];
        break;
      }
      case "Expand":
        attrs.set("shape", intsAttr(this.expandTarget(node)));
        operands = [operands[0]!];
        break;
      case "Unsqueeze":
      case "Squeeze":
      case "ReduceSum":
      case "ReduceMean":
        setInts("axes", 1, "axes");
        operands = [operands[0]!];
        break;
      case "Slice":
        setInts("starts", 1, "starts");
        setInts("ends", 2, "ends");
        setInts("axes", 3, "axes");
        setInts("steps", 4, "steps");
        for (const k of ["starts", "ends"]) {
          const v = (attrs.get(k) as { items: { value: number }[] } | undefined)?.items.map((x) => x.value);
          if (v) attrs.set(k, intsAttr(v.map((x) => Math.max(-INT53, Math.min(INT53, x)))));
        }
        operands = [operands[0]!];
        break;
      case "Pad": {
        const rank = this.typeOf(operands[0]!).shape.length;
        if (param(1) !== undefined) {
          let pads = this.constInts(node, param(1)!, "pads");
          const axesName = param(3);
          if (axesName !== undefined) {
            const axes = this.constInts(node, axesName, "axes").map((a) => (a < 0 ? a + rank : a));
            const full = new Array<number>(2 * rank).fill(0);
            axes.forEach((a, i) => {
              full[a] = pads[i]!;
              full[a + rank] = pads[i + axes.length]!;
            });
            pads = full;
          }
          attrs.set("pads", intsAttr(pads));
        }
        const cv = param(2);
        if (cv !== undefined) attrs.set("value", floatAttr(this.constScalar(node, cv, "constant_value")));
        operands = [operands[0]!];
        break;
      }
      case "Clip": {
        const lo = param(1);
        const hi = param(2);
        if (lo !== undefined) attrs.set("min", floatAttr(this.constScalar(node, lo, "min")));
        if (hi !== undefined) attrs.set("max", floatAttr(this.constScalar(node, hi, "max")));
        operands = [operands[0]!];
        break;
      }
      case "Dropout": {
        const tm = param(2);
        if (tm !== undefined && this.constScalar(node, tm, "training_mode") !== 0) fail("E0502", "Dropout in training mode is not supported", node.loc);
        operands = [operands[0]!];
        break;
      }
      case "BatchNormalization": {
        const tm = raw.get("training_mode");
        if (tm && tm.kind === "int" && tm.value !== 0) fail("E0502", "BatchNormalization with training_mode=1 is not supported (export the model in eval mode)", node.loc);
        break;
      }
      case "Gemm":
        for (const flag of ["transA", "transB"]) {
          const f = raw.get(flag);
          if (f && !(f.kind === "int" && (f.value === 0 || f.value === 1))) fail("E0500", `attribute '${flag}' of Gemm node '${node.name}' must be 0 or 1, got ${JSON.stringify(f.kind === "other" ? f.type : f.value)}`, node.loc);
        }
        break;
      case "ConstantOfShape": {
        const t = this.knownOrFail(node, operands[0]!, "shape");
        if (isPartial(t)) fail("E0502", "ConstantOfShape with a shape that depends on the dynamic batch size is not supported", node.loc);
        this.checkFoldSize(node, [...t.data]);
        attrs.set("shape", intsAttr([...t.data]));
        operands = [];
        break;
      }
      case "Softmax": {
        if (opset < 13) {
          const rank = this.typeOf(operands[0]!).shape.length;
          const given = attrs.get("axis");
          const axis = given?.kind === "int" ? given.value : 1;
          const norm = axis < 0 ? axis + rank : axis;
          if (norm !== rank - 1) fail("E0502", `Softmax before opset 13 flattens from axis ${axis}; only the last axis is supported (rank ${rank})`, node.loc);
          attrs.set("axis", intAttr(norm));
        }
        break;
      }
      case "QuantizeLinear":
      case "DequantizeLinear": {
        const bs = raw.get("block_size");
        if (bs && bs.kind === "int" && bs.value !== 0) fail("E0502", `${node.opType} with blocked quantization (block_size ${bs.value}) is not supported`, node.loc);
        const od = raw.get("output_dtype");
        if (node.opType === "QuantizeLinear" && od && od.kind === "int" && od.value !== 0 && !param(2)) {
          // Materialize the implied zero point so the output type is carried by an operand.
          const e = elementOfDataType(od.value);
          if (!e || e.kind !== "int") fail("E0502", `QuantizeLinear output_dtype ${dataTypeName(od.value)} is not supported`, node.loc);
          const scale = this.typeOf(operands[1]!);
          const zpName = `${node.outputs[0]}__zero_point`;
          const shape = scale.shape as number[];
          this.known.set(zpName, { shape, element: e, data: new Float64Array(shape.reduce((a, d) => a * d, 1)), loc: node.loc });
          operands = [operands[0]!, operands[1]!, zpName];
        }
        break;
      }
      default:
        break;
    }
    for (const o of operands) if (o === "") fail("E0502", `${node.opType} with an omitted input in the middle is not supported`, node.loc);
    return { operands, attrs };
  }

  private convertAttr(node: NodeInfo, name: string, kind: string, v: OnnxAttrValue): Attribute {
    const wrong = (): never => fail("E0500", `attribute '${name}' of ${node.opType} has the wrong type (${v.kind === "other" ? v.type : v.kind})`, node.loc);
    switch (kind) {
      case "int":
        return v.kind === "int" ? intAttr(v.value) : wrong();
      case "float":
        return v.kind === "float" || v.kind === "int" ? floatAttr(v.value) : wrong();
      case "string":
        return v.kind === "string" ? stringAttr(v.value) : wrong();
      case "ints":
        return v.kind === "ints" ? intsAttr(v.value) : wrong();
      case "array":
        return v.kind === "strings" ? { kind: "array", items: v.value.map(stringAttr) } : wrong();
      case "floats":
        return v.kind === "floats" ? { kind: "array", items: v.value.map(floatAttr) } : wrong();
      case "type": {
        if (v.kind !== "int") return wrong();
        const e = elementOfDataType(v.value);
        if (!e) fail("E0502", `${node.opType} to ${dataTypeName(v.value)} is not supported`, node.loc);
        return typeAttr(e);
      }
      case "dense": {
        if (v.kind !== "tensor") return wrong();
        const t = readTensor(v.value, `attribute '${name}' of node '${node.name}'`, node.loc);
        return denseAttr(tensor(t.dims, t.element), t.data) as DenseAttr;
      }
      default:
        return wrong();
    }
  }

  private knownOrFail(node: NodeInfo, name: string, what: string): Known {
    const k = this.known.get(name);
    if (!k) {
      fail(
        "E0502",
        `${node.opType} input '${what}' ('${name}') must be a constant: an initializer, a Constant node, or computed from static shapes at import`,
        node.loc,
      );
    }
    return k;
  }

  private constInts(node: NodeInfo, name: string, what: string): number[] {
    const k = this.knownOrFail(node, name, what);
    if (isPartial(k)) fail("E0502", `${node.opType} input '${what}' depends on the dynamic batch size, which is not supported`, node.loc);
    if (k.element.kind !== "int") fail("E0500", `${node.opType} input '${what}' must be an integer tensor, got ${typeToString(k.element)}`, node.loc);
    return [...k.data];
  }

  private constScalar(node: NodeInfo, name: string, what: string): number {
    const k = this.knownOrFail(node, name, what);
    if (k.data.length !== 1) fail("E0500", `${node.opType} input '${what}' must hold one value, got ${k.data.length}`, node.loc);
    return k.data[0]!;
  }

  /** Reshape target as attribute: dynamic entries become 0 (copy that dim) or -1 (infer). */
  private reshapeTarget(node: NodeInfo, attrs: Map<string, Attribute>): number[] {
    const data = node.inputs[0]!;
    const k = this.knownOrFail(node, node.inputs[1] ?? "", "shape");
    if (k.element.kind !== "int") fail("E0500", "Reshape shape must be an integer tensor", node.loc);
    const allowZero = attrs.get("allowzero")?.kind === "int" && (attrs.get("allowzero") as { value: number }).value !== 0;
    const inShape = this.typeOf(data).shape;
    const target = [...k.data];
    const dynamic = (k.syms ?? []).map((s, i) => (s ? i : -1)).filter((i) => i >= 0);
    let hasInfer = target.some((v, i) => v === -1 && !k.syms?.[i]);
    for (const i of dynamic) {
      const s = k.syms![i]!;
      const sameDim = (s.source === data && s.axis === i) || (s.axis === 0 && i === 0 && inShape[0] === null && this.typeOf(s.source).shape[0] === null);
      if (sameDim && !allowZero) target[i] = 0;
      else if (!hasInfer) {
        target[i] = -1;
        hasInfer = true;
      } else {
        fail("E0502", `Reshape target depends on dynamic dims in a way fhec cannot resolve at import (entry ${i} is dim ${s.axis} of '${s.source}')`, node.loc);
      }
    }
    return target;
  }

  private expandTarget(node: NodeInfo): number[] {
    const k = this.knownOrFail(node, node.inputs[1] ?? "", "shape");
    const inShape = this.typeOf(node.inputs[0]!).shape;
    const off = k.data.length - inShape.length;
    return [...k.data].map((v, i) => {
      if (!k.syms?.[i]) return v;
      if (i - off >= 0 && inShape[i - off] === null) return 1;
      return fail("E0502", "Expand target depends on the dynamic batch size in a way fhec cannot resolve at import", node.loc);
    });
  }
}

/** Imports a decoded model into a verified `onnx`-dialect module. */
export function importModel(model: ModelProto, opts: ImportOptions = {}): ModuleOp {
  const file = opts.file ?? "<memory>";
  const g = indexGraph(model, file);
  const module = new Importer(g, model, opts).module;
  const diags = verifyModule(module, defaultRegistry);
  if (diags.hasErrors()) throw new CompileError(diags.diagnostics);
  return module;
}

export const SUPPORTED_OPSETS = { min: MIN_OPSET, max: MAX_OPSET };
