// Byte-for-byte round trips: every .mlir file under tests/ goes through `fhec opt` with no
// passes unchanged (`.generic.mlir` files with --print-generic).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

const testsRoot = join(import.meta.dirname, "..");

function mlirFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === "node_modules" ? [] : mlirFiles(p);
    return name.endsWith(".mlir") ? [p] : [];
  });
}

describe("fhec opt reproduces every .mlir file under tests/", () => {
  const files = mlirFiles(testsRoot);
  it("finds the golden files", () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
  for (const file of files) {
    it(relative(testsRoot, file), async () => {
      const args = file.endsWith(".generic.mlir") ? ["--print-generic"] : [];
      const r = await cli("opt", file, ...args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(readFileSync(file, "utf8"));
    });
  }
});
