// `fhec compile` warns (one stderr line per problem) before anyone tries to generate keys that cannot fit:
// the mlp fixture with 8-bit tables needs N ≥ 16384 and keys of GiB; the machine's memory is
// mocked to 1 GiB. No key is generated: the check is arithmetic.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";

vi.mock("node:os", async (importOriginal) => {
  const os = await importOriginal<typeof import("node:os")>();
  return { ...os, totalmem: () => 2 ** 30, freemem: () => 2 ** 29 };
});

describe("fhec compile memory warning", () => {
  it("names the memory needed and the options that shrink it", async () => {
    const f = loadFixture("mlp");
    const out = join(mkdtempSync(join(tmpdir(), "fhec-warn-")), "mlp.fhe");
    const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", out, "--rounding-bits", "8");
    expect(r.code).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:"));
    // Two lines: the memory warning, and (8-bit tables cannot fit 1 GiB of keys) the key budget's.
    expect(warnings).toHaveLength(2);
    expect(warnings.filter((l) => /N = \d+\), more than this machine's 1\.0 GiB; shrink them with a smaller --rounding-bits/.test(l))).toHaveLength(1);
    expect(warnings.filter((l) => l.startsWith("warning: no parameter set fits the evaluation-key budget"))).toHaveLength(1);
  });

  it("stays quiet when the keys fit", async () => {
    const f = loadFixture("logreg_demo");
    const out = join(mkdtempSync(join(tmpdir(), "fhec-warn-")), "lr.fhe");
    const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", out, "--n-bits", "3");
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("warning:");
  });
});
