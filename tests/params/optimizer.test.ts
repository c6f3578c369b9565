// The parameter optimizer: Concrete's reference sets, security and correctness of every choice,
// optimality against a brute force, errors, global p_error and circuits without tables.
import { describe, expect, it } from "vitest";
import { CompileError } from "../../ir/diagnostics.js";
import * as rt from "../../crypto-model/index.js";
import {
  errorProbability,
  externalProductVariance,
  keyswitchCost,
  keyswitchVariance,
  keyswitchWordCost,
  modulusSwitchVariance,
  noiseTerms,
  pbsCost,
  perPbsFromGlobal,
  safeVariance,
} from "../../crypto-model/index.js";
import type { NoiseConstraint } from "../../passes/params/norms.js";
import { chooseParameters, constraintErrorProbabilities, type CryptoParameters, DEFAULT_P_ERROR } from "../../passes/params/optimizer.js";
import { checkSecurity, minNoiseStd } from "../../crypto-model/index.js";
import { prng } from "../clear/gen.js";
import { firstDiagnosticOf } from "../helpers/compile_error.js";

const table = (precision: number, norm2: number, extra: Partial<NoiseConstraint> = {}): NoiseConstraint => ({ kind: "table", precision, norm2, ...extra });

const CONCRETE = [
  { p: 4, k: 2, N: 1024, n: 801, pbs: [23, 1], ks: [4, 3] },
  { p: 5, k: 1, N: 2048, n: 783, pbs: [23, 1], ks: [3, 5] },
  { p: 8, k: 1, N: 16384, n: 1006, pbs: [15, 2], ks: [4, 5] },
] as const;

function assertValid(r: CryptoParameters, constraints: readonly NoiseConstraint[], modulusSwitch: rt.ModulusSwitchKind = "centred"): void {
  const sec = checkSecurity(r);
  expect(sec.secure, sec.report).toBe(true);
  expect(r.lweNoiseStd).toBe(minNoiseStd(r.lweDimension));
  expect(r.glweNoiseStd).toBe(minNoiseStd(r.glweDimension * r.polynomialSize));
  expect(r.pbsBaseLog * r.pbsLevel).toBeLessThanOrEqual(64);
  expect(r.ksBaseLog * r.ksLevel).toBeLessThanOrEqual(64);
  const probs = constraintErrorProbabilities(r, constraints, modulusSwitch);
  for (const p of probs) expect(p).toBeLessThanOrEqual(r.pError * (1 + 1e-9));
  expect(r.pErrorPerPbs).toBeCloseTo(Math.max(0, ...probs), 20);
}

