// The supported-ONNX-operator list, generated from the op registry (the `onnx` dialect's
// declarations), for README.md and `fhec import --list-ops`.
//
//   node dist/compiler/docs/onnx_ops.js --write [README.md]   rewrites the README section
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defaultRegistry } from "../../ir/dialects/index.js";
import type { OpDef } from "../../ir/opdef.js";
import type { OpRegistry } from "../../ir/registry.js";
import { MAX_OPSET, MIN_OPSET } from "../onnx/graph.js";

export const BEGIN_MARKER = "<!-- onnx-ops:begin -->";
export const END_MARKER = "<!-- onnx-ops:end -->";

function onnxOps(registry: OpRegistry): OpDef[] {
  return registry.dialect("onnx").sort((a, b) => a.name.localeCompare(b.name));
}

function operandList(def: OpDef): string {
  return def.operands.map((o) => (o.arity === "optional" ? `${o.name}?` : o.arity === "variadic" ? `${o.name}…` : o.name)).join(", ");
}

function attrList(def: OpDef): string {
  return Object.keys(def.attributes).join(", ");
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** The markdown placed between the README markers (without the markers). */
export function renderOnnxOpsMarkdown(registry: OpRegistry = defaultRegistry): string {
  const ops = onnxOps(registry);
  const lines = [
    `${ops.length} operators, opsets ${MIN_OPSET}–${MAX_OPSET} (default domain). Generated from the \`onnx\` dialect's declarations by`,
    "`node dist/compiler/docs/onnx_ops.js --write`; `fhec import --list-ops` prints the same list.",
    "",
    "| Operator | Operands | Attributes | Semantics and notes |",
    "| --- | --- | --- | --- |",
  ];
  for (const def of ops) {
    const notes = def.description ? `${def.summary} *${def.description}.*` : def.summary;
    lines.push(`| \`${def.name.slice(5)}\` | ${cell(operandList(def))} | ${cell(attrList(def)) || "—"} | ${cell(notes)} |`);
  }
  return lines.join("\n") + "\n";
}

/** Plain-text list for `fhec import --list-ops`. */
export function renderOnnxOpList(registry: OpRegistry = defaultRegistry): string {
  const ops = onnxOps(registry);
  const width = Math.max(...ops.map((d) => d.name.length - 5));
  const lines = ops.map((d) => {
    const attrs = attrList(d);
    return `  ${d.name.slice(5).padEnd(width)}  ${d.summary}${attrs ? ` [${attrs}]` : ""}${d.description ? ` (${d.description})` : ""}`;
  });
  return `Supported ONNX operators (${ops.length}, opsets ${MIN_OPSET}–${MAX_OPSET}):\n${lines.join("\n")}\n`;
}

/** Replaces the text between the markers; throws when the markers are missing. */
export function replaceSection(readme: string, body: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`README has no ${BEGIN_MARKER} … ${END_MARKER} section`);
  return readme.slice(0, begin + BEGIN_MARKER.length) + "\n" + body + readme.slice(end);
}

/** The current text between the markers (without them). */
export function readSection(readme: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`README has no ${BEGIN_MARKER} … ${END_MARKER} section`);
  return readme.slice(begin + BEGIN_MARKER.length + 1, end);
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const args = process.argv.slice(2);
  if (args[0] === "--write") {
    const path = args[1] ?? "README.md";
    writeFileSync(path, replaceSection(readFileSync(path, "utf8"), renderOnnxOpsMarkdown()));
    process.stdout.write(`updated ${path}\n`);
  } else {
    process.stdout.write(renderOnnxOpsMarkdown());
  }
}
