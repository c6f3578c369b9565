// The default weight width: 6 bits when the circuit has table lookups (each weight bit multiplies
// the noise a table must absorb by 4), the general default (8) when it has none, and whatever
// the user sets otherwise. Circuits are compared byte for byte.
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_N_BITS, TABLE_CIRCUIT_WEIGHT_BITS } from "../../compiler/compile.js";
import { loadFixture } from "../helpers/fixtures.js";

const bytesOf = (name: string, nBits?: { weights: number }) => {
  const f = loadFixture(name);
  // A static rounding and no parameter search: what is compared is the quantized circuit.
  return Buffer.from(compile(f.model, { calibration: f.calib, roundingThresholdBits: 6, cryptoParameters: false, ...(nBits ? { nBits } : {}) }).serialize());
};

describe("default weight width", () => {
  it("a circuit with tables (mlp) gets TABLE_CIRCUIT_WEIGHT_BITS-bit weights", () => {
    expect(TABLE_CIRCUIT_WEIGHT_BITS).toBeLessThan(DEFAULT_N_BITS.weights);
    const chosen = bytesOf("mlp");
    expect(chosen.equals(bytesOf("mlp", { weights: TABLE_CIRCUIT_WEIGHT_BITS }))).toBe(true);
    expect(chosen.equals(bytesOf("mlp", { weights: DEFAULT_N_BITS.weights }))).toBe(false);
  });
  it("a circuit without tables (logreg_std) keeps the default width", () => {
    const chosen = bytesOf("logreg_std");
    expect(chosen.equals(bytesOf("logreg_std", { weights: DEFAULT_N_BITS.weights }))).toBe(true);
    expect(chosen.equals(bytesOf("logreg_std", { weights: TABLE_CIRCUIT_WEIGHT_BITS }))).toBe(false);
  });
});
