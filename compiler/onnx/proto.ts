// Reading ONNX protobuf messages: decoding, element types, tensor payloads (raw_data and the typed
// fields), attributes. Nothing here mutates the decoded messages.
import onnxProto from "onnx-proto";
import { fail, type Location } from "../../ir/diagnostics.js";
import { type ElementType, f32, f64, intType } from "../../ir/types.js";

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type TypeProto = onnxProto.onnx.ITypeProto;

/** A protobuf int64 (number, or Long when the `long` package is present) as a JS number. */
export function toNum(v: number | { toString(): string } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : Number(v.toString());
}

export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  if (bytes.length === 0) fail("E0500", `${file}: empty file, not an ONNX model`);
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    return fail("E0500", `${file}: not a valid ONNX model (truncated or corrupt protobuf: ${(e as Error).message})`);
  }
}

const DT = onnx.TensorProto.DataType;

/** What fhec knows of one supported ONNX data type. */
interface DataTypeInfo {
  readonly element: ElementType;
  /** Bytes of one element in raw_data. */
  readonly bytes: number;
  /** Reads one raw_data element (little-endian). */
  readonly raw: (view: DataView, at: number) => number;
  /** The values of the typed field that holds this type. */
  readonly typed: (t: TensorProto) => number[];
}

const int32Field = (t: TensorProto): number[] => t.int32Data ?? [];
const uint64Field = (t: TensorProto): number[] => (t.uint64Data ?? []).map(toNum);

const DATA_TYPES = new Map<number, DataTypeInfo>([
  [DT.FLOAT, { element: f32, bytes: 4, raw: (v, at) => v.getFloat32(at, true), typed: (t) => t.floatData ?? [] }],
  [DT.DOUBLE, { element: f64, bytes: 8, raw: (v, at) => v.getFloat64(at, true), typed: (t) => t.doubleData ?? [] }],
  [DT.UINT8, { element: intType(8, false), bytes: 1, raw: (v, at) => v.getUint8(at), typed: int32Field }],
  [DT.INT8, { element: intType(8), bytes: 1, raw: (v, at) => v.getInt8(at), typed: int32Field }],
  [DT.UINT16, { element: intType(16, false), bytes: 2, raw: (v, at) => v.getUint16(at, true), typed: int32Field }],
  [DT.INT16, { element: intType(16), bytes: 2, raw: (v, at) => v.getInt16(at, true), typed: int32Field }],
  [DT.INT32, { element: intType(32), bytes: 4, raw: (v, at) => v.getInt32(at, true), typed: int32Field }],
  [DT.UINT32, { element: intType(32, false), bytes: 4, raw: (v, at) => v.getUint32(at, true), typed: uint64Field }],
  [DT.INT64, { element: intType(64), bytes: 8, raw: (v, at) => Number(v.getBigInt64(at, true)), typed: (t) => (t.int64Data ?? []).map(toNum) }],
  [DT.UINT64, { element: intType(64, false), bytes: 8, raw: (v, at) => Number(v.getBigUint64(at, true)), typed: uint64Field }],
  [DT.BOOL, { element: intType(1), bytes: 1, raw: (v, at) => (v.getUint8(at) ? 1 : 0), typed: (t) => int32Field(t).map((v) => (v ? 1 : 0)) }],
]);

/** Element type of an ONNX data type, or undefined when fhec does not support it. */
export function elementOfDataType(dt: number): ElementType | undefined {
  return DATA_TYPES.get(dt)?.element;
}

export function dataTypeName(dt: number): string {
  return (DT as unknown as Record<number, string>)[dt] ?? `data type ${dt}`;
}

export interface TensorValue {
  readonly name: string;
  readonly dims: number[];
  readonly element: ElementType;
  /** Values as float64 (int64 beyond 2^53 lose precision; checked where it matters). */
  readonly data: Float64Array;
}

/** Decodes a TensorProto's payload (raw_data or typed fields); rejects external data. */
export function readTensor(t: TensorProto, what: string, loc: Location): TensorValue {
  const name = t.name ?? "";
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData && t.externalData.length > 0)) {
    const where = t.externalData?.find((e) => e.key === "location")?.value;
    fail("E0502", `${what} stores its data in an external file${where ? ` ('${where}')` : ""}; external-data tensors are not supported (re-save the model with all tensors inside the .onnx file)`, loc);
  }
  const dt = t.dataType ?? 0;
  const type = DATA_TYPES.get(dt);
  if (!type) return fail("E0502", `${what} has element type ${dataTypeName(dt)}, which fhec does not support`, loc);
  const dims = (t.dims ?? []).map(toNum);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) fail("E0500", `${what} has invalid dims [${dims.join(", ")}]`, loc);
  const n = dims.reduce((p, d) => p * d, 1);
  let data: Float64Array;
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (raw.length !== n * type.bytes) fail("E0500", `${what}: raw_data has ${raw.length} bytes, expected ${n * type.bytes} for dims [${dims.join(", ")}]`, loc);
    data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = type.raw(view, i * type.bytes);
  } else {
    const values = type.typed(t);
    if (values.length !== n) fail("E0500", `${what} has ${values.length} values for dims [${dims.join(", ")}] (${n} elements)`, loc);
    data = Float64Array.from(values);
  }
  // A NaN or infinite weight has no quantization: reject it here, where the tensor is named.
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail("E0500", `${what} holds ${data[bad]} at element ${bad}: weights and constants must be finite numbers`, loc);
  return { name, dims, element: type.element, data };
}

const AT = onnx.AttributeProto.AttributeType;

/** Decoded node attribute: the raw protobuf value in a small union. */
export type OnnxAttrValue =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "ints"; value: number[] }
  | { kind: "floats"; value: number[] }
  | { kind: "strings"; value: string[] }
  | { kind: "tensor"; value: TensorProto }
  | { kind: "other"; type: string };

export function readAttribute(a: AttributeProto): OnnxAttrValue {
  const type = a.type ?? AT.UNDEFINED;
  switch (type) {
    case AT.INT:
      return { kind: "int", value: toNum(a.i) };
    case AT.FLOAT:
      return { kind: "float", value: a.f ?? 0 };
    case AT.STRING:
      return { kind: "string", value: Buffer.from(a.s ?? new Uint8Array()).toString("utf8") };
    case AT.INTS:
      return { kind: "ints", value: (a.ints ?? []).map(toNum) };
    case AT.FLOATS:
      return { kind: "floats", value: [...(a.floats ?? [])] };
    case AT.STRINGS:
      return { kind: "strings", value: (a.strings ?? []).map((s) => Buffer.from(s).toString("utf8")) };
    case AT.TENSOR:
      return { kind: "tensor", value: a.t ?? {} };
    default: {
      // Old files may leave `type` unset; infer from the populated field.
      if (type === AT.UNDEFINED) {
        if (a.ints && a.ints.length > 0) return { kind: "ints", value: a.ints.map(toNum) };
        if (a.floats && a.floats.length > 0) return { kind: "floats", value: [...a.floats] };
        if (a.t) return { kind: "tensor", value: a.t };
        if (a.s && a.s.length > 0) return { kind: "string", value: Buffer.from(a.s).toString("utf8") };
      }
      return { kind: "other", type: (AT as unknown as Record<number, string>)[type] ?? String(type) };
    }
  }
}
