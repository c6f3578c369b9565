// README.md's supported-operator section is generated from the registry; UPDATE_GOLDEN=1 rewrites it.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ML_MARKERS, readSection, renderOnnxMlOpsMarkdown, renderOnnxOpList, renderOnnxOpsMarkdown, replaceSection } from "../../compiler/docs/onnx_ops.js";
import { defaultRegistry } from "../../ir/dialects/index.js";

const readmePath = new URL("../../README.md", import.meta.url).pathname;

describe("generated ONNX operator docs", () => {
  const dialects = [
    { dialect: "onnx", section: "supported-operator section", render: renderOnnxOpsMarkdown, markers: undefined, atLeast: 78 },
    { dialect: "onnx_ml", section: "ai.onnx.ml list (scikit-learn section)", render: renderOnnxMlOpsMarkdown, markers: ML_MARKERS, atLeast: 11 },
  ] as const;
  for (const d of dialects) {
    it(`README's ${d.section} equals the generated list`, () => {
      const readme = readFileSync(readmePath, "utf8");
      const generated = d.render();
      if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(readmePath, replaceSection(readme, generated, d.markers));
      else expect(readSection(readme, d.markers)).toBe(generated);
    });
    it(`lists every ${d.dialect} op of the registry, in the table and in --list-ops`, () => {
      const md = d.render();
      const list = renderOnnxOpList();
      const ops = defaultRegistry.dialect(d.dialect);
      expect(ops.length).toBeGreaterThanOrEqual(d.atLeast);
      for (const def of ops) {
        const type = def.name.slice(d.dialect.length + 1);
        expect(md).toContain(`| \`${type}\` |`);
        expect(list).toMatch(new RegExp(`^  ${type} `, "m"));
      }
    });
  }
  it("replaceSection keeps everything outside the markers", () => {
    const text = "a\n<!-- onnx-ops:begin -->\nold\n<!-- onnx-ops:end -->\nb\n";
    const out = replaceSection(text, "new\n");
    expect(out).toBe("a\n<!-- onnx-ops:begin -->\nnew\n<!-- onnx-ops:end -->\nb\n");
    expect(readSection(out)).toBe("new\n");
    expect(() => replaceSection("no markers", "x")).toThrow(/no <!-- onnx-ops:begin -->/);
  });
});
