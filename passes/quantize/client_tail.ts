// The client-side tail of a quantized model: ops the client evaluates in float after decrypting
// (the server never sees their results). Softmax, ArgMax and Normalizer always run there; a
// Concat of trailing univariate chains (gradient boosting's [1 − σ(s), σ(s)]) runs there too
// when everything it feeds is client-side, so the chains stay exact instead of becoming tables.
import type { Operation, Value } from "../../ir/core.js";

/** Ops only the client evaluates (after decryption). */
export const CLIENT_ONLY_OPS: ReadonlySet<string> = new Set(["onnx.Softmax", "onnx.ArgMax", "onnx_ml.Normalizer"]);

/** True when every use of `v` is a function result or a client-only op (through further such Concats). */
export function feedsOnlyTheClient(v: Value): boolean {
  return v.uses.every(({ op }) => op.name === "func.return" || CLIENT_ONLY_OPS.has(op.name) || (op.name === "onnx.Concat" && feedsOnlyTheClient(op.results[0]!)));
}

/** A Concat that may move to the client: its result only reaches the client. */
export function isClientSideConcat(op: Operation): boolean {
  return op.name === "onnx.Concat" && feedsOnlyTheClient(op.results[0]!);
}
