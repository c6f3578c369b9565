// `fhec info --json` on a partitioned circuit: partitions and one `tables` entry per noise
// constraint; every entry's predicted p_error is re-derived here from the listed numbers alone
// with the noise module (no access to the circuit's internals).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import {
  errorProbability, externalProductVariance, keyswitchVariance, modulusSwitchVariance, checkSecurity,
} from "../../passes/params/index.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";

interface Part {
  lweDimension: number; glweDimension: number; polynomialSize: number; pbsBaseLog: number; pbsLevel: number;
  ksBaseLog: number; ksLevel: number; lweNoiseStd: number; glweNoiseStd: number; maxNorm2: number; pError: number; precision: number;
  keySizes: { total: number; secretKey: number };
  outputKey?: true;
}
interface Entry {
  op: string; location: string; partition: number; inputPrecision: number; noisePrecision: number; pbsNorm2: number; freshNorm2: number; pError: number; kind: string;
  keyswitch?: { from: number; inputDimension: number; ksBaseLog: number; ksLevel: number; lweNoiseStd: number };
}

describe("fhec info --json with partitions", () => {
  it("lists partitions and every constraint; each pError re-checks from the listed numbers", async () => {
    const f = loadFixture("mlp");
    const circuit = compile(f.model, { calibration: f.calib, nBits: 2, roundingThresholdBits: { bits: 3, method: "exact" } });
    const dir = mkdtempSync(join(tmpdir(), "fhec-info-"));
    const path = join(dir, "mlp.fhe");
    circuit.save(path);
    const r = await cli("info", path, "--json");
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { partitions: Part[]; tables: Entry[]; pError: number };
    // Exact rounding reads 1-bit digits at high norm on the inputs' key, tables read 3 bits: the
    // optimizer splits them, and a table reading a rounded value goes through a conversion key.
    expect(info.partitions.length).toBeGreaterThanOrEqual(2);
    expect(info.tables.some((t) => t.keyswitch !== undefined)).toBe(true);
    for (const p of info.partitions) {
      for (const k of ["precision", "lweDimension", "glweDimension", "polynomialSize", "pbsBaseLog", "pbsLevel", "ksBaseLog", "ksLevel", "lweNoiseStd", "glweNoiseStd", "maxNorm2", "pError"]) {
        expect(typeof (p as unknown as Record<string, unknown>)[k]).toBe("number");
      }
      // The output key, if any, holds a secret key only: the server gets no keys of its own for it.
      if (p.outputKey) expect(p.keySizes.total).toBe(0);
      else expect(p.keySizes.total).toBeGreaterThan(0);
      expect(p.keySizes.secretKey).toBeGreaterThan(0);
      expect(checkSecurity(p).secure).toBe(true);
    }
    expect(info.tables.length).toBeGreaterThan(0);
    const kinds = new Set(info.tables.map((t) => t.kind));
    expect(kinds.has("round-bit") && kinds.has("output")).toBe(true);
    // The circuit runs PBS: every output returns compacted (a keyswitch before decryption).
    expect(info.tables.filter((t) => t.kind === "output").every((t) => t.keyswitch !== undefined)).toBe(true);
    for (const t of info.tables) {
      // The value's partition: the conversion's source, else the reading partition itself.
      const A = info.partitions[t.keyswitch?.from ?? t.partition]!;
      const B = info.partitions[t.partition]!;
      const br = A.lweDimension * externalProductVariance(A.glweDimension, A.polynomialSize, A.pbsBaseLog, A.pbsLevel, A.glweNoiseStd);
      let v = t.pbsNorm2 * br + t.freshNorm2 * A.glweNoiseStd ** 2;
      if (t.kind === "output" && t.keyswitch) {
        // A compacted output: its partition's own keyswitch, no modulus switch.
        v += keyswitchVariance(t.keyswitch.inputDimension, t.keyswitch.ksBaseLog, t.keyswitch.ksLevel, t.keyswitch.lweNoiseStd);
      } else if (t.kind !== "output") {
        const ks = t.keyswitch ?? { inputDimension: A.glweDimension * A.polynomialSize, ksBaseLog: B.ksBaseLog, ksLevel: B.ksLevel, lweNoiseStd: B.lweNoiseStd };
        v += keyswitchVariance(ks.inputDimension, ks.ksBaseLog, ks.ksLevel, ks.lweNoiseStd) + modulusSwitchVariance(B.lweDimension, B.polynomialSize);
      }
      const p = errorProbability(t.noisePrecision, v);
      expect(Math.abs(p - t.pError)).toBeLessThanOrEqual(1e-12 * Math.max(p, 1e-300) + 1e-300);
      // Every read meets the bound the sets were chosen for.
      expect(t.pError).toBeLessThanOrEqual(B.pError * (1 + 1e-9));
    }
    if (info.partitions.length > 1) {
      const text = (await cli("info", path)).stdout;
      expect(text).toMatch(/partition 1(, output key)?: n = \d+/);
    }
  }, 120_000);
});
