// Reusable type constraints for op declarations, and shape/precision checks shared by verifiers.
import type { Operation } from "./core.js";
import { constraint, type VerifyReporter } from "./opdef.js";
import {
  type Dim,
  type Type,
  elementOf,
  isTensor,
  shapeOf,
  typeToString,
} from "./types.js";

export const anyType = constraint("any type", () => true);
export const anyTensor = constraint("a tensor", (t) => isTensor(t));
export const encrypted = constraint("an encrypted integer or tensor of them", (t) => elementOf(t).kind === "eint");
export const encryptedTensor = constraint("a tensor of encrypted integers", (t) => isTensor(t) && t.element.kind === "eint");
export const clearInt = constraint(
  "a clear integer or tensor of them",
  (t) => elementOf(t).kind === "int" || elementOf(t).kind === "index",
);
export const clearIntTensor = constraint("a tensor of clear integers", (t) => isTensor(t) && (t.element.kind === "int" || t.element.kind === "index"));
export const lweCiphertexts = constraint("an LWE ciphertext or tensor of them", (t) => elementOf(t).kind === "lwe");
export const lweTensor = constraint("a tensor of LWE ciphertexts", (t) => isTensor(t) && t.element.kind === "lwe");
export const numericTensor = constraint("a tensor", (t) => isTensor(t));

/** Broadcast two possibly-dynamic shapes (numpy rules); undefined when incompatible. */
export function broadcastDims(a: readonly Dim[], b: readonly Dim[]): Dim[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = i - (n - a.length) >= 0 ? a[i - (n - a.length)]! : 1;
    const db = i - (n - b.length) >= 0 ? b[i - (n - b.length)]! : 1;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (da === null || db === null) out.push(da ?? db);
    else if (da === db) out.push(da);
    else return undefined;
  }
  return out;
}

export function dimsToString(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === null ? "?" : d)).join(", ")}]`;
}

/** Checks that the result shape is the broadcast of the operand shapes. */
export function verifyBroadcastResult(op: Operation, report: VerifyReporter): void {
  let shape: Dim[] | undefined = [];
  for (const v of op.operands) {
    shape = broadcastDims(shape, shapeOf(v.type));
    if (!shape) {
      report(`operand shapes ${op.operands.map((o) => dimsToString(shapeOf(o.type))).join(" and ")} do not broadcast`);
      return;
    }
  }
  const got = shapeOf(op.result.type);
  if (got.length !== shape.length || got.some((d, i) => d !== shape![i])) {
    report(`result shape ${dimsToString(got)} should be the broadcast shape ${dimsToString(shape)}`);
  }
}

/** All encrypted operands and results carry the same element type (precision, signedness, key). */
export function verifySameEncryptedType(op: Operation, report: VerifyReporter): void {
  const elements = [...op.operands, ...op.results].map((v) => elementOf(v.type)).filter((e) => e.kind === "eint" || e.kind === "lwe");
  const first = elements[0];
  if (!first) return;
  const other = elements.find((e) => typeToString(e) !== typeToString(first));
  if (other) report(`encrypted operands and results must share one precision, got ${typeToString(first)} and ${typeToString(other)}`);
}

export function sameElementType(a: Type, b: Type): boolean {
  return typeToString(elementOf(a)) === typeToString(elementOf(b));
}

/** Runs checks in order and stops after the first one that reports. */
export function checkAll(...checks: ((op: Operation, report: VerifyReporter) => void)[]) {
  return (op: Operation, report: VerifyReporter): void => {
    let failed = false;
    const once: VerifyReporter = (m) => {
      failed = true;
      report(m);
    };
    for (const c of checks) {
      if (failed) return;
      c(op, once);
    }
  };
}
