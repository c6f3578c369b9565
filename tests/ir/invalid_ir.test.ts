// Invalid-IR tests: every `.invalid` file under tests/ir/invalid is split into cases, and each
// case must produce exactly the diagnostics its `expected-error` annotations describe.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultRegistry, parseModule, verifyModule, renderDiagnostics } from "../../ir/index.js";
import { checkExpectations, splitCases } from "../helpers/expected_diagnostics.js";

const dir = join(import.meta.dirname, "invalid");

for (const file of readdirSync(dir).filter((f) => f.endsWith(".invalid"))) {
  describe(file, () => {
    const source = readFileSync(join(dir, file), "utf8");
    for (const c of splitCases(source)) {
      it(`case at line ${c.firstLine}`, () => {
        expect(c.expectations.length).toBeGreaterThan(0);
        const parsed = parseModule(c.text, file, defaultRegistry);
        const diags = parsed.module ? verifyModule(parsed.module, defaultRegistry).diagnostics : parsed.diagnostics;
        const problems = checkExpectations(diags, c.expectations);
        expect(problems, renderDiagnostics(diags, new Map([[file, c.text]]))).toEqual([]);
      });
    }
  });
}
