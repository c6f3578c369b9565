// The comparison plan is exact: for every input x in range and every jump j of the rows, the
// rounded value round((x + c − j) / 2^k) (half up, the `disable` semantics) is ≥ t exactly when
// x ≥ j; y = x + c − j fits the group's type and the rounded value fits its 1–2-bit table, for
// both rounding methods (approximate may read floor instead of round, which must fit too).
import { describe, expect, it } from "vitest";
import { roundExact } from "../../passes/bitwidth.js";
import { comparisonOffset, MAX_COMPARISON_BITS, planComparison, stepOf } from "../../passes/comparisons.js";
import { intRange } from "../../ir/types.js";

describe("stepOf", () => {
  it("finds the single jump of a step, its two values, and constant rows", () => {
    const row = [5, 5, 5, -1, -1, -1];
    expect(stepOf((x) => row[x]!, { lo: 0, hi: 5 })).toEqual({ j: 3, a: 5, b: -1 });
    expect(stepOf((x) => row[x]!, { lo: 3, hi: 5 })).toEqual({ j: 3, a: -1, b: -1 });
  });
  it("rejects a row that changes value twice", () => {
    const row = [0, 1, 1, 0];
    expect(stepOf((x) => row[x]!, { lo: 0, hi: 3 })).toBeUndefined();
    expect(stepOf((x) => row[x]!, { lo: 1, hi: 3 })).toEqual({ j: 3, a: 1, b: 0 });
  });
});

describe("planComparison", () => {
  for (const method of ["exact", "approximate"] as const) {
    it(`${method}: exhaustive over inputs of 2–6 bits, signed and unsigned, every jump range`, () => {
      let plans = 0;
      let bad: string | undefined;
      for (let width = 2; width <= 6; width++) {
        for (const signed of [false, true]) {
          const full = intRange(width, signed);
          for (const reach of [{ lo: full.min, hi: full.max }, { lo: full.min + 1, hi: full.max - 2 }]) {
            // Jumps strictly inside the reachable range; every (jMin, jMax) pair up to 5 bits, a stride above.
            const stride = width <= 5 ? 1 : 3;
            for (let jMin = reach.lo + 1; jMin <= reach.hi; jMin += stride) {
              for (let jMax = jMin; jMax <= reach.hi; jMax += stride) {
                const plan = planComparison({ kind: "eint", width, signed }, reach, jMin, jMax, method);
                if (!plan || plan.q > MAX_COMPARISON_BITS || plan.q >= width || plan.width < width) {
                  bad ??= `width ${width} signed ${signed} jumps ${jMin}..${jMax}: plan ${JSON.stringify(plan)}`;
                  continue;
                }
                const { k, q, t } = plan;
                const c = comparisonOffset(plan!);
                const yr = intRange(plan!.width, plan!.signed);
                const rr = intRange(q, plan!.signed);
                // Plain checks in the hot loop (expect() per value is slow); the first failure is reported.
                for (let j = jMin; j <= jMax && bad === undefined; j++) {
                  for (let x = reach.lo; x <= reach.hi; x++) {
                    const y = x + c - j;
                    const r = roundExact(y, k);
                    const low = method === "approximate" ? Math.floor(y / 2 ** k) : r;
                    const fits = y >= yr.min && y <= yr.max && r <= rr.max && low >= rr.min;
                    if (!fits || r >= t !== x >= j) {
                      bad = `width ${width} signed ${signed} x ${x} j ${j}: y ${y} rounded ${r} (t ${t}, k ${k}, q ${q}, W ${plan!.width})`;
                      break;
                    }
                  }
                }
                plans++;
              }
            }
          }
        }
      }
      expect(bad).toBeUndefined();
      expect(plans).toBeGreaterThan(1000);
    });
  }

  it("prefers the smallest table for approximate rounding and fewer removed bits for exact", () => {
    const x = { kind: "eint" as const, width: 8, signed: false };
    const approx = planComparison(x, { lo: 0, hi: 255 }, 100, 100, "approximate")!;
    const exact = planComparison(x, { lo: 0, hi: 255 }, 100, 100, "exact")!;
    expect(approx.q).toBe(1);
    expect(exact.q).toBe(2);
    expect(exact.k).toBe(approx.k - 1);
  });
});
