// The README's examples stay true: its IR example parses, verifies and prints back unchanged,
// and the commands it names exist.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultRegistry, parseModule, printModule, verifyModule } from "../ir/index.js";
import { cli } from "./helpers/cli.js";
import * as api from "../compiler/index.js";

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

describe("README", () => {
  it("its mlir examples round-trip and verify", () => {
    const blocks = [...readme.matchAll(/```mlir\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(0);
    for (const text of blocks) {
      const parsed = parseModule(text, "README.md", defaultRegistry);
      expect(parsed.diagnostics).toEqual([]);
      expect(verifyModule(parsed.module!, defaultRegistry).diagnostics).toEqual([]);
      expect(printModule(parsed.module!)).toBe(text);
    }
  });
  it("names only commands that exist", async () => {
    // Commands in shell blocks and inline code spans.
    const code = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).join("\n") + [...readme.matchAll(/`([^`\n]+)`/g)].map((m) => `\n${m[1]}`).join("");
    const named = new Set([...code.matchAll(/^fhec ([a-z]+)\b/gm)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(3);
    const help = (await cli("--help")).stdout;
    for (const c of named) expect(help, `fhec ${c}`).toMatch(new RegExp(`\\n  ${c} `));
  });
  it("the package entry point exports the documented API", () => {
    expect(typeof api.compile).toBe("function");
    expect(typeof api.FheCircuit.deserialize).toBe("function");
    expect(typeof api.importOnnx).toBe("function");
  });
});
