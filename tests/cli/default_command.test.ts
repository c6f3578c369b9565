// `fhec model.onnx -o circuit.fhe` (no subcommand) is `fhec compile`, and `fhec --help` lists
// the global options.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";

const work = mkdtempSync(join(tmpdir(), "fhec-default-"));

describe("fhec with a model as first argument", () => {
  it("writes the same circuit and client spec as fhec compile", async () => {
    const f = loadFixture("logreg_demo");
    const calib = join(f.dir, "calib.npy");
    const a = await cli(f.model, "--calib", calib, "-o", join(work, "a.fhe"));
    expect(a.code, a.stderr).toBe(0);
    const b = await cli("compile", f.model, "--calib", calib, "-o", join(work, "b.fhe"));
    expect(b.code, b.stderr).toBe(0);
    expect(readFileSync(join(work, "a.fhe"))).toEqual(readFileSync(join(work, "b.fhe")));
    expect(readFileSync(join(work, "a.client"))).toEqual(readFileSync(join(work, "b.client")));
  });

  it("still calls an unknown word that is not a model an unknown command", async () => {
    const r = await cli("frobnicate", "-o", "x");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it("lists --version and --help in fhec --help", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-V, --version/);
    expect(r.stdout).toMatch(/-h, --help/);
    expect(r.stdout).toContain("fhec <model.onnx>");
    expect((await cli("--version")).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
