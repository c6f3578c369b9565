// The supported-ONNX-operator lists, generated from the op registry (the `onnx` and `onnx_ml`
// dialects' declarations), for README.md and `fhec import --list-ops`.
//
//   node dist/compiler/docs/onnx_ops.js --write [README.md]   rewrites the README section
import { readFileSync, writeFileSync } from "node:fs";
import { defaultRegistry } from "../../ir/dialects/index.js";
import type { OpDef } from "../../ir/opdef.js";
import type { OpRegistry } from "../../ir/registry.js";
import { ML_OPSETS } from "../../ir/dialects/onnx_ml.js";
import { MAX_OPSET, MIN_OPSET } from "../onnx/graph.js";
import { isEntryPoint } from "../entry_point.js";

export const BEGIN_MARKER = "<!-- onnx-ops:begin -->";
export const END_MARKER = "<!-- onnx-ops:end -->";
/** The README section listing the `ai.onnx.ml` operators. */
export const ML_MARKERS = { begin: "<!-- onnx-ml-ops:begin -->", end: "<!-- onnx-ml-ops:end -->" } as const;
const ONNX_MARKERS = { begin: BEGIN_MARKER, end: END_MARKER } as const;
type Markers = { readonly begin: string; readonly end: string };

function onnxOps(registry: OpRegistry, dialect: "onnx" | "onnx_ml" = "onnx"): OpDef[] {
  return registry.dialect(dialect).sort((a, b) => a.name.localeCompare(b.name));
}

const opType = (def: OpDef) => def.name.slice(def.name.indexOf(".") + 1);

function operandList(def: OpDef): string {
  return def.operands.map((o) => (o.arity === "optional" ? `${o.name}?` : o.arity === "variadic" ? `${o.name}…` : o.name)).join(", ");
}

function attrList(def: OpDef): string {
  return Object.keys(def.attributes).join(", ");
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

function table(ops: readonly OpDef[], header: string[]): string {
  const lines = [...header, "", "| Operator | Operands | Attributes | Semantics and notes |", "| --- | --- | --- | --- |"];
  for (const def of ops) {
    const notes = def.description ? `${def.summary} *${def.description}.*` : def.summary;
    lines.push(`| \`${opType(def)}\` | ${cell(operandList(def))} | ${cell(attrList(def)) || "—"} | ${cell(notes)} |`);
  }
  return lines.join("\n") + "\n";
}

/** The markdown placed between the README markers (without the markers). */
export function renderOnnxOpsMarkdown(registry: OpRegistry = defaultRegistry): string {
  const ops = onnxOps(registry);
  return table(ops, [
    `${ops.length} operators, opsets ${MIN_OPSET}–${MAX_OPSET} (default domain). Generated from the \`onnx\` dialect's declarations by`,
    "`node dist/compiler/docs/onnx_ops.js --write`; `fhec import --list-ops` prints the same list.",
  ]);
}

/** The `ai.onnx.ml` operators, for the README's scikit-learn section. */
export function renderOnnxMlOpsMarkdown(registry: OpRegistry = defaultRegistry): string {
  const ops = onnxOps(registry, "onnx_ml");
  return table(ops, [
    `${ops.length} operators, \`ai.onnx.ml\` opsets ${ML_OPSETS.min}–${ML_OPSETS.max}. Generated from the \`onnx_ml\` dialect's declarations by`,
    "`node dist/compiler/docs/onnx_ops.js --write`; `fhec import --list-ops` prints the same list.",
  ]);
}

/** Plain-text list for `fhec import --list-ops`: the default domain, then `ai.onnx.ml`. */
export function renderOnnxOpList(registry: OpRegistry = defaultRegistry): string {
  const lines = (ops: OpDef[]) => {
    const width = Math.max(...ops.map((d) => opType(d).length));
    return ops.map((d) => {
      const attrs = attrList(d);
      return `  ${opType(d).padEnd(width)}  ${d.summary}${attrs ? ` [${attrs}]` : ""}${d.description ? ` (${d.description})` : ""}`;
    });
  };
  const ops = onnxOps(registry);
  const ml = onnxOps(registry, "onnx_ml");
  return (
    `Supported ONNX operators (${ops.length}, opsets ${MIN_OPSET}–${MAX_OPSET}):\n${lines(ops).join("\n")}\n` +
    `\nSupported ai.onnx.ml operators (${ml.length}, ai.onnx.ml opsets ${ML_OPSETS.min}–${ML_OPSETS.max}):\n${lines(ml).join("\n")}\n`
  );
}

/** Replaces the text between the markers; throws when the markers are missing. */
export function replaceSection(readme: string, body: string, m: Markers = ONNX_MARKERS): string {
  const begin = readme.indexOf(m.begin);
  const end = readme.indexOf(m.end);
  if (begin < 0 || end < begin) throw new Error(`README has no ${m.begin} … ${m.end} section`);
  return readme.slice(0, begin + m.begin.length) + "\n" + body + readme.slice(end);
}

/** The current text between the markers (without them). */
export function readSection(readme: string, m: Markers = ONNX_MARKERS): string {
  const begin = readme.indexOf(m.begin);
  const end = readme.indexOf(m.end);
  if (begin < 0 || end < begin) throw new Error(`README has no ${m.begin} … ${m.end} section`);
  return readme.slice(begin + m.begin.length + 1, end);
}

if (isEntryPoint(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === "--write") {
    const path = args[1] ?? "README.md";
    const both = replaceSection(replaceSection(readFileSync(path, "utf8"), renderOnnxOpsMarkdown()), renderOnnxMlOpsMarkdown(), ML_MARKERS);
    writeFileSync(path, both);
    process.stdout.write(`updated ${path}\n`);
  } else {
    process.stdout.write(renderOnnxOpsMarkdown());
  }
}
