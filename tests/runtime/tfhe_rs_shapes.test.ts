// The bench's tfhe-rs multi-bit shapes at other grouping factors (`bench pbs --sets tfhe-rs
// --grouping 2,3`): same shape with n a multiple of g, secure, compared with the same classic
// set, no published time, and a modelled p_error below 2^-40.
import { describe, expect, it } from "vitest";
import { regrouped, TFHE_RS_SHAPES } from "../../bench/tfhe_rs_sets.js";
import { noise } from "../../runtime/index.js";

const multiBit = TFHE_RS_SHAPES.filter((s) => s.classicOf !== undefined);

describe("regrouped tfhe-rs multi-bit shapes", () => {
  it("keeps the shape, rounds n up to a multiple of g and stays secure", () => {
    expect(multiBit.length).toBe(4);
    for (const s of multiBit) {
      for (const g of [2, 3]) {
        const r = regrouped(s, g);
        const a = s.params, b = r.params;
        expect(b.pbsGroupingFactor).toBe(g);
        expect(b.lweDimension % g).toBe(0);
        expect(b.lweDimension).toBeGreaterThanOrEqual(a.lweDimension);
        expect(b.lweDimension - a.lweDimension).toBeLessThan(g);
        expect([b.glweDimension, b.polynomialSize, b.pbsBaseLog, b.pbsLevel, b.ksBaseLog, b.ksLevel])
          .toEqual([a.glweDimension, a.polynomialSize, a.pbsBaseLog, a.pbsLevel, a.ksBaseLog, a.ksLevel]);
        expect(() => b.assertSecure()).not.toThrow();
        expect(r.classicOf).toBe(s.classicOf);
        expect(r.publishedMs).toBeUndefined();
        expect(r.set).toContain(s.set);
        // Still a sound lookup: within the p_error fhec's own derived sets are made for.
        expect(noise.predictedPError(b, r.precision, 1)).toBeLessThan(2 ** -40);
      }
    }
  });

  it("refuses a classic shape", () => {
    const classic = TFHE_RS_SHAPES.find((s) => s.classicOf === undefined)!;
    expect(() => regrouped(classic, 2)).toThrow(/not a multi-bit shape/);
  });
});
