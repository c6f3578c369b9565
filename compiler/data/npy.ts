// NumPy `.npy` read/write (format versions 1–3, C order; float32/float64/int64/int32/int8/uint8/bool)
// and `.npz` archives (zip of .npy members, stored or deflated).
import { fail } from "../../ir/diagnostics.js";
import type { NDArray } from "../../ir/tensor.js";
import type { ElementType } from "../../ir/types.js";
import { readZip, writeZip } from "./zip.js";

export type NpyDtype = "float32" | "float64" | "int64" | "int32" | "int8" | "uint8" | "bool";

/** The .npy element type that holds values of an IR element type. */
export function npyDtypeOf(e: ElementType): NpyDtype {
  if (e.kind === "float") return e.width === 64 ? "float64" : "float32";
  if (e.kind === "int") {
    if (e.width === 1) return "bool";
    if (e.width === 8) return e.signed ? "int8" : "uint8";
    if (e.width === 32 && e.signed) return "int32";
  }
  return "int64";
}

export interface NpyArray extends NDArray {
  readonly dtype: NpyDtype;
}

const DESCR: Record<string, NpyDtype> = {
  "<f4": "float32",
  "<f8": "float64",
  "<i8": "int64",
  "<i4": "int32",
  "|i1": "int8",
  "<i1": "int8",
  "|u1": "uint8",
  "<u1": "uint8",
  "|b1": "bool",
};

const DTYPE_DESCR: Record<NpyDtype, string> = {
  float32: "<f4",
  float64: "<f8",
  int64: "<i8",
  int32: "<i4",
  int8: "|i1",
  uint8: "|u1",
  bool: "|b1",
};

const BYTES: Record<NpyDtype, number> = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** Parses the header dict `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`. */
function parseHeader(text: string, what: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail("E0701", `${what}: malformed .npy header ${JSON.stringify(text.trim())}`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail("E0701", `${what}: invalid shape (${shapeText}) in .npy header`);
  return { descr, fortran: fortran === "True", shape };
}

export function readNpy(bytes: Uint8Array, what = "input"): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail("E0701", `${what}: not a .npy file (bad magic)`);
  const major = buf[6]!;
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail("E0701", `${what}: truncated .npy header`);
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else return fail("E0701", `${what}: unsupported .npy format version ${major}`);
  if (buf.length < start + headerLen) fail("E0701", `${what}: truncated .npy header`);
  const header = parseHeader(buf.subarray(start, start + headerLen).toString(major === 3 ? "utf8" : "latin1"), what);
  const dtype = DESCR[header.descr];
  if (!dtype) {
    fail("E0701", `${what}: unsupported .npy dtype '${header.descr}' (supported: float32, float64, int64, int32, int8, uint8, bool, little-endian)`);
  }
  const n = header.shape.reduce((p, d) => p * d, 1);
  if (header.fortran && header.shape.filter((d) => d > 1).length > 1) {
    fail("E0701", `${what}: Fortran-order arrays are not supported; save with np.ascontiguousarray(x)`);
  }
  const dataStart = start + headerLen;
  const need = n * BYTES[dtype];
  if (buf.length - dataStart < need) fail("E0701", `${what}: truncated .npy data (${buf.length - dataStart} bytes, expected ${need})`);
  const view = new DataView(buf.buffer, buf.byteOffset + dataStart, need);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case "float32":
        data[i] = view.getFloat32(i * 4, true);
        break;
      case "float64":
        data[i] = view.getFloat64(i * 8, true);
        break;
      case "int64": {
        const v = view.getBigInt64(i * 8, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) fail("E0701", `${what}: int64 value ${v} exceeds 2^53`);
        data[i] = Number(v);
        break;
      }
      case "int32":
        data[i] = view.getInt32(i * 4, true);
        break;
      case "int8":
        data[i] = view.getInt8(i);
        break;
      case "uint8":
        data[i] = view.getUint8(i);
        break;
      case "bool":
        data[i] = view.getUint8(i) ? 1 : 0;
        break;
    }
  }
  return { shape: header.shape, data, dtype };
}

export function writeNpy(a: NDArray, dtype: NpyDtype = "float32"): Uint8Array {
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(", ")})`;
  let header = `{'descr': '${DTYPE_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const n = a.data.length;
  const out = Buffer.alloc(10 + header.length + n * BYTES[dtype]);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, "latin1");
  const view = new DataView(out.buffer, out.byteOffset + 10 + header.length);
  for (let i = 0; i < n; i++) {
    const v = a.data[i]!;
    switch (dtype) {
      case "float32":
        view.setFloat32(i * 4, v, true);
        break;
      case "float64":
        view.setFloat64(i * 8, v, true);
        break;
      case "int64":
        view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
        break;
      case "int32":
        view.setInt32(i * 4, v, true);
        break;
      case "int8":
        view.setInt8(i, v);
        break;
      case "uint8":
        view.setUint8(i, v);
        break;
      case "bool":
        view.setUint8(i, v ? 1 : 0);
        break;
    }
  }
  return out;
}

/** Reads every array of an `.npz` archive, keyed by name (without the `.npy` suffix). */
export function readNpz(bytes: Uint8Array, what = "input"): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  for (const [name, data] of readZip(bytes, what)) {
    if (!name.endsWith(".npy")) continue;
    const key = name.slice(0, -4);
    out.set(key, readNpy(data, `${what}[${key}]`));
  }
  return out;
}

export function writeNpz(arrays: ReadonlyMap<string, { array: NDArray; dtype: NpyDtype }>): Uint8Array {
  return writeZip([...arrays].map(([name, a]) => ({ name: `${name}.npy`, data: writeNpy(a.array, a.dtype) })));
}

/** Reads `.npy` or `.npz` (by magic): a single array, or the archive's arrays. */
export function readArrays(bytes: Uint8Array, what = "input"): Map<string, NpyArray> {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) return readNpz(bytes, what);
  return new Map([["", readNpy(bytes, what)]]);
}
