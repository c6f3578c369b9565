// Parameter sets: security curve, correctness under the noise model, naming rules.
import { describe, expect, it } from "vitest";
import * as rt from "../../runtime/index.js";
import {
  checkSecurity, CONCRETE_P4, CONCRETE_P5, CONCRETE_P8, TARGET_P_ERROR, GATE_N630, minLog2Std,
  noise, parametersForPrecision, SECURE_PARAMETER_SETS, TfheParameters,
} from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";

describe("128-bit security curve", () => {
  it("σ/q = max(2^(a·d+b), 2^(2−64))", () => {
    expect(minLog2Std(801)).toBeCloseTo(-0.025696778711484593 * 801 + 2.675931372549016, 12);
    expect(minLog2Std(2048)).toBeCloseTo(-49.9508, 3);
    expect(minLog2Std(16384)).toBe(-62);
  });

  it("Concrete's reference sets have the published geometry and sit exactly on the curve", () => {
    expect(CONCRETE_P4.raw()).toMatchObject({ lweDimension: 801, glweDimension: 2, polynomialSize: 1024, pbsBaseLog: 23,
      pbsLevel: 1, ksBaseLog: 4, ksLevel: 3 });
    expect(CONCRETE_P5.raw()).toMatchObject({ lweDimension: 783, glweDimension: 1, polynomialSize: 2048, pbsBaseLog: 23,
      pbsLevel: 1, ksBaseLog: 3, ksLevel: 5 });
    expect(CONCRETE_P8.raw()).toMatchObject({ lweDimension: 1006, glweDimension: 1, polynomialSize: 16384, pbsBaseLog: 15,
      pbsLevel: 2, ksBaseLog: 4, ksLevel: 5 });
    for (const p of [CONCRETE_P4, CONCRETE_P5, CONCRETE_P8]) {
      const r = checkSecurity(p);
      expect(r.secure).toBe(true);
      expect(r.lwe.log2Std).toBeCloseTo(r.lwe.requiredLog2Std, 9);
      expect(r.glwe.log2Std).toBeCloseTo(r.glwe.requiredLog2Std, 9);
    }
  });

  it("flags noise below the curve, dimensions below 450, and names the reason", () => {
    const lowNoise = new TfheParameters({ ...CONCRETE_P4.raw(), lweNoiseStd: CONCRETE_P4.lweNoiseStd / 2 });
    const r = checkSecurity(lowNoise);
    expect(r.secure).toBe(false);
    expect(r.lwe.reason).toMatch(/below the required/);
    expect(r.glwe.secure).toBe(true);
    expect(() => lowNoise.assertSecure()).toThrow(/not 128-bit secure/);
    const small = checkSecurity(INSECURE_TEST_P2);
    expect(small.secure).toBe(false);
    expect(small.lwe.reason).toMatch(/below 450/);
  });
});

describe("published parameter sets", () => {
  it("every set the runtime exports carries its export name and passes the curve (test-only sets live in tests/helpers)", () => {
    const all = Object.entries(rt).filter(([, v]) => v instanceof TfheParameters) as [string, TfheParameters][];
    expect(all.length).toBeGreaterThanOrEqual(9);
    for (const [name, p] of all) {
      expect(p.name).toBe(name);
      expect(p.security().secure, `${name} must be secure`).toBe(true);
    }
  });

  it("parametersForPrecision returns secure sets for p = 1..8 and never an INSECURE one", () => {
    for (let p = 1; p <= 8; p++) {
      const s = parametersForPrecision(p);
      expect(s.security().secure).toBe(true);
      expect(s.name).not.toMatch(/INSECURE/);
      expect(s.maxPrecision).toBeGreaterThanOrEqual(p);
    }
    expect(() => parametersForPrecision(9)).toThrow(/no parameter set/);
  });

  it("each set meets its design p_error at its precision under the model of docs/tfhe.md (ν = 1)", () => {
    for (const [prec, p] of Object.entries(SECURE_PARAMETER_SETS)) {
      const target = TARGET_P_ERROR[p.name!]!;
      expect(target).toBeDefined();
      // Concrete's sets are optimised to the bound; allow 2% slack for their rounding of n.
      expect(noise.predictedPError(p, Number(prec), 1)).toBeLessThan(target * 1.02);
    }
  });

  it("the model reproduces Concrete's table: with a plain modulus switch its sets sit near p_error 6.3e-5", () => {
    for (const [p, prec] of [[CONCRETE_P4, 4], [CONCRETE_P5, 5], [CONCRETE_P8, 8]] as const) {
      const pe = noise.errorProbability(prec, noise.tableInputVariance(p, 1, "plain"));
      expect(pe).toBeGreaterThan(3e-5);
      expect(pe).toBeLessThan(6.5e-5);
      // fhec's switch is centred: the same set reads with less noise.
      expect(noise.predictedPError(p, prec, 1)).toBeLessThan(pe / 2);
    }
  });

  it("the gate-bootstrapping comparison set is secure and correct for 1-bit messages", () => {
    expect(GATE_N630.security().secure).toBe(true);
    expect(noise.predictedPError(GATE_N630, 1, 1)).toBeLessThan(2 ** -40);
  });
});

describe("noise formulas", () => {
  it("erfc and its inverse", () => {
    expect(noise.erfc(0)).toBe(1);
    expect(noise.erfc(1)).toBeCloseTo(0.157299207050285, 13);
    expect(noise.erfc(3)).toBeCloseTo(2.20904969985854e-5, 17);
    expect(noise.erfc(6) / 2.15197367124989e-17).toBeCloseTo(1, 10);
    expect(noise.kappa(6.3e-5)).toBeCloseTo(4.0, 1);
    for (const y of [0.5, 1e-3, 6.3e-5, 2 ** -40, 1e-100]) expect(noise.erfc(noise.erfcInv(y)) / y).toBeCloseTo(1, 9);
  });

  it("keyswitch variance for CONCRETE_P4 by hand: kN·[1/(24B^2ℓ) + ℓ(B²+2)/12·σ²] (1/q² terms negligible)", () => {
    const v = noise.keyswitchOutputVariance(CONCRETE_P4);
    const byHand = 2048 * (1 / (24 * 2 ** 24) + ((3 * (256 + 2)) / 12) * CONCRETE_P4.lweNoiseStd ** 2);
    expect(v / byHand).toBeCloseTo(1, 12);
  });

  it("modulus switch and blind rotation are monotone in their dimensions", () => {
    expect(noise.modulusSwitchVariance(900, 1024)).toBeGreaterThan(noise.modulusSwitchVariance(800, 1024));
    expect(noise.blindRotationVariance(900, 1, 2048, 23, 1, 2 ** -50))
      .toBeGreaterThan(noise.blindRotationVariance(800, 1, 2048, 23, 1, 2 ** -50));
    expect(noise.tableLookupCost(CONCRETE_P8)).toBeGreaterThan(noise.tableLookupCost(CONCRETE_P4));
  });
});

describe("parameter hash", () => {
  it("the TypeScript hash equals the addon's for every set", async () => {
    const { native } = await import("../../runtime/native.js");
    for (const p of [...Object.values(SECURE_PARAMETER_SETS), INSECURE_TEST_P2, GATE_N630]) {
      expect(p.hash()).toBe(native().paramsHash(p.raw()));
    }
  });
});
