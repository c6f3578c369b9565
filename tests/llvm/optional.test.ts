// The LLVM backend is optional: fhec installs, builds and runs without llvm-bindings. Checked three
// ways: the package is only an optional dependency; nothing but the backend's loader names it (so
// the TypeScript build never needs it); and with the package made unresolvable (the loader is told
// to load a name that does not exist, as on a machine where it is not installed), the CLI runs
// disable/simulate with `auto` and `clear`, while `--backend llvm` says in one line how to enable it.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { llvmStatus, resetLlvmStatus } from "../../backends/llvm/index.js";
import { compile } from "../../compiler/compile.js";
import { writeNpy } from "../../compiler/data/npy.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";

const root = join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === "node_modules" || name === "build") return [];
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") || p.endsWith(".mjs") ? [p] : [];
  });
}

describe("llvm-bindings is an optional dependency", () => {
  it("is listed only under optionalDependencies", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    expect(pkg["optionalDependencies"]?.["llvm-bindings"]).toBeDefined();
    for (const k of ["dependencies", "devDependencies", "peerDependencies"]) expect(pkg[k]?.["llvm-bindings"], k).toBeUndefined();
  });

  it("is named by no source file but the backend's loader (the build never needs its types)", () => {
    const dirs = ["compiler", "ir", "passes", "backends", "runtime", "crypto-model", "bench", "examples"];
    const naming = dirs
      .flatMap((d) => sources(join(root, d)))
      .filter((f) => /["']llvm-bindings["']/.test(readFileSync(f, "utf8")))
      .map((f) => relative(root, f));
    expect(naming).toEqual([join("backends", "llvm", "load.ts")]);
  });
});

describe("fhec without llvm-bindings", () => {
  const dir = mkdtempSync(join(tmpdir(), "fhec-nollvm-"));
  const circuitPath = join(dir, "logreg.fhe");
  const xPath = join(dir, "x.npy");
  const saved = process.env["FHEC_LLVM_BINDINGS"];

  beforeAll(() => {
    const f = loadFixture("logreg_std");
    compile(f.model, { calibration: f.calib }).save(circuitPath);
    writeFileSync(xPath, writeNpy(f.x));
    process.env["FHEC_LLVM_BINDINGS"] = "fhec-test-no-such-package";
    resetLlvmStatus();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env["FHEC_LLVM_BINDINGS"];
    else process.env["FHEC_LLVM_BINDINGS"] = saved;
    resetLlvmStatus();
  });

  it("reports the backend unavailable", () => {
    const s = llvmStatus();
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.reason).toMatch(/llvm-bindings is not installed/);
  });

  it("runs disable and simulate with --backend auto (the default) and clear, with the same results", async () => {
    for (const fhe of ["disable", "simulate"]) {
      const auto = await cli("predict", circuitPath, "--input", xPath, "--fhe", fhe);
      const clear = await cli("predict", circuitPath, "--input", xPath, "--fhe", fhe, "--backend", "clear");
      expect(auto.code, auto.stderr).toBe(0);
      expect(clear.code, clear.stderr).toBe(0);
      expect(auto.stdout).toBe(clear.stdout);
    }
    const sim = await cli("simulate", circuitPath, "--input", xPath, "--backend", "auto");
    expect(sim.code, sim.stderr).toBe(0);
  });

  it("--backend llvm fails in one line (exit 1) that says how to enable it", async () => {
    const r = await cli("simulate", circuitPath, "--input", xPath, "--backend", "llvm");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/E0704.*LLVM backend is unavailable.*llvm-14-dev.*npm install/);
  });

  it("rejects an unknown backend as a usage error", async () => {
    const r = await cli("predict", circuitPath, "--input", xPath, "--backend", "gpu");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--backend must be clear, llvm, auto, got 'gpu'/);
  });
});
