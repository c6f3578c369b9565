// Whether an encrypted run is a plausible draw of what `simulate` predicts, for circuits with
// approximate reads (rounding, windows), where FHE may legitimately differ from the exact circuit
// near ties. The statistic is the distance Σ|y − y_disable| over every output element; `simulate`
// draws it `draws` times (seeds 0…draws−1, each a fresh key set's noise). If FHE follows the noise
// model, its distance is exchangeable with the draws, so it falls outside their range with
// probability at most 2/(draws + 1): 0.1% for the default 1999 draws. A wrong circuit, a wrong
// decoding or noise far beyond the model lands outside.
import { expect } from "vitest";
import type { FheCircuit } from "../../compiler/circuit.js";
import type { NDArray } from "../../ir/tensor.js";

/** Σ |a − b| over every element of every output. */
export function distance(a: readonly NDArray[], b: readonly NDArray[]): number {
  let d = 0;
  a.forEach((t, i) => t.data.forEach((v, j) => (d += Math.abs(v - b[i]!.data[j]!))));
  return d;
}

const drawn = new WeakMap<FheCircuit, WeakMap<NDArray, Map<number, { exact: NDArray[]; lo: number; hi: number }>>>();

/** The exact outputs and the range of simulate's distances from them (computed once per circuit, input and draw count). */
export function simulatedDistances(circuit: FheCircuit, x: NDArray, draws: number): { exact: NDArray[]; lo: number; hi: number } {
  const byInput = drawn.get(circuit) ?? new WeakMap();
  drawn.set(circuit, byInput);
  const byDraws = byInput.get(x) ?? new Map();
  byInput.set(x, byDraws);
  const known = byDraws.get(draws);
  if (known) return known;
  const exact = circuit.predictClear(x, { fhe: "disable" });
  let lo = Infinity;
  let hi = -Infinity;
  for (let seed = 0; seed < draws; seed++) {
    const d = distance(circuit.predictClear(x, { fhe: "simulate", seed }), exact);
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  const range = { exact, lo, hi };
  byDraws.set(draws, range);
  return range;
}

/** Asserts that `fhe` (the decrypted outputs on x) lies within the range of the simulated distances. */
export function expectWithinSimulation(circuit: FheCircuit, x: NDArray, fhe: readonly NDArray[], draws = 1999): void {
  const { exact, lo, hi } = simulatedDistances(circuit, x, draws);
  const d = distance(fhe, exact);
  if (process.env.FHEC_TEST_VERBOSE) console.log({ fheDistance: d, simulated: [lo, hi] });
  // The model must allow differences here, else the check would be an equality test in disguise.
  expect(hi, "simulate never differs from disable on these samples").toBeGreaterThan(0);
  expect(d, `FHE's distance from the exact circuit, against simulate's range [${lo}, ${hi}]`).toBeGreaterThanOrEqual(lo);
  expect(d, `FHE's distance from the exact circuit, against simulate's range [${lo}, ${hi}]`).toBeLessThanOrEqual(hi);
}
