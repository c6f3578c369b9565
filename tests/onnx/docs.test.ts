// README.md's supported-operator section is generated from the registry; UPDATE_GOLDEN=1 rewrites it.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ML_MARKERS, readSection, renderOnnxMlOpsMarkdown, renderOnnxOpList, renderOnnxOpsMarkdown, replaceSection } from "../../compiler/docs/onnx_ops.js";
import { defaultRegistry } from "../../ir/dialects/index.js";

const readmePath = new URL("../../README.md", import.meta.url).pathname;

describe("generated ONNX operator docs", () => {
  it("README section equals the generated list", () => {
    const readme = readFileSync(readmePath, "utf8");
    const generated = renderOnnxOpsMarkdown();
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(readmePath, replaceSection(readme, generated));
    else expect(readSection(readme)).toBe(generated);
  });
  it("README's ai.onnx.ml list (scikit-learn section) equals the generated list", () => {
    const readme = readFileSync(readmePath, "utf8");
    const generated = renderOnnxMlOpsMarkdown();
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(readmePath, replaceSection(readme, generated, ML_MARKERS));
    else expect(readSection(readme, ML_MARKERS)).toBe(generated);
  });
  it("lists every onnx_ml op of the registry, in the table and in --list-ops", () => {
    const md = renderOnnxMlOpsMarkdown();
    const list = renderOnnxOpList();
    const ops = defaultRegistry.dialect("onnx_ml");
    expect(ops.length).toBeGreaterThanOrEqual(11);
    for (const def of ops) {
      const type = def.name.slice(8);
      expect(md).toContain(`| \`${type}\` |`);
      expect(list).toMatch(new RegExp(`^  ${type} `, "m"));
    }
  });
  it("lists every onnx op of the registry, in the table and in --list-ops", () => {
    const md = renderOnnxOpsMarkdown();
    const list = renderOnnxOpList();
    const ops = defaultRegistry.dialect("onnx");
    expect(ops.length).toBeGreaterThanOrEqual(78);
    for (const def of ops) {
      const type = def.name.slice(5);
      expect(md).toContain(`| \`${type}\` |`);
      expect(list).toMatch(new RegExp(`^  ${type} `, "m"));
    }
  });
  it("replaceSection keeps everything outside the markers", () => {
    const text = "a\n<!-- onnx-ops:begin -->\nold\n<!-- onnx-ops:end -->\nb\n";
    const out = replaceSection(text, "new\n");
    expect(out).toBe("a\n<!-- onnx-ops:begin -->\nnew\n<!-- onnx-ops:end -->\nb\n");
    expect(readSection(out)).toBe("new\n");
    expect(() => replaceSection("no markers", "x")).toThrow(/no <!-- onnx-ops:begin -->/);
  });
});
