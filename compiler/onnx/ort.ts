// Runs an ONNX model through onnxruntime-node (CPU), as the independent reference for the importer
// and the float interpreter. Loaded lazily: nothing else needs the native runtime.
import { fail } from "../../ir/diagnostics.js";
import type { NDArray } from "../../ir/tensor.js";
import type { ElementType } from "../../ir/types.js";
import { dataTypeName, decodeModel, elementOfDataType } from "./proto.js";

type Ort = typeof import("onnxruntime-node");

async function loadOrt(): Promise<Ort> {
  try {
    const mod = (await import("onnxruntime-node")) as Ort & { default?: Ort };
    return mod.default ?? mod;
  } catch (e) {
    // An optional peer dependency: fhec installs without it (it is large, and its install step
    // downloads from outside the npm registry).
    if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
      return fail("E0502", "--ort needs onnxruntime-node, an optional dependency that is not installed: run 'npm install onnxruntime-node' (add '--onnxruntime-node-install=skip' to keep its installer offline) next to fhec");
    }
    return fail("E0502", `onnxruntime-node cannot be loaded (${(e as Error).message}); reinstall it with 'npm install onnxruntime-node'`);
  }
}

function ortTypeOf(e: ElementType): string {
  if (e.kind === "float") return e.width === 64 ? "float64" : "float32";
  if (e.kind === "int") {
    if (e.width === 1) return "bool";
    return `${e.signed ? "int" : "uint"}${e.width}`;
  }
  throw new Error(`no onnxruntime type for ${e.kind}`);
}

function toTypedArray(a: NDArray, type: string): Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Uint32Array | BigUint64Array {
  switch (type) {
    case "float32":
      return Float32Array.from(a.data);
    case "float64":
      return Float64Array.from(a.data);
    case "int64":
      return BigInt64Array.from(a.data, (v) => BigInt(Math.trunc(v)));
    case "uint64":
      return BigUint64Array.from(a.data, (v) => BigInt(Math.trunc(v)));
    case "int32":
      return Int32Array.from(a.data);
    case "uint32":
      return Uint32Array.from(a.data);
    case "int16":
      return Int16Array.from(a.data);
    case "uint16":
      return Uint16Array.from(a.data);
    case "int8":
      return Int8Array.from(a.data);
    default:
      return Uint8Array.from(a.data);
  }
}

export interface OrtOutput extends NDArray {
  readonly name: string;
}

/**
 * Runs `model` with the given inputs (by graph input name; values converted to each input's
 * element type). Returns the graph outputs in order.
 */
export async function runOnnxRuntime(model: Uint8Array, inputs: ReadonlyMap<string, NDArray>, file = "<memory>"): Promise<OrtOutput[]> {
  const proto = decodeModel(model, file);
  const initializers = new Set((proto.graph?.initializer ?? []).map((t) => t.name));
  const ort = await loadOrt();
  const feeds: Record<string, InstanceType<Ort["Tensor"]>> = {};
  for (const vi of proto.graph?.input ?? []) {
    const name = vi.name ?? "";
    if (initializers.has(name)) continue;
    const a = inputs.get(name);
    if (!a) fail("E0701", `no value for model input '${name}'`);
    const dt = vi.type?.tensorType?.elemType ?? 0;
    const e = elementOfDataType(dt);
    if (!e) fail("E0502", `model input '${name}' has unsupported type ${dataTypeName(dt)}`);
    const type = ortTypeOf(e);
    feeds[name] = new ort.Tensor(type as "float32", toTypedArray(a, type) as Float32Array, [...a.shape]);
  }
  let session: Awaited<ReturnType<Ort["InferenceSession"]["create"]>>;
  try {
    // Basic optimizations only: the extended ones fuse QDQ patterns into integer kernels that
    // re-quantize activations, which is not the ONNX semantics this reference stands for.
    session = await ort.InferenceSession.create(model, { graphOptimizationLevel: "basic" });
  } catch (e) {
    return fail("E0500", `${file}: onnxruntime rejects the model: ${(e as Error).message}`);
  }
  try {
    const results = await session.run(feeds);
    return session.outputNames.map((name) => {
      const t = results[name]!;
      const data = Float64Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
      return { name, shape: t.dims.map(Number), data };
    });
  } catch (e) {
    return fail("E0701", `${file}: onnxruntime failed: ${(e as Error).message}`);
  } finally {
    await session.release();
  }
}
