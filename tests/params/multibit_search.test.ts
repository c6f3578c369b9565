// The parameter searches and the multi-bit PBS: grouping factors 2 and 3 are searched only under
// a measured multi-bit weight, a chosen multi-bit set meets every constraint by the multi-bit
// noise formula and is the cheapest against a brute force, and the partition search places
// multi-bit sets whose every read still meets its bound.
import { describe, expect, it } from "vitest";
import {
  blindRotationVariancePerKeyBit,
  bootstrapKeyBytes,
  checkSecurity,
  type CostWeights,
  keyswitchCost,
  keyswitchKeyBytes,
  keyswitchVariance,
  minNoiseStd,
  modulusSwitchVariance,
  multiBitBlindRotationVariance,
  noiseTerms,
  pbsCost,
  safeVariance,
  tableLookupCost,
} from "../../crypto-model/index.js";
import type { NoiseConstraint } from "../../passes/params/norms.js";
import { chooseParameters, constraintErrorProbabilities, type CryptoParameters } from "../../passes/params/optimizer.js";
import { predictedErrors, selectPartitionedParameters } from "../../passes/params/index.js";
import { groupingFactors } from "../../passes/params/search_space.js";
import { parse } from "../tfhe/helpers.js";
import { MIXED, serverKeyBytes } from "./partition_circuits.js";

const table = (precision: number, norm2: number, count = 1): NoiseConstraint => ({ kind: "table", precision, norm2, count });
const CONSTRAINTS: NoiseConstraint[] = [table(5, 12, 40), table(3, 200, 100), { kind: "output", precision: 8, norm2: 4, pbsNorm2: 4 }];
const P_ERROR = 2 ** -40;

/** Key products priced as an EPYC calibration does (about 5.8 FFT operations), multi-bit ones at `multiBitMac`. */
const weights = (multiBitMac?: number): CostWeights => ({ fft: 1, mac: 5.8, keyswitch: 1.06, ...(multiBitMac !== undefined ? { multiBitMac } : {}) });

function assertMeetsEveryConstraint(r: CryptoParameters, constraints: readonly NoiseConstraint[]): void {
  const sec = checkSecurity(r);
  expect(sec.secure, sec.report).toBe(true);
  expect(r.lweDimension % (r.pbsGroupingFactor ?? 1)).toBe(0);
  for (const p of constraintErrorProbabilities(r, constraints)) expect(p).toBeLessThanOrEqual(r.pError * (1 + 1e-9));
}

describe("grouping factors searched", () => {
  it("classic only under operation counts or a model without a multi-bit weight; 1, 2 and 3 with one, at k = 1", () => {
    expect(groupingFactors({ fft: 1, mac: 1, keyswitch: 1 }, 1)).toEqual([1]);
    expect(groupingFactors(weights(), 1)).toEqual([1]);
    expect(groupingFactors(weights(3), 1)).toEqual([1, 2, 3]);
    expect(groupingFactors(weights(3), 2)).toEqual([1]);
  });

  it("without a multi-bit weight the optimizer returns a classic set, as before", () => {
    const r = chooseParameters({ constraints: CONSTRAINTS, pError: P_ERROR, weights: weights() });
    expect(r.pbsGroupingFactor).toBeUndefined();
    assertMeetsEveryConstraint(r, CONSTRAINTS);
  });
});

