// simulate's exact rounding with noisy reads against a direct emulation of the lowered circuit
// (passes/lower_tfhe.ts lowerExactRound) on the torus: y_0 = 2x + 2^k at P+1 bits, then per 1-bit
// step (bit i) t = y·2^(P−i) + 2^(P−1) read by a constant 1-bit table, y += ±2^i − 2^i; with a
// last step of d ≥ 2 bits, y + 2^P read at precision d + Q by the table floor(J/2^d) − 2^(Q−1),
// whose output is the result. Each read is the PBS's discrete rotation (round half up out of 2N,
// boxes starting half a box early, the upper half of the 2N rotations negated) on the phase plus
// Gaussian noise; bit by bit, the result y_k/2^(k+1) is rounded by its reader (nearest, a half
// either way). Given each step's noise, the two must give the same distribution of results for
// every input.
import { describe, expect, it } from "vitest";
import { simulate } from "../../backends/clear/index.js";
import { gauss } from "../../backends/simulation/draws.js";
import { ReadDraws } from "../../backends/simulation/rng.js";
import { denseAttr, floatAttr } from "../../ir/attributes.js";
import { f64, tensor } from "../../ir/types.js";
import { parse } from "../tfhe/helpers.js";

const P = 7;
const Q = 4;
const K = P - Q;
const N = 256; // polynomial size: rotations out of 2N
/** σ of each bit's read (fraction of the torus), as `crypto-params` records it. */
const STD = [0.12, 0.15, 0.1];
const XS = Array.from({ length: 24 }, (_, i) => -48 + 4 * i + (i % 4));
const RUNS = 4000;

/** The output of a PBS reading phase (fraction of the torus) through table T of 2^d entries. */
function pbsRead(phase: number, table: readonly number[]): number {
  const rotation = Math.floor(phase * 2 * N + 0.5);
  const box = (2 * N) / 2 / table.length;
  const shifted = (((rotation + box / 2) % (2 * N)) + 2 * N) % (2 * N);
  return shifted < N ? table[Math.floor(shifted / box)]! : -table[Math.floor((shifted - N) / box)]!;
}

/** The lowered circuit on the torus (fractions of 1), one run, with each step's σ. */
function emulate(x: number, digits: readonly number[], std: readonly number[], rng: ReadDraws): number {
  let y = 2 * x + 2 ** K; // integer at precision P + 1: the torus holds y·2^(62−P)/2^64
  const d = digits[digits.length - 1]!;
  for (let i = 0; i < digits.length - (d === 1 ? 0 : 1); i++) {
    const t = y * 2 ** (P - i) + 2 ** (P - 1);
    y = y + pbsRead(t / 2 ** (P + 2) + std[i]! * gauss(rng), [2 ** i, 2 ** i]) - 2 ** i;
  }
  if (d > 1) {
    const table = Array.from({ length: 2 ** (d + Q) }, (_, J) => Math.floor(J / 2 ** d) - 2 ** (Q - 1));
    return pbsRead((y + 2 ** P) / 2 ** (P + 2) + std[digits.length - 1]! * gauss(rng), table);
  }
  const v = y / 2 ** (K + 1);
  const fl = Math.floor(v);
  const rest = v - fl;
  return rest > 0.5 ? fl + 1 : rest === 0.5 ? fl + (rng.bit() ? 1 : 0) : fl;
}

/** Extraction steps and each step's σ: bit by bit, one 7-bit read, a 1-bit step then a 6-bit read. */
const PLANS: { digits: number[]; std: number[] }[] = [
  { digits: [1, 1, 1], std: STD },
  { digits: [3], std: [0.0035] },
  { digits: [1, 2], std: [0.12, 0.005] },
];

describe.each(PLANS)("exact rounding with noisy reads, extraction steps $digits", ({ digits, std }) => {
  it("simulate gives the lowered circuit's distribution of results for every input (per input and outcome, within 4.4 combined binomial sd)", () => {
    const last = digits[digits.length - 1]!;
    const attr = last === 1 ? "" : `, last_step_bits = ${last}`;
    const m = parse(`func.func @main(%x: tensor<1x!fhe.esint<${P}>>) -> tensor<1x!fhe.esint<${Q}>> {
  %r = fhe.round %x {method = "exact"${attr}} : (tensor<1x!fhe.esint<${P}>>) -> tensor<1x!fhe.esint<${Q}>>
  return %r : tensor<1x!fhe.esint<${Q}>>
}`);
    const round = m.funcs[0]!.body.ops.find((op) => op.name === "fhe.round")!;
    round.attributes.set("fhec.read_std", denseAttr(tensor([digits.length], f64), std));
    // The rotation offset, half a rotation: 1/(2N) in units of a 1-bit read (half the torus); a
    // rounding ending with a w-bit table records one per step, 2^(w−1)/N for the table.
    const w = last + Q;
    round.attributes.set("fhec.read_offset", last === 1 ? floatAttr(1 / (2 * N)) : denseAttr(tensor([digits.length], f64), digits.map((_, s) => (s === digits.length - 1 ? 2 ** (w - 1) / N : 1 / (2 * N)))));
    const data = XS.flatMap((x) => new Array<number>(RUNS).fill(x));
    const sim = simulate(m.funcs[0]!, [{ batch: data.length, shape: [1], data: Float64Array.from(data) }], { seed: 11 })[0]!.data;
    // The emulation's own draws: one read of its own key per (input, run), independent of simulate's.
    const rng = new ReadDraws(99);
    let misreads = 0;
    XS.forEach((x, xi) => {
      const exact = Math.floor((x + 2 ** (K - 1)) / 2 ** K);
      const count = (get: (r: number) => number) => {
        const results = Array.from({ length: RUNS }, (_, r) => get(r));
        return [-1, 0, 1].map((d) => results.filter((v) => v - exact === d).length);
      };
      const a = count((r) => sim[xi * RUNS + r]!);
      const b = count((r) => emulate(x, digits, std, rng.at(r, xi)));
      expect(a.reduce((s, c) => s + c, 0), `x = ${x}: results within one step`).toBe(RUNS);
      expect(b.reduce((s, c) => s + c, 0), `x = ${x}: emulated results within one step`).toBe(RUNS);
      misreads += RUNS - b[1]!;
      // 72 comparisons at 4.4 sd (two-sided 1e-5 each): a family-wise false alarm below 0.1%.
      for (let d = 0; d < 3; d++) {
        const p = (a[d]! + b[d]!) / (2 * RUNS);
        const sd = Math.sqrt((2 * p * (1 - p)) / RUNS);
        expect(Math.abs(a[d]! - b[d]!) / RUNS, `x = ${x}, outcome ${d - 1}: simulate ${a[d]}, emulated ${b[d]}`).toBeLessThanOrEqual(4.4 * sd + 1 / RUNS);
      }
    });
    // The comparison has power: the noise makes a good share of the results differ.
    expect(misreads / (XS.length * RUNS)).toBeGreaterThan(0.02);
  });
});
