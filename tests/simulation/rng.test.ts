// The simulation's keyed draws (backends/simulation/rng.ts): each read's numbers must be uniform
// and independent of its neighbours' (the next sample, element, draw number, op, seed), since the
// simulation's statistics rest on that, and a read's numbers must not depend on the reads made
// before it (the LLVM backend makes them in another order).
import { describe, expect, it } from "vitest";
import { opKey, ReadDraws, streamKey } from "../../backends/simulation/rng.js";

const N = 1 << 16;
/** One-sided standard normal quantile of 1e-6: every check below fails by chance with about that probability. */
const Z = 4.753;

/** Chi-square upper quantile for `k` degrees of freedom at the tail of Z (Wilson–Hilferty). */
const chiSquareBound = (k: number): number => k * (1 - 2 / (9 * k) + Z * Math.sqrt(2 / (9 * k))) ** 3;

function correlation(a: readonly number[], b: readonly number[]): number {
  const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const key = (seed: number, op: number) => opKey(streamKey(seed, 0), op);
/** Uniform draw `n` of element e of sample s of op `op` under `seed`. */
function uniform(seed: number, op: number, s: number, e: number, n = 0): number {
  const d = new ReadDraws(key(seed, op)).at(s, e);
  for (let i = 0; i < n; i++) d.nextU32();
  return d.next();
}

describe("keyed simulation draws", () => {
  it("are uniform: 2^16 reads' first draws (256 samples × 256 elements) and second draws in 64 bins each, within the chi-square bound", () => {
    for (const n of [0, 1]) {
      const bins = new Array<number>(64).fill(0);
      for (let s = 0; s < 256; s++) for (let e = 0; e < 256; e++) bins[Math.floor(uniform(7, 3, s, e, n) * 64)]!++;
      const expected = N / 64;
      const chi = bins.reduce((t, c) => t + (c - expected) ** 2 / expected, 0);
      expect(chi, `draw ${n}`).toBeLessThan(chiSquareBound(63));
    }
  });

  it("are uncorrelated with the neighbouring sample's, element's, draw number's, op's and seed's (|r| within Z/√N)", () => {
    const at = (i: number) => [i >> 8, i & 255] as const;
    const base = Array.from({ length: N }, (_, i) => uniform(1, 5, ...at(i)));
    const neighbours: Record<string, (i: number) => number> = {
      "next sample": (i) => uniform(1, 5, at(i)[0] + 1, at(i)[1]),
      "next element": (i) => uniform(1, 5, at(i)[0], at(i)[1] + 1),
      "next draw": (i) => uniform(1, 5, ...at(i), 1),
      "next op": (i) => uniform(1, 6, ...at(i)),
      "next seed": (i) => uniform(2, 5, ...at(i)),
    };
    for (const [what, f] of Object.entries(neighbours)) {
      const r = correlation(base, Array.from({ length: N }, (_, i) => f(i)));
      expect(Math.abs(r), what).toBeLessThan(Z / Math.sqrt(N));
    }
  });

  it("give a read the same numbers whatever reads were made before it", () => {
    const d = new ReadDraws(key(9, 2));
    const first = [d.at(40, 3).nextU32(), d.nextU32(), d.nextU32()];
    d.at(41, 3).nextU32();
    d.at(40, 4).nextU32();
    expect([d.at(40, 3).nextU32(), d.nextU32(), d.nextU32()]).toEqual(first);
    // And different reads get different numbers.
    expect(d.at(41, 3).nextU32()).not.toBe(first[0]);
  });
});
