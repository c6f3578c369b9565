// `fhec` and `fhec opt` from the user's side: help, outputs, dumps, and every kind of failure
// giving a located one-line cause and a non-zero exit code.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

const work = mkdtempSync(join(tmpdir(), "fhec-opt-"));
function file(name: string, text: string): string {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
}

const chain = join(import.meta.dirname, "..", "passes", "canonicalize", "tlu_chain.mlir");

describe("fhec", () => {
  it("prints help listing the commands", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: fhec <command>");
    expect(r.stdout).toMatch(/opt\s+Run passes on textual IR/);
  });
  it("exits 2 without a command, and on an unknown one", async () => {
    expect((await cli()).code).toBe(2);
    const r = await cli("frobnicate");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
  it("prints its version", async () => {
    const r = await cli("--version");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe("fhec opt", () => {
  it("has help with the pass list", async () => {
    const r = await cli("opt", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: fhec opt");
    expect(r.stdout).toContain("canonicalize");
    expect(r.stdout).toContain("max-iterations=<int>");
  });

  it("writes the result with -o, atomically", async () => {
    const out = join(work, "out.mlir");
    const r = await cli("opt", chain, "--passes=canonicalize", "-o", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(readFileSync(out, "utf8")).toContain("dense<[6, 3, 0, 7]>");
  });

  it("dumps the IR after each pass on stderr", async () => {
    const r = await cli("opt", chain, "--passes=canonicalize,canonicalize", "--print-after-all");
    expect(r.code).toBe(0);
    expect(r.stderr.match(/IR after canonicalize/g)).toHaveLength(2);
    const only = await cli("opt", chain, "--passes=canonicalize", "--print-after=canonicalize");
    expect(only.stderr).toContain("IR after canonicalize");
  });

  it("warns when canonicalize hits its iteration cap", async () => {
    const r = await cli("opt", chain, "--passes=canonicalize{max-iterations=1}");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning[W0303]: canonicalize did not converge on @main within 1 iterations");
  });

  it("rejects an unknown pass and a bad option", async () => {
    const a = await cli("opt", chain, "--passes=canonicalise");
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("unknown pass 'canonicalise' (passes: canonicalize");
    const b = await cli("opt", chain, "--passes=canonicalize{max-iterations=many}");
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("option 'canonicalize.max-iterations' needs an integer, got 'many'");
    const c = await cli("opt", chain, "--passes=canonicalize{speed=3}");
    expect(c.stderr).toContain("pass 'canonicalize' has no option 'speed'");
  });

  it("rejects unknown flags and missing inputs", async () => {
    const a = await cli("opt", chain, "--frobnicate");
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("Unknown option '--frobnicate'");
    const b = await cli("opt");
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("missing input file");
    const c = await cli("opt", join(work, "absent.mlir"));
    expect(c.code).toBe(1);
    expect(c.stderr).toContain("cannot read input");
    expect(c.stderr).toContain("no such file");
  });

  const malformed: [string, string, string][] = [
    ["unknown op", `module {\n  func.func @f(%x: !fhe.eint<3>) -> !fhe.eint<3> {\n    %a = fhe.nope %x : (!fhe.eint<3>) -> !fhe.eint<3>\n    return %a : !fhe.eint<3>\n  }\n}\n`, ":3:10: error[E0102]: unknown operation 'fhe.nope'"],
    ["wrong type", `module {\n  func.func @f(%x: !fhe.eint<3>) -> !fhe.eint<3> {\n    %a = fhe.neg_eint %x : (!fhe.eint<3>) -> i8\n    return %x : !fhe.eint<3>\n  }\n}\n`, ":3:5: error[E0204]: result #0 'result' must be an encrypted integer"],
    ["unterminated tensor", `module {\n  func.func @f(%x: tensor<4x!fhe.eint<3>) {\n    return\n  }\n}\n`, ":2:41: error[E0101]: expected '>', found ')'"],
    ["duplicate SSA name", `module {\n  func.func @f(%x: !fhe.eint<3>) -> !fhe.eint<3> {\n    %x = fhe.neg_eint %x : (!fhe.eint<3>) -> !fhe.eint<3>\n    return %x : !fhe.eint<3>\n  }\n}\n`, ":3:5: error[E0103]: SSA value %x is defined twice"],
  ];
  for (const [name, text, expected] of malformed) {
    it(`reports a located error for: ${name}`, async () => {
      const out = join(work, `never-${name.replace(/ /g, "_")}.mlir`);
      const r = await cli("opt", file(`${name.replace(/ /g, "_")}.mlir`, text), "-o", out);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(expected);
      // The offending line and a caret under it.
      expect(r.stderr).toMatch(/\n {2}.*\n {2}\s*\^+/);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("points at the related definition for a dominance error", async () => {
    const text = `module {\n  func.func @f(%x: !fhe.eint<3>) -> !fhe.eint<3> {\n    %a = fhe.neg_eint %b : (!fhe.eint<3>) -> !fhe.eint<3>\n    %b = fhe.neg_eint %x : (!fhe.eint<3>) -> !fhe.eint<3>\n    return %a : !fhe.eint<3>\n  }\n}\n`;
    const r = await cli("opt", file("dominance.mlir", text));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("dominance.mlir:3:5: error[E0200]");
    expect(r.stderr).toContain("dominance.mlir:4:5: note: defined here");
  });
});
