// The default op registry: every dialect's declarations, registered once.
import { OpRegistry } from "../registry.js";
import { arithDialect } from "./arith.js";
import { fheDialect } from "./fhe.js";
import { funcDialect } from "./func.js";
import { onnxDialect } from "./onnx.js";
import { onnxMlDialect } from "./onnx_ml.js";
import { tfheDialect } from "./tfhe.js";

export function createDefaultRegistry(): OpRegistry {
  return new OpRegistry().register(...funcDialect, ...arithDialect, ...fheDialect, ...tfheDialect, ...onnxDialect, ...onnxMlDialect);
}

/** The registry with all built-in dialects; read-only by convention. */
export const defaultRegistry: OpRegistry = createDefaultRegistry();
