// The unit tests' tiny parameter sets are below the 128-bit curve. Only their author's INSECURE_*
// name in code lets the runtime generate keys for them, so the library must neither hand such a
// set out nor write that name itself.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import * as packageEntry from "../../compiler/index.js";
import * as tfheBackend from "../../backends/tfhe/index.js";
import * as runtime from "../../runtime/index.js";
import { TfheParameters } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";

const ROOT = resolve(import.meta.dirname, "../..");
const LIBRARY = ["compiler", "passes", "backends", "runtime", "crypto-model", "ir"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === "node_modules" || name === "build") return [];
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith(".ts") ? [p] : [];
  });
}

describe("test-only parameter sets", () => {
  it("no export of the package, the tfhe backend or the runtime is a set below the curve", () => {
    for (const [where, mod] of Object.entries({ packageEntry, tfheBackend, runtime })) {
      for (const [name, v] of Object.entries(mod)) {
        if (v instanceof TfheParameters) expect(v.security().secure, `${where}.${name}`).toBe(true);
      }
    }
  });

  it("no library source writes the INSECURE_ mark in a string, except where the runtime reads it", () => {
    expect(INSECURE_TEST_P2.isTestOnly).toBe(true);
    const writes = /["'`]INSECURE_/;
    expect(writes.test("new TfheParameters(raw, `INSECURE_${name}`)")).toBe(true);
    const writers = LIBRARY.flatMap((d) => sources(join(ROOT, d)))
      .filter((f) => writes.test(readFileSync(f, "utf8")))
      .map((f) => relative(ROOT, f));
    expect(writers).toEqual(["runtime/parameters.ts"]);
  });
});