// Concrete's sets were sized for a plain modulus switch; with that switch the search lands on them.
// (fhec's runtime centres the switch, which lets the same reads run on smaller sets: below.)
describe("Concrete's reference sets (p_error 6.3e-5, ν = 1)", () => {
  for (const ref of CONCRETE) {
    it(`p = ${ref.p}`, () => {
      const r = chooseParameters({ constraints: [table(ref.p, 1)], pError: 6.3e-5, modulusSwitch: "plain" });
      expect(r.glweDimension).toBe(ref.k);
      expect(r.polynomialSize).toBe(ref.N);
      expect(Math.abs(r.lweDimension - ref.n)).toBeLessThanOrEqual(1);
      expect([r.pbsBaseLog, r.pbsLevel]).toEqual(ref.pbs);
      expect([r.ksBaseLog, r.ksLevel]).toEqual(ref.ks);
      expect(r.precision).toBe(ref.p);
      expect(r.maxNorm2).toBe(1);
      expect(r.pError).toBe(6.3e-5);
      // runtime's model agrees that the choice is correct.
      expect(rt.meetsCorrectness(r, ref.p, 1, 6.3e-5, "plain")).toBe(true);
      assertValid(r, [table(ref.p, 1)], "plain");
    });
  }

  it("the centred modulus switch runs the same reads on cheaper sets, each correct under its own model", () => {
    for (const ref of CONCRETE) {
      const plain = chooseParameters({ constraints: [table(ref.p, 1)], pError: 6.3e-5, modulusSwitch: "plain" });
      const centred = chooseParameters({ constraints: [table(ref.p, 1)], pError: 6.3e-5 });
      assertValid(centred, [table(ref.p, 1)]);
      expect(rt.meetsCorrectness(centred, ref.p, 1, 6.3e-5)).toBe(true);
      expect(centred.cost).toBeLessThan(plain.cost);
    }
  });

  // The cost of one lookup written out from docs/tfhe.md, by hand, for the two sets chosen above (plain switch):
  //   PBS: n·[(k+1)ℓ(N·log2 N + N) + (k+1)(N·log2 N + N) + (k+1)²ℓN]
  //   keyswitch (D = kN inputs, ℓ_KS levels, key rows of n + 1 words): D·ℓ_KS digit extractions,
  //   then per digit n + 1 multiplications and n + 1 additions, less the first row's additions,
  //   plus one: D·ℓ_KS + 2·D·ℓ_KS·(n + 1) − (n + 1) + 1, the docs' ≈ 2·D·ℓ_KS·(n + 1).
  const handCosts = [
    {
      p: 4, n: 802, k: 2, N: 1024, l: 1, lKs: 3,
      // N·log2 N + N = 1024·10 + 1024 = 11264; PBS = 802·(3·1·11264 + 3·11264 + 9·1·1024) = 802·76800
      pbs: 61_593_600,
      // D·ℓ_KS = 2048·3 = 6144; keyswitch = 6144 + 2·6144·803 − 803 + 1
      keyswitch: 9_872_606,
    },
    {
      p: 5, n: 783, k: 1, N: 2048, l: 1, lKs: 5,
      // N·log2 N + N = 2048·11 + 2048 = 24576; PBS = 783·(2·1·24576 + 2·24576 + 4·1·2048) = 783·106496
      pbs: 83_386_368,
      // D·ℓ_KS = 2048·5 = 10240; keyswitch = 10240 + 2·10240·784 − 784 + 1
      keyswitch: 16_065_777,
    },
  ];
  for (const c of handCosts) {
    it(`p = ${c.p} (n = ${c.n}, k = ${c.k}, N = ${c.N}, ℓ = ${c.l}, ℓ_KS = ${c.lKs}) costs ${c.pbs} + ${c.keyswitch} operations`, () => {
      const r = chooseParameters({ constraints: [table(c.p, 1)], pError: 6.3e-5, modulusSwitch: "plain" });
      expect([r.lweDimension, r.glweDimension, r.polynomialSize, r.pbsLevel, r.ksLevel]).toEqual([c.n, c.k, c.N, c.l, c.lKs]);
      expect(r.cost).toBe(c.pbs + c.keyswitch);
    });
  }

  it("with the literal kN·ℓ_KS·(n+1) keyswitch term, the model would prefer smaller n and more KS levels", () => {
    // Documented difference (see crypto-model/noise.ts keyswitchCost): the chosen p = 4 set vs the
    // cheapest feasible set under one operation per key word at the same (k, N).
    const r = chooseParameters({ constraints: [table(4, 1)], pError: 6.3e-5, modulusSwitch: "plain" });
    const design = (n: number, pl: number, kl: number) => pbsCost(n, 2, 1024, pl) + keyswitchWordCost(n, 2, 1024, kl);
    const alt = { n: 742, pb: 23, pl: 1, kb: 3, kl: 5 };
    const v = alt.n * externalProductVariance(2, 1024, alt.pb, alt.pl, minNoiseStd(2048)) + keyswitchVariance(2048, alt.kb, alt.kl, minNoiseStd(alt.n)) + modulusSwitchVariance(alt.n, 1024, "plain");
    expect(v).toBeLessThanOrEqual(safeVariance(4, 6.3e-5));
    expect(design(alt.n, 1, 5)).toBeLessThan(design(r.lweDimension, 1, r.ksLevel));
    expect(pbsCost(alt.n, 2, 1024, 1) + keyswitchCost(alt.n, 2, 1024, 5)).toBeGreaterThan(r.cost);
  });
});