describe("single-set search with a measured multi-bit weight", () => {
  const classic = chooseParameters({ constraints: CONSTRAINTS, pError: P_ERROR, weights: weights() });

  it("cheap multi-bit products: a multi-bit set, meeting every constraint, cheaper than the best classic set at the same weights", () => {
    const w = weights(1.5);
    const r = chooseParameters({ constraints: CONSTRAINTS, pError: P_ERROR, weights: w });
    expect([2, 3]).toContain(r.pbsGroupingFactor);
    assertMeetsEveryConstraint(r, CONSTRAINTS);
    // The noise the constraints were checked with is the multi-bit blind rotation's.
    expect(noiseTerms(r).bootstrap).toBe(multiBitBlindRotationVariance(r.lweDimension, r.glweDimension, r.polynomialSize, r.pbsBaseLog, r.pbsLevel, r.glweNoiseStd, r.pbsGroupingFactor!));
    expect(r.cost).toBeCloseTo(tableLookupCost(r, w), 6);
    expect(r.cost).toBeLessThan(tableLookupCost(classic, w));
  });

  it("dear multi-bit products (a key stream the transforms saved do not pay for): the classic set", () => {
    const r = chooseParameters({ constraints: CONSTRAINTS, pError: P_ERROR, weights: weights(40) });
    expect(r.pbsGroupingFactor).toBeUndefined();
    expect(r).toEqual(classic);
  });

  it("is the cheapest set at its (k, N) over g = 1, 2, 3 against a brute force over n and decompositions", () => {
    // Table reads only: the set's total is then exactly its lookups' cost.
    const tables = CONSTRAINTS.filter((c) => c.kind === "table");
    const w = weights(1.5);
    const r = chooseParameters({ constraints: tables, pError: P_ERROR, weights: w });
    expect([2, 3]).toContain(r.pbsGroupingFactor);
    const { glweDimension: k, polynomialSize: N } = r;
    const sg = minNoiseStd(k * N);
    const lookup = (n: number, pl: number, kl: number, g: number) => pbsCost(n, k, N, pl, g, w) + keyswitchCost(n, k, N, kl, w);
    let cheaper = 0;
    let checked = 0;
    for (const g of [1, 2, 3]) {
      for (let pl = 1; pl <= 3; pl++) {
        for (let pb = 1; pb * pl <= 52; pb++) {
          const perBit = blindRotationVariancePerKeyBit(k, N, pb, pl, sg, g);
          for (let n = Math.ceil(450 / g) * g; n <= 2047 && lookup(n, pl, 1, g) < r.cost; n += g) {
            const br = n * perBit;
            const ms = modulusSwitchVariance(n, N);
            for (let kl = 1; kl <= 12 && lookup(n, pl, kl, g) < r.cost; kl++) {
              for (let kb = 1; kb * kl <= 64; kb++) {
                const ks = keyswitchVariance(k * N, kb, kl, minNoiseStd(n));
                checked++;
                if (tables.every((c) => c.norm2 * br + ks + ms <= safeVariance(c.precision, P_ERROR))) cheaper++;
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(cheaper).toBe(0);
  });
});


describe("single-set search under a key budget", () => {
  // Bootstrapping + keyswitching key bytes of a chosen set, as the server holds them.
  const keyBytes = (r: CryptoParameters) =>
    bootstrapKeyBytes(r) + keyswitchKeyBytes(r.glweDimension * r.polynomialSize, r.lweDimension, r.ksBaseLog, r.ksLevel, r.lweNoiseStd);

  it("multi-bit keys over the budget: a dearer set whose keys fit, every constraint still met; an unreachable budget keeps the cheapest set", () => {
    const w = weights(1.5);
    const free = chooseParameters({ constraints: CONSTRAINTS, pError: P_ERROR, weights: w });
    expect(free.pbsGroupingFactor).toBeGreaterThan(1);
    const budget = Math.floor(0.75 * keyBytes(free));
    const fitted = chooseParameters({ constraints: CONSTRAINTS, pError: P_ERROR, weights: w, maxKeyBytes: budget });
    expect(keyBytes(fitted)).toBeLessThanOrEqual(budget);
    expect(fitted.cost).toBeGreaterThan(free.cost);
    assertMeetsEveryConstraint(fitted, CONSTRAINTS);
    const unreachable = chooseParameters({ constraints: CONSTRAINTS, pError: P_ERROR, weights: w, maxKeyBytes: 1 });
    expect(unreachable).toEqual(free);
  });
});

describe("partition search with a measured multi-bit weight", () => {
  it("places multi-bit sets; every set is secure and every read meets its bound by the multi-bit noise", () => {
    const sel = selectPartitionedParameters(parse(MIXED), { pError: P_ERROR, weights: weights(1.5) });
    const p = sel.partitioned;
    expect(p.partitions.length).toBeGreaterThanOrEqual(2);
    expect(p.partitions.some((s) => (s.pbsGroupingFactor ?? 1) > 1)).toBe(true);
    for (const s of p.partitions) {
      expect(checkSecurity(s).secure).toBe(true);
      expect(s.lweDimension % (s.pbsGroupingFactor ?? 1)).toBe(0);
    }
    for (const q of predictedErrors(sel.constraints, p.placements, p.partitions, p.conversions)) expect(q).toBeLessThanOrEqual(P_ERROR * (1 + 1e-9));
    // Classic sets are priced the same under both weights: the multi-bit choice costs less.
    const classicOnly = selectPartitionedParameters(parse(MIXED), { pError: P_ERROR, weights: weights() }).partitioned;
    expect(classicOnly.partitions.every((s) => s.pbsGroupingFactor === undefined)).toBe(true);
    expect(p.totalCost).toBeLessThan(classicOnly.totalCost);
  });

  it("a key budget that only rules out the multi-bit sets: keys fit, and the budget is not reported as binding the circuit (its classic keys fit)", () => {
    const multi = selectPartitionedParameters(parse(MIXED), { pError: P_ERROR, weights: weights(1.5) }).partitioned;
    const classic = selectPartitionedParameters(parse(MIXED), { pError: P_ERROR, weights: weights() }).partitioned;
    const [mb, cb] = [serverKeyBytes(multi), serverKeyBytes(classic)];
    expect(cb).toBeLessThan(mb);
    const budget = (mb + cb) / 2;
    const sel = selectPartitionedParameters(parse(MIXED), { pError: P_ERROR, weights: weights(1.5), maxKeyBytes: budget });
    const p = sel.partitioned;
    expect(serverKeyBytes(p)).toBeLessThanOrEqual(budget);
    for (const q of predictedErrors(sel.constraints, p.placements, p.partitions, p.conversions)) expect(q).toBeLessThanOrEqual(P_ERROR * (1 + 1e-9));
    // compile narrows tables when the cheapest keys are over the budget: here they are the classic ones, which fit.
    expect(p.cheapestKeyBytes).toBeDefined();
    expect(p.cheapestKeyBytes!).toBeLessThanOrEqual(budget);
    // Without the multi-bit weight, a budget under the classic keys binds as before.
    const tight = selectPartitionedParameters(parse(MIXED), { pError: P_ERROR, weights: weights(), maxKeyBytes: 0.95 * cb }).partitioned;
    expect(tight.cheapestKeyBytes).toBeGreaterThan(0.95 * cb);
  });
});
