// One lookup for the declarations of both float dialects that image an ONNX graph: `onnx.*`
// (default domain) and `onnx_ml.*` (`ai.onnx.ml`). The importer, the reference interpreter and
// the passes find an op's declaration and attribute defaults here.
import type { Attribute } from "../attributes.js";
import { OnnxAttrs, type OnnxOpDecl, onnxDecl } from "./onnx.js";
import { onnxMlDecl } from "./onnx_ml.js";

/** Function attribute: the ONNX graph's output names, in order (set by the importer, kept on the client's post-processing). */
export const OUTPUT_NAMES_ATTR = "onnx.output_names";

/** The dialect prefix of an ONNX domain: "" / "ai.onnx" → onnx, "ai.onnx.ml" → onnx_ml. */
export function dialectOfDomain(domain: string | null | undefined): "onnx" | "onnx_ml" | undefined {
  if (!domain || domain === "ai.onnx") return "onnx";
  if (domain === "ai.onnx.ml") return "onnx_ml";
  return undefined;
}

/** The declaration of `onnx.X` or `onnx_ml.X`, or undefined. */
export function declOf(opName: string): OnnxOpDecl | undefined {
  if (opName.startsWith("onnx.")) return onnxDecl(opName.slice(5));
  if (opName.startsWith("onnx_ml.")) return onnxMlDecl(opName.slice(8));
  return undefined;
}

/** The attribute reader (with ONNX defaults) of an `onnx.*` or `onnx_ml.*` op. */
export function attrsOf(opName: string, attributes: ReadonlyMap<string, Attribute>): OnnxAttrs {
  const decl = declOf(opName);
  if (!decl) throw new Error(`no onnx declaration for '${opName}'`);
  return new OnnxAttrs(decl, attributes);
}
