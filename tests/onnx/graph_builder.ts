// A tiny ONNX graph builder for tests: declare inputs, initializers and nodes, get model bytes.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

export type DType = "float" | "double" | "int64" | "int32" | "int8" | "uint8" | "bool";

const DTYPES: Record<DType, number> = {
  float: DT.FLOAT,
  double: DT.DOUBLE,
  int64: DT.INT64,
  int32: DT.INT32,
  int8: DT.INT8,
  uint8: DT.UINT8,
  bool: DT.BOOL,
};

export type AttrValue = onnxProto.onnx.IAttributeProto;

/** Attribute constructors (name is filled in by the node). */
export const A = {
  i: (v: number): AttrValue => ({ type: AT.INT, i: v }),
  f: (v: number): AttrValue => ({ type: AT.FLOAT, f: v }),
  s: (v: string): AttrValue => ({ type: AT.STRING, s: Buffer.from(v, "utf8") }),
  ints: (v: number[]): AttrValue => ({ type: AT.INTS, ints: v }),
  floats: (v: number[]): AttrValue => ({ type: AT.FLOATS, floats: v }),
  strings: (v: string[]): AttrValue => ({ type: AT.STRINGS, strings: v.map((x) => Buffer.from(x, "utf8")) }),
  t: (t: onnxProto.onnx.ITensorProto): AttrValue => ({ type: AT.TENSOR, t }),
};

/** A tensor; `raw` stores the payload in raw_data instead of the typed field. */
export function tensorProto(name: string, dtype: DType, dims: number[], values: number[], raw = true): onnxProto.onnx.ITensorProto {
  const dataType = DTYPES[dtype];
  const t: onnxProto.onnx.ITensorProto = { name, dataType, dims };
  if (raw) {
    const width = dtype === "double" || dtype === "int64" ? 8 : dtype === "float" || dtype === "int32" ? 4 : 1;
    const buf = Buffer.alloc(values.length * width);
    values.forEach((v, i) => {
      switch (dtype) {
        case "float":
          buf.writeFloatLE(v, i * 4);
          break;
        case "double":
          buf.writeDoubleLE(v, i * 8);
          break;
        case "int64":
          buf.writeBigInt64LE(BigInt(v), i * 8);
          break;
        case "int32":
          buf.writeInt32LE(v, i * 4);
          break;
        case "int8":
          buf.writeInt8(v, i);
          break;
        default:
          buf.writeUInt8(v ? (dtype === "bool" ? 1 : v) : 0, i);
      }
    });
    t.rawData = buf;
  } else if (dtype === "float") t.floatData = values;
  else if (dtype === "double") t.doubleData = values;
  else if (dtype === "int64") t.int64Data = values;
  else t.int32Data = values;
  return t;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, AttrValue>;
  domain?: string;
}

export interface ValueSpec {
  name: string;
  dtype?: DType;
  /** Numbers, or a string for a symbolic (dynamic) dim; omitted: no shape information. */
  shape?: (number | string)[];
}

export interface ModelSpec {
  opset?: number;
  /** Also import the `ai.onnx.ml` domain at this opset. */
  mlOpset?: number;
  domain?: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: onnxProto.onnx.ITensorProto[];
  irVersion?: number;
}

function valueInfo(v: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: DTYPES[v.dtype ?? "float"],
        ...(v.shape ? { shape: { dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } : {}),
      },
    },
  };
}

export function modelProto(spec: ModelSpec): onnxProto.onnx.IModelProto {
  return {
    irVersion: spec.irVersion ?? 8,
    producerName: "fhec-tests",
    opsetImport: [{ domain: spec.domain ?? "", version: spec.opset ?? 17 }, ...(spec.mlOpset !== undefined ? [{ domain: "ai.onnx.ml", version: spec.mlOpset }] : [])],
    graph: {
      name: "test",
      node: spec.nodes.map((n, k) => ({
        opType: n.op,
        name: n.name ?? `${n.op.toLowerCase()}_${k}`,
        input: n.inputs,
        output: n.outputs,
        domain: n.domain ?? "",
        attribute: Object.entries(n.attrs ?? {}).map(([name, a]) => ({ ...a, name })),
      })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: spec.initializers ?? [],
    },
  };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  return onnx.ModelProto.encode(modelProto(spec)).finish();
}

export function encodeModel(m: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}

/** Deterministic pseudo-random values in [lo, hi) (mulberry32; test data only). */
export function randomValues(n: number, seed: number, lo = -2, hi = 2): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out.push(Math.fround(lo + (hi - lo) * u));
  }
  return out;
}
