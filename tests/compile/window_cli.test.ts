// `fhec simulate` names the tables whose data-fitted window an input left (those values are read
// modulo the window, as FHE reads them): inputs far from the calibration data trigger it, the test
// split does not.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../compiler/data/npy.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";

describe("fhec simulate and out-of-window values", () => {
  it("reports the op for inputs outside the calibrated range, and nothing for in-distribution data", async () => {
    const f = loadFixture("mlp");
    const dir = mkdtempSync(join(tmpdir(), "fhec-window-"));
    const circuit = join(dir, "mlp.fhe");
    expect((await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", circuit)).code).toBe(0);
    // Every pixel at its maximum (16): accumulators far beyond anything the digits reach.
    const extreme = { shape: [4, 64], data: new Float64Array(4 * 64).fill(16) };
    writeFileSync(join(dir, "extreme.npy"), writeNpy(extreme));
    const out = await cli("simulate", circuit, "--input", join(dir, "extreme.npy"));
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/warning: \d+ value\(s\) fell outside the calibrated window of the table read at .+; they are read modulo the window/);
    const normal = await cli("simulate", circuit, "--input", join(f.dir, "calib.npy"));
    expect(normal.code).toBe(0);
    expect(normal.stderr).not.toContain("outside the calibrated window");
    expect((await cli("simulate", circuit, "--input", join(f.dir, "calib.npy"), "--noise", "nonsense")).code).toBe(2); // a usage error
  });
});
