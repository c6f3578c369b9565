// Public entry points of the ONNX importer.
import { readFileSync } from "node:fs";
import type { ModuleOp } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { type ImportOptions, importModel } from "./importer.js";
import { decodeModel } from "./proto.js";

export { type ImportOptions, importModel, sanitizeName, SUPPORTED_OPSETS } from "./importer.js";
export { decodeModel } from "./proto.js";

/**
 * Imports an ONNX model (bytes or a file path) into a verified module of the `onnx` dialect.
 * Throws a CompileError (codes E05xx) naming the offending node for invalid or unsupported models.
 */
export function importOnnx(bytesOrPath: Uint8Array | string, options: ImportOptions = {}): ModuleOp {
  let bytes: Uint8Array;
  let file = options.file;
  if (typeof bytesOrPath === "string") {
    file ??= bytesOrPath;
    try {
      bytes = readFileSync(bytesOrPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return fail("E0400", `cannot read ONNX model '${bytesOrPath}': ${code === "ENOENT" ? "no such file" : code ?? String(e)}`);
    }
  } else bytes = bytesOrPath;
  file ??= "<memory>";
  return importModel(decodeModel(bytes, file), { ...options, file });
}
