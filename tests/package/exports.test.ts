// The package's `exports` map: `import "fhec"` gives the public API, and nothing else of dist/ is
// importable, so the test-only INSECURE parameter sets in dist/runtime stay out of reach.
// Checked through Node's own resolver, as a user's code would import (the package self-reference).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

function nodeEval(code: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { cwd: root, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("package exports", () => {
  it("exposes the public API, with no insecure parameter set among it", () => {
    const r = nodeEval(`const m = await import("fhec"); console.log(JSON.stringify(Object.keys(m)));`);
    expect(r.status, r.out).toBe(0);
    const names = JSON.parse(r.out) as string[];
    for (const n of ["compile", "FheCircuit", "FheModelClient", "FheModelServer", "FheHttpClient", "FheHttpServer"]) expect(names).toContain(n);
    expect(names.filter((n) => /insecure|test/i.test(n))).toEqual([]);
  });

  it("refuses deep imports of dist/ (dist/runtime holds the INSECURE test sets)", () => {
    for (const deep of ["fhec/dist/runtime/index.js", "fhec/dist/runtime/parameter_sets.js", "fhec/dist/compiler/deploy/server.js"]) {
      const r = nodeEval(`try { await import(${JSON.stringify(deep)}); console.log("imported"); } catch (e) { console.log(e.code); }`);
      expect(r.out.trim(), deep).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    }
  });
});
