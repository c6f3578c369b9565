// Every registered op documents an ok example (must verify cleanly and round-trip byte for byte)
// and an error example (must be rejected with its documented message).
import { describe, expect, it } from "vitest";
import { defaultRegistry, parseModule, printModule, verifyModule, renderDiagnostics } from "../../ir/index.js";

const wrap = (func: string) => `module {\n${func.split("\n").map((l) => `  ${l}`).join("\n")}\n}\n`;

function diagnosticsOf(text: string): string[] {
  const parsed = parseModule(text, "example.mlir", defaultRegistry);
  if (!parsed.module) return parsed.diagnostics.map((d) => d.message);
  return verifyModule(parsed.module, defaultRegistry).diagnostics.map((d) => d.message);
}

describe("op registry examples", () => {
  for (const def of defaultRegistry.all()) {
    describe(def.name, () => {
      it("ok example verifies and round-trips", () => {
        const text = wrap(def.examples.ok);
        const parsed = parseModule(text, "ok.mlir", defaultRegistry);
        expect(renderDiagnostics(parsed.diagnostics, new Map([["ok.mlir", text]]))).toBe("");
        const verified = verifyModule(parsed.module!, defaultRegistry);
        expect(renderDiagnostics(verified.diagnostics, new Map([["ok.mlir", text]]))).toBe("");
        expect(printModule(parsed.module!)).toBe(text);
        // The generic form round-trips too.
        const generic = printModule(parsed.module!, { generic: true });
        const reparsed = parseModule(generic, "generic.mlir", defaultRegistry);
        expect(reparsed.diagnostics).toEqual([]);
        expect(printModule(reparsed.module!, { generic: true })).toBe(generic);
        expect(printModule(reparsed.module!)).toBe(text);
      });
      it("uses the op", () => {
        expect(def.examples.ok.includes(def.name) || def.name === "func.return").toBe(true);
      });
      it("error example is rejected with its message", () => {
        expect(def.examples.error).toBeDefined();
        const messages = diagnosticsOf(wrap(def.examples.error!.text));
        expect(messages).toContain(def.examples.error!.message);
      });
    });
  }
});
