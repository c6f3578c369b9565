// gemm_tree with its comparisons lowered to 2-bit tables behind exact rounding, run encrypted with
// the parameter set the compiler chose (N = 1024 instead of 32768 for the 8-bit comparison
// tables): the decrypted outputs equal the clear circuit bit for bit. (With approximate rounding
// the removed bits become modulus-switch noise, so inputs a few codes from a threshold may flip:
// no equality is claimed there.)
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { loadFixture } from "../helpers/fixtures.js";

const SAMPLES = 8;

describe("gemm_tree, comparisons lowered with exact rounding, encrypted", () => {
  it(`FHE outputs equal the simulation on ${SAMPLES} test samples`, async () => {
    const f = loadFixture("gemm_tree");
    const per = f.x.data.length / f.x.shape[0]!;
    const x = { shape: [SAMPLES, per], data: f.x.data.slice(0, SAMPLES * per) };
    const circuit = compile(f.model, { calibration: f.calib, roundingThresholdBits: { bits: 8, method: "exact" } });
    expect(circuit.info().maxTluInputPrecision).toBeLessThanOrEqual(3);
    expect(circuit.parameters!.polynomialSize).toBeLessThanOrEqual(2048);
    const clear = circuit.predictClear(x, { fhe: "disable" })[0]!;
    const simulated = circuit.predictClear(x, { fhe: "simulate" })[0]!;
    const encrypted = (await circuit.predict(x, { fhe: "execute" }))[0]!;
    expect(Array.from(simulated.data)).toEqual(Array.from(clear.data));
    expect(Array.from(encrypted.data)).toEqual(Array.from(clear.data));
  }, 300_000);
});