describe("every choice is secure and correct", () => {
  it("random constraint lists", () => {
    const rnd = prng(20241121);
    let checked = 0;
    for (let trial = 0; trial < 40; trial++) {
      const m = 1 + Math.floor(rnd() * 6);
      const constraints: NoiseConstraint[] = [];
      for (let i = 0; i < m; i++) {
        const kind = (["table", "table", "round-bit", "output"] as const)[Math.floor(rnd() * 4)]!;
        const precision = kind === "round-bit" ? 1 : 1 + Math.floor(rnd() * 7);
        const norm2 = kind === "round-bit" ? 4 ** Math.floor(rnd() * 6) * (1 + Math.floor(rnd() * 4)) : Math.round(2 ** (rnd() * 10));
        const fresh = Math.floor(rnd() * 3) === 0 ? Math.round(norm2 * rnd()) : 0;
        constraints.push({ kind, precision, norm2, pbsNorm2: norm2 - fresh, freshNorm2: fresh, count: 1 + Math.floor(rnd() * 100), op: "fhe.test", description: `c${i}` });
      }
      const pError = [2 ** -40, 6.3e-5, 2 ** -20][Math.floor(rnd() * 3)]!;
      let r: CryptoParameters;
      try {
        r = chooseParameters({ constraints, pError });
      } catch (e) {
        expect(e).toBeInstanceOf(CompileError);
        expect((e as CompileError).diagnostics[0]!.code).toBe("E0602");
        continue;
      }
      assertValid(r, constraints);
      // Each table constraint also passes the runtime's correctness check (ν² counted as PBS outputs).
      for (const c of constraints) {
        if (c.kind !== "output" && !c.freshNorm2) expect(rt.meetsCorrectness(r, c.precision, c.norm2, pError * (1 + 1e-9))).toBe(true);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(25);
  });

  it("is the cheapest set at its (k, N) against a brute force over n and decompositions", () => {
    const constraints = [table(6, 3), table(3, 40), { kind: "output", precision: 9, norm2: 2, pbsNorm2: 2 } as NoiseConstraint];
    const pError = 2 ** -40;
    const r = chooseParameters({ constraints, pError });
    assertValid(r, constraints);
    const { glweDimension: k, polynomialSize: N } = r;
    const sg = minNoiseStd(k * N);
    // Every n up to the chosen one, every PBS (β, ℓ ≤ 3) and keyswitch (β, ℓ ≤ 10) decomposition.
    let cheaper = 0;
    for (let n = 450; n <= r.lweDimension; n++) {
      const ms = modulusSwitchVariance(n, N);
      const ksVar: number[][] = [];
      for (let kl = 1; kl <= 10; kl++) {
        ksVar[kl] = [];
        for (let kb = 1; kb * kl <= 64; kb++) ksVar[kl]![kb] = keyswitchVariance(k * N, kb, kl, minNoiseStd(n));
      }
      for (let pl = 1; pl <= 3; pl++) {
        for (let pb = 1; pb * pl <= 64; pb++) {
          const br = n * externalProductVariance(k, N, pb, pl, sg);
          // The output is read after the keyswitch that compacts it (no modulus switch).
          const budget = Math.min(safeVariance(6, pError) - 3 * br - ms, safeVariance(3, pError) - 40 * br - ms, safeVariance(9, pError) - 2 * br);
          for (let kl = 1; kl <= 10; kl++) {
            if (pbsCost(n, k, N, pl) + keyswitchCost(n, k, N, kl) >= r.cost) continue;
            for (let kb = 1; kb * kl <= 64; kb++) if (ksVar[kl]![kb]! <= budget) cheaper++;
          }
        }
      }
    }
    expect(cheaper).toBe(0);
  });

  it("precision and maxNorm2 name the most demanding constraint", () => {
    const r = chooseParameters({ constraints: [table(3, 1), table(5, 20), table(2, 1000), { kind: "output", precision: 6, norm2: 1 }] });
    expect(r.pError).toBe(DEFAULT_P_ERROR);
    const probs = constraintErrorProbabilities(r, [table(3, 1), table(5, 20), table(2, 1000), { kind: "output", precision: 6, norm2: 1 }]);
    const worst = probs.indexOf(Math.max(...probs));
    expect([r.precision, r.maxNorm2]).toEqual([[3, 1], [5, 20], [2, 1000], [6, 1]][worst]);
  });
});

describe("errors", () => {
  it("an impossible constraint gives E0602 naming the op, its location, precision and norm", () => {
    const loc = { kind: "file", file: "model.mlir", line: 12, col: 8 } as const;
    const constraints: NoiseConstraint[] = [
      table(3, 2, { op: "fhe.apply_lookup_table", description: "3-bit table input" }),
      table(20, 1e6, { op: "fhe.apply_lookup_table", loc, description: "20-bit table input at model.mlir:12:8" }),
    ];
    const d = firstDiagnosticOf(() => chooseParameters({ constraints }));
    expect(d.code).toBe("E0602");
    expect(d.opName).toBe("fhe.apply_lookup_table");
    expect(d.loc).toEqual(loc);
    expect(d.message).toMatch(/20-bit table input at model\.mlir:12:8/);
    expect(d.message).toMatch(/20 bits with ν² = 1000000/);
    expect(d.message).toMatch(/roundingThresholdBits/);
  });

  it("names the unsatisfiable one even when another is more demanding by norm·4^p but satisfiable", () => {
    const constraints: NoiseConstraint[] = [
      table(7, 1, { op: "fhe.apply_lookup_table", description: "7-bit" }),
      { kind: "output", precision: 40, norm2: 1, op: "func.return", description: "output #0 of @main" },
    ];
    expect(() => chooseParameters({ constraints })).toThrow(/output #0 of @main .*round wide results too/);
    const bit: NoiseConstraint = { kind: "round-bit", precision: 1, norm2: 1e30, op: "fhe.round", description: "bit 0 of the exact rounding" };
    expect(() => chooseParameters({ constraints: [bit] })).toThrow(/bit 0 of the exact rounding .*use approximate rounding/);
  });

  it("rejects malformed constraints and probabilities", () => {
    expect(() => chooseParameters({ constraints: [table(0, 1)] })).toThrow(RangeError);
    expect(() => chooseParameters({ constraints: [table(3, NaN)] })).toThrow(RangeError);
    expect(() => chooseParameters({ constraints: [table(3, 1)], pError: 0 })).toThrow(RangeError);
  });
});

describe("p_error options", () => {
  it("globalPError turns into a per-PBS bound over the constraints' counts", () => {
    const constraints = [table(4, 3, { count: 500 }), table(6, 1, { count: 20 }), { kind: "output", precision: 6, norm2: 1, count: 10 } as NoiseConstraint];
    const r = chooseParameters({ constraints, globalPError: 1e-3 });
    expect(r.pError).toBeCloseTo(perPbsFromGlobal(1e-3, 530), 20);
    assertValid(r, constraints);
    // Both given: the stricter per-PBS bound wins.
    expect(chooseParameters({ constraints, globalPError: 1e-3, pError: 1e-9 }).pError).toBe(1e-9);
    expect(chooseParameters({ constraints, globalPError: 1e-3, pError: 0.5 }).pError).toBeCloseTo(perPbsFromGlobal(1e-3, 530), 20);
    // A looser bound is never more expensive.
    expect(chooseParameters({ constraints, pError: 2 ** -20 }).cost).toBeLessThanOrEqual(chooseParameters({ constraints, pError: 2 ** -40 }).cost);
  });
});

describe("circuits without tables", () => {
  it("outputs only: the smallest kN whose fresh noise passes, a complete secure set, cost 0", () => {
    const constraints: NoiseConstraint[] = [{ kind: "output", precision: 12, norm2: 5000, freshNorm2: 5000, count: 3 }];
    const r = chooseParameters({ constraints });
    expect(r.cost).toBe(0);
    assertValid(r, constraints);
    const kN = r.glweDimension * r.polynomialSize;
    // Every smaller power-of-two multiple kN' ≥ 450 fails the output.
    for (let k = 1; k <= 6; k++) {
      for (let logN = 8; logN <= 17; logN++) {
        const d = k * 2 ** logN;
        if (d >= 450 && d < kN) expect(5000 * minNoiseStd(d) ** 2).toBeGreaterThan(safeVariance(12, DEFAULT_P_ERROR));
      }
    }
    // The keys still run a 1-bit PBS correctly.
    expect(rt.meetsCorrectness(r, 1, 1, DEFAULT_P_ERROR)).toBe(true);
    expect(r.precision).toBe(12);
    expect(r.maxNorm2).toBe(5000);
    // Without any PBS the outputs stay under the big key: no keyswitch before decryption.
    expect(r.pErrorPerPbs).toBeCloseTo(errorProbability(12, 5000 * noiseTerms(r).fresh), 25);
  });

  it("no constraint at all still gives a secure set", () => {
    const r = chooseParameters({ constraints: [] });
    assertValid(r, []);
    // kN = 512 (the smallest valid GLWE key) is too noisy for any PBS; 1024 is the smallest whose
    // keys also run a 1-bit PBS, so the artifact's keys are usable.
    expect(r.glweDimension * r.polynomialSize).toBe(1024);
    expect(rt.meetsCorrectness(r, 1, 1, DEFAULT_P_ERROR)).toBe(true);
  });

  it("an output too wide to decrypt is an E0602", () => {
    expect(() => chooseParameters({ constraints: [{ kind: "output", precision: 60, norm2: 1, op: "func.return", description: "output #0 of @f" }] })).toThrow(
      /E0602: .*output #0 of @f/,
    );
  });
});

describe("cost weights (a measured time model)", () => {
  // gemm_tree's 1-bit extraction reads at 4-bit inputs: ν² = 128 PBS units, 18 per sample.
  const reads: NoiseConstraint[] = [{ kind: "round-bit", precision: 1, norm2: 128, pbsNorm2: 128, freshNorm2: 0, count: 18 }];
  it("operation counts take k = 6, N = 256; key products priced as measured (6.6 FFT operations each) take a smaller k", () => {
    const counted = chooseParameters({ constraints: reads });
    expect([counted.glweDimension, counted.polynomialSize]).toEqual([6, 256]);
    const timed = chooseParameters({ constraints: reads, weights: { fft: 1, mac: 6.6, keyswitch: 1 } });
    expect(timed.glweDimension).toBeLessThan(counted.glweDimension);
    const time = (p: CryptoParameters) => pbsCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsLevel, 1, { fft: 1, mac: 6.6, keyswitch: 1 }) +
      keyswitchCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.ksLevel, { fft: 1, mac: 6.6, keyswitch: 1 });
    expect(time(timed)).toBeLessThan(time(counted));
  });
});
