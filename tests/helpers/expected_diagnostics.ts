// MLIR-style diagnostic tests: a file is split into cases by `// -----`; each case carries
// `// expected-error {{text}}` (same line) or `// expected-error@+N {{text}}` / `@-N` (relative
// line) annotations. Every expected error must be reported on its line with a message
// containing the text, and no other error may be reported.
import type { Diagnostic } from "../../ir/diagnostics.js";

export interface Expectation {
  readonly line: number;
  readonly text: string;
}

export interface SplitCase {
  /** The whole file with other cases' lines blanked, so line numbers stay the file's own. */
  readonly text: string;
  readonly firstLine: number;
  readonly expectations: Expectation[];
}

const ANNOTATION = /\/\/\s*expected-error(?:@([+-]\d+))?\s*\{\{(.*?)\}\}/;

export function splitCases(source: string): SplitCase[] {
  const lines = source.split("\n");
  const bounds: [number, number][] = [];
  let start = 0;
  lines.forEach((l, i) => {
    if (l.trim() === "// -----") {
      bounds.push([start, i]);
      start = i + 1;
    }
  });
  bounds.push([start, lines.length]);
  return bounds.map(([from, to]) => {
    const expectations: Expectation[] = [];
    for (let i = from; i < to; i++) {
      const m = ANNOTATION.exec(lines[i]!);
      if (m) expectations.push({ line: i + 1 + (m[1] ? Number(m[1]) : 0), text: m[2]! });
    }
    const text = lines.map((l, i) => (i >= from && i < to ? l : "")).join("\n");
    return { text, firstLine: from + 1, expectations };
  });
}

/** Problems with the diagnostics against the expectations; empty when they agree. */
export function checkExpectations(diags: readonly Diagnostic[], expectations: readonly Expectation[]): string[] {
  const problems: string[] = [];
  const errors = diags.filter((d) => d.severity === "error");
  const matched = new Set<Diagnostic>();
  for (const e of expectations) {
    const hit = errors.find((d) => !matched.has(d) && d.loc.kind === "file" && d.loc.line === e.line && d.message.includes(e.text));
    if (hit) matched.add(hit);
    else problems.push(`expected error on line ${e.line} containing "${e.text}"; got: ${errors.map((d) => `${d.loc.kind === "file" ? d.loc.line : "?"}: ${d.message}`).join(" | ") || "no errors"}`);
  }
  for (const d of errors) {
    if (!matched.has(d)) problems.push(`unexpected error at line ${d.loc.kind === "file" ? d.loc.line : "?"}: ${d.message}`);
  }
  return problems;
}
