// Diagnostics are data: a stable code, a message, a location and related notes. They are collected
// by a DiagnosticEmitter and rendered once, with the source line and a caret where text exists.

/** Where something came from: a position in IR text, an ONNX node, or nowhere known. */
export type Location =
  | { readonly kind: "file"; readonly file: string; readonly line: number; readonly col: number; readonly length?: number }
  | { readonly kind: "onnx"; readonly node: string; readonly opType: string }
  | { readonly kind: "unknown" };

export const unknownLoc: Location = { kind: "unknown" };

export type Severity = "error" | "warning" | "note" | "remark";

export interface RelatedInfo {
  readonly message: string;
  readonly loc: Location;
}

export interface Diagnostic {
  /** Stable code, e.g. `E0101`; see DIAGNOSTIC_CODES. */
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly loc: Location;
  /** The op the diagnostic is about, when there is one (rendered as `in 'fhe.add_eint'`). */
  readonly opName?: string;
  readonly related?: readonly RelatedInfo[];
}

/** Every diagnostic code the toolchain emits; codes never change meaning once released. */
export const DIAGNOSTIC_CODES = {
  // syntax (parser)
  E0100: "lexical error",
  E0101: "syntax error",
  E0102: "unknown operation",
  E0103: "duplicate SSA value name",
  E0104: "undefined SSA value",
  E0105: "type mismatch between a use and its definition",
  E0106: "invalid type",
  E0107: "invalid attribute",
  E0108: "duplicate symbol",
  // verifier
  E0200: "operand does not dominate its use",
  E0201: "wrong number of operands",
  E0202: "wrong number of results",
  E0203: "operand type violates the op's constraint",
  E0204: "result type violates the op's constraint",
  E0205: "missing required attribute",
  E0206: "attribute of the wrong kind",
  E0207: "unknown attribute",
  E0208: "op-specific verification failed",
  E0209: "function terminator missing or misplaced",
  E0210: "return types differ from the function signature",
  E0211: "value from another function",
  // passes and pipeline
  E0300: "unknown pass",
  E0301: "invalid pass option",
  E0302: "pass failed",
  W0303: "pattern rewriting did not converge",
  // driver
  E0400: "input/output error",
  E0401: "invalid command-line usage",
  // ONNX import
  E0500: "invalid ONNX model",
  E0501: "unsupported ONNX operator",
  E0502: "unsupported ONNX feature",
  // compilation
  E0600: "quantization error",
  E0601: "unsupported pattern for FHE",
  E0602: "no crypto parameters satisfy the constraints",
  // runtime and artifacts
  E0700: "invalid artifact",
  E0701: "invalid input data",
  E0702: "artifact of another circuit or key",
  E0703: "unknown evaluation keys",
  E0704: "backend unavailable",
} as const;
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export class DiagnosticEmitter {
  readonly diagnostics: Diagnostic[] = [];

  emit(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  error(code: DiagnosticCode, message: string, loc: Location, extra: { opName?: string; related?: RelatedInfo[] } = {}): void {
    this.emit({ code, severity: "error", message, loc, ...extra });
  }

  warning(code: DiagnosticCode, message: string, loc: Location, extra: { opName?: string; related?: RelatedInfo[] } = {}): void {
    this.emit({ code, severity: "warning", message, loc, ...extra });
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }

  hasErrors(): boolean {
    return this.errorCount > 0;
  }
}

/** Thrown when a phase stops on errors; carries the diagnostics to render. */
export class CompileError extends Error {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    /** Source texts the diagnostics point into, for caret rendering. */
    readonly sources?: SourceMap,
  ) {
    super(diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
    this.name = "CompileError";
  }
}

/** A single-diagnostic error, for call sites that stop at the first problem. */
export function fail(code: DiagnosticCode, message: string, loc: Location = unknownLoc, opName?: string): never {
  throw new CompileError([{ code, severity: "error", message, loc, ...(opName ? { opName } : {}) }]);
}

export function formatLocation(loc: Location): string {
  switch (loc.kind) {
    case "file":
      return `${loc.file}:${loc.line}:${loc.col}`;
    case "onnx":
      return `ONNX node '${loc.node}' (${loc.opType})`;
    case "unknown":
      return "<unknown>";
  }
}

/** Source texts by file name, so the renderer can show the offending line. */
export type SourceMap = ReadonlyMap<string, string>;

function caretBlock(loc: Location, sources: SourceMap | undefined): string {
  if (loc.kind !== "file" || !sources) return "";
  const text = sources.get(loc.file);
  if (text === undefined) return "";
  const line = text.split(/\r?\n/)[loc.line - 1];
  if (line === undefined) return "";
  const caretLen = Math.max(1, Math.min(loc.length ?? 1, line.length - loc.col + 1));
  return `\n  ${line}\n  ${" ".repeat(Math.max(0, loc.col - 1))}${"^".repeat(caretLen)}`;
}

/** Renders one diagnostic like `file:3:7: error[E0203]: message` plus the caret block and notes. */
export function renderDiagnostic(d: Diagnostic, sources?: SourceMap): string {
  const where = d.loc.kind === "unknown" ? "" : `${formatLocation(d.loc)}: `;
  const op = d.opName ? ` (in '${d.opName}')` : "";
  let out = `${where}${d.severity}[${d.code}]: ${d.message}${op}${caretBlock(d.loc, sources)}`;
  for (const r of d.related ?? []) {
    const rw = r.loc.kind === "unknown" ? "" : `${formatLocation(r.loc)}: `;
    out += `\n${rw}note: ${r.message}${caretBlock(r.loc, sources)}`;
  }
  return out;
}

export function renderDiagnostics(ds: readonly Diagnostic[], sources?: SourceMap): string {
  return ds.map((d) => renderDiagnostic(d, sources)).join("\n");
}
