// The first diagnostic of the CompileError a call must throw.
import { expect } from "vitest";
import { CompileError, type Diagnostic } from "../../ir/diagnostics.js";

export function firstDiagnosticOf(call: () => unknown): Diagnostic {
  let err: unknown;
  try {
    call();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CompileError);
  return (err as CompileError).diagnostics[0]!;
}
