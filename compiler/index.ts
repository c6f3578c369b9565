// The public API of fhec (package entry point).
export { compile, type CompileOptions, type RoundingSpec, DEFAULT_N_BITS, DEFAULT_P_ERROR, DEFAULT_ROUNDING_BITS } from "./compile.js";
export { FheCircuit, type CircuitInfo, type FheMode, type InputQuantizer, type OutputDequantizer, type RunOptions } from "./circuit.js";
export { importOnnx, type ImportOptions } from "./onnx/index.js";
export { FheModelClient, type GeneratedKeys } from "./deploy/client.js";
export { FheModelServer, type FheModelServerOptions } from "./deploy/server.js";
export { FheHttpClient, FheHttpError, type FheHttpClientOptions, type Resendable } from "./serve/client.js";
export { FheHttpServer, type HttpServerOptions } from "./serve/http_server.js";
export { type ClientSpec, deserializeClientSpec, serializeClientSpec } from "./deploy/artifacts.js";
export { readNpy, writeNpy, readNpz, writeNpz, readArrays } from "./data/npy.js";
export { CompileError, renderDiagnostics, type Diagnostic } from "../ir/diagnostics.js";
export type { NDArray } from "../ir/tensor.js";
export type { NBits } from "../passes/quantize/index.js";
