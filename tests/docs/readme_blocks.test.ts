// Every code block of the README works as written: TypeScript blocks type-check against the
// package's public API as shipped ("fhec" → dist/compiler/index.d.ts, the package's "types", kept
// fresh by tests/setup/build_dist.ts; checking its declarations costs a fifth of re-checking the
// library's sources), and the quick start's shell block runs, start to end, with `fhec` being
// this checkout's CLI.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "fhec-readme-"));
const run = promisify(execFile);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Fenced blocks of one language, with the heading they sit under. */
function blocks(lang: string): { heading: string; code: string }[] {
  const out: { heading: string; code: string }[] = [];
  let heading = "";
  const lines = README.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("#")) heading = line.replace(/^#+\s*/, "");
    if (line.trim() === "```" + lang) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== "```"; i++) body.push(lines[i]!);
      out.push({ heading, code: body.join("\n") });
    }
  }
  return out;
}

describe("README TypeScript blocks", () => {
  const tsBlocks = blocks("ts");
  it("there are TypeScript blocks to check", () => expect(tsBlocks.length).toBeGreaterThan(0));

  it("each type-checks against the public API", async () => {
    const files = tsBlocks.map((b, i) => {
      const f = `block${i}.ts`;
      // `export {}` makes each block a module (top-level await, no clashes between blocks).
      writeFileSync(join(scratch, f), `${b.code}\nexport {};\n`);
      return f;
    });
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(scratch, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true,
        types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")], paths: { fhec: [join(ROOT, "dist/compiler/index.d.ts")] },
      },
      files,
    }));
    // A child process keeps the test worker responsive while tsc checks the library.
    const result = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", scratch, "--pretty", "false"])
      .then(() => "").catch((e: { stdout?: string }) => e.stdout ?? String(e));
    const errors = result.split("\n").filter((l) => l.trim()).map((l) => {
      const m = /block(\d+)\.ts/.exec(l);
      return m ? `${tsBlocks[Number(m[1])]!.heading}: ${l}` : l;
    });
    expect(errors).toEqual([]);
  }, 120_000);
});

describe("README quick start", () => {
  const quick = blocks("sh").find((b) => b.heading.startsWith("Quick start"));
  it("has a shell block", () => expect(quick).toBeDefined());

  it("runs start to end from the repository root, writing only to a scratch folder", async () => {
    // The block runs the package's CLI with node, not through npx: `npx --prefix <repo> fhec` at the
    // repository root once re-ran the package's prepare and install scripts (dist/ and the native
    // addon rebuilt while other test files loaded them: a clean-clone CI run, 2026-12-03).
    const before = execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8" });
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", quick!.code], {
      cwd: ROOT,
      encoding: "utf8",
      env: process.env,
      maxBuffer: 64 << 20,
    });
    // The last command prints the clear model's predictions.
    expect(stdout).toMatch(/\d/);
    // Nothing was written into the checkout.
    expect(execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8" })).toBe(before);
  }, 240_000);
});
