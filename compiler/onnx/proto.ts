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

/** Element type of an ONNX data type, or undefined when fhec does not support it. */
export function elementOfDataType(dt: number): ElementType | undefined {
  switch (dt) {
    case DT.FLOAT:
      return f32;
    case DT.DOUBLE:
      return f64;
    case DT.UINT8:
      return intType(8, false);
    case DT.INT8:
      return intType(8);
    case DT.UINT16:
      return intType(16, false);
    case DT.INT16:
      return intType(16);
    case DT.INT32:
      return intType(32);
    case DT.UINT32:
      return intType(32, false);
    case DT.INT64:
      return intType(64);
    case DT.UINT64:
      return intType(64, false);
    case DT.BOOL:
      return intType(1);
    default:
      return undefined;
  }
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
  const element = elementOfDataType(dt);
  if (!element) fail("E0502", `${what} has element type ${dataTypeName(dt)}, which fhec does not support`, loc);
  const dims = (t.dims ?? []).map(toNum);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) fail("E0500", `${what} has invalid dims [${dims.join(", ")}]`, loc);
  const n = dims.reduce((p, d) => p * d, 1);
  let data: Float64Array;
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width = dt === DT.BOOL || dt === DT.INT8 || dt === DT.UINT8 ? 1 : dt === DT.INT16 || dt === DT.UINT16 ? 2 : dt === DT.FLOAT || dt === DT.INT32 || dt === DT.UINT32 ? 4 : 8;
    if (raw.length !== n * width) fail("E0500", `${what}: raw_data has ${raw.length} bytes, expected ${n * width} for dims [${dims.join(", ")}]`, loc);
    data = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const at = i * width;
      switch (dt) {
        case DT.FLOAT:
          data[i] = view.getFloat32(at, true);
          break;
        case DT.DOUBLE:
          data[i] = view.getFloat64(at, true);
          break;
        case DT.INT8:
          data[i] = view.getInt8(at);
          break;
        case DT.UINT8:
          data[i] = view.getUint8(at);
          break;
        case DT.BOOL:
          data[i] = view.getUint8(at) ? 1 : 0;
          break;
        case DT.INT16:
          data[i] = view.getInt16(at, true);
          break;
        case DT.UINT16:
          data[i] = view.getUint16(at, true);
          break;
        case DT.INT32:
          data[i] = view.getInt32(at, true);
          break;
        case DT.UINT32:
          data[i] = view.getUint32(at, true);
          break;
        case DT.INT64:
          data[i] = Number(view.getBigInt64(at, true));
          break;
        default:
          data[i] = Number(view.getBigUint64(at, true));
      }
    }
  } else {
    let values: number[];
    switch (dt) {
      case DT.FLOAT:
        values = t.floatData ?? [];
        break;
      case DT.DOUBLE:
        values = t.doubleData ?? [];
        break;
      case DT.INT64:
        values = (t.int64Data ?? []).map(toNum);
        break;
      case DT.UINT32:
      case DT.UINT64:
        values = (t.uint64Data ?? []).map(toNum);
        break;
      default:
        values = t.int32Data ?? [];
    }
    if (values.length !== n) fail("E0500", `${what} has ${values.length} values for dims [${dims.join(", ")}] (${n} elements)`, loc);
    data = Float64Array.from(values, (v) => (dt === DT.BOOL ? (v ? 1 : 0) : v));
  }
  return { name, dims, element, data };
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
