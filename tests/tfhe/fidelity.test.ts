// simulate predicts FHE's statistics: approximate rounding goes up with probability
// Φ((f − 1/2 + δ)/σ) where f is the removed fraction, σ the read noise (in steps) recorded for
// the chosen parameters and δ = 2^(q−1)/N the offset of the PBS's integer rotations. Real FHE
// runs on values placed near rounding ties, where that probability is neither 0 nor 1, must agree
// with the prediction on average (99.9%).
import { describe, expect, it } from "vitest";
import type { DenseAttr } from "../../ir/attributes.js";
import { annotateReadNoise, READ_OFFSET_ATTR, READ_STD_ATTR, selectCryptoParameters } from "../../passes/params/pass.js";
import { erfc } from "../../crypto-model/index.js";
import { TfheParameters } from "../../runtime/index.js";
import { simulateWithStats } from "../../backends/clear/index.js";
import { batchOf, parse, parties, programFor, randomInts, runEncrypted } from "../tfhe/helpers.js";

const E = 64; // elements per sample
const K = 6; // removed bits: a step is 64 input codes
const identity = Array.from({ length: 32 }, (_, i) => (i < 16 ? i : i - 32));
const MODULE = `func.func @main(%x: tensor<${E}x!fhe.esint<11>>) -> tensor<${E}x!fhe.esint<6>> {
  %r = fhe.round %x {method = "approximate"} : (tensor<${E}x!fhe.esint<11>>) -> tensor<${E}x!fhe.esint<5>>
  %t = fhe.apply_lookup_table %r {table = dense<[${identity.join(", ")}]> : tensor<32xi64>} : (tensor<${E}x!fhe.esint<5>>) -> tensor<${E}x!fhe.esint<6>>
  return %t : tensor<${E}x!fhe.esint<6>>
}`;

const phi = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

describe("simulate predicts FHE's approximate rounding", () => {
  it("the rate of rounding up near ties agrees with Φ((f − 1/2 + δ)/σ) on average over fresh key sets (99.9%)", async () => {
    const m = parse(MODULE);
    const { params } = selectCryptoParameters(m, { pError: 2 ** -40 });
    annotateReadNoise(m.funcs[0]!, [params]);
    const round = m.funcs[0]!.body.ops.find((op) => op.name === "fhe.round")!;
    const stdSteps = Array.from((round.attr(READ_STD_ATTR) as DenseAttr).data, (s) => s * 2 ** (5 + 1));
    const delta = (round.attr(READ_OFFSET_ATTR) as { value: number }).value;
    expect(delta).toBe(2 ** 4 / params.polynomialSize);
    const { precision: _p, maxNorm2: _m, pError: _e, cost: _c, pErrorPerPbs: _q, ...fields } = params;
    const rt = new TfheParameters(fields);
    rt.assertSecure();
    const program = programFor(m, rt);

    // Values r·64 + 32 + d: the removed fraction f = (32 + d)/64 sits within ±2.5σ of the tie.
    const batch = 4;
    const maxD = Math.max(1, Math.round(2.5 * Math.max(...stdSteps) * 2 ** K));
    const rs = randomInts(batch * E, -15, 14, 11);
    const ds = randomInts(batch * E, -maxD, maxD, 12);
    const xs = rs.map((r, i) => r * 2 ** K + 2 ** (K - 1) + ds[i]!);
    let mean = 0;
    let variance = 0;
    const p = xs.map((_, i) => phi(((2 ** (K - 1) + ds[i]!) / 2 ** K - 0.5 + delta) / stdSteps[i % E]!));
    for (const pi of p) {
      mean += pi;
      variance += pi * (1 - pi);
    }
    // Enough undecided reads for the test to have power.
    expect(variance).toBeGreaterThan(10);

    // FHE, with fresh keys each time. The reads of one run vary more together than independent
    // draws would (measured: a spread of the count about 2.3× the binomial one), so the spread is
    // estimated from the runs themselves and the mean deviation t-tested (two-sided, 99.9%).
    const runs = 6;
    const deviations: number[] = [];
    for (let k = 0; k < runs; k++) {
      const out = (await runEncrypted(await parties(program), [batchOf(batch, [E], xs)]))[0]!.data;
      let ups = 0;
      for (let i = 0; i < xs.length; i++) {
        const up = out[i]! - rs[i]!;
        expect(up === 0 || up === 1).toBe(true); // never off by more than one step
        ups += up;
      }
      deviations.push(ups - mean);
    }
    const avg = deviations.reduce((a, b) => a + b, 0) / runs;
    const sd = Math.sqrt(deviations.reduce((a, b) => a + (b - avg) ** 2, 0) / (runs - 1));
    const T_5_99_9 = 6.869; // Student's t, 5 degrees of freedom, two-sided 99.9%
    if (process.env.FHEC_TEST_VERBOSE) console.log({ mean, variance, deviations, avg, sd });
    expect(Math.abs(avg)).toBeLessThanOrEqual(T_5_99_9 * Math.max(sd, Math.sqrt(variance)) / Math.sqrt(runs) + 0.5);

    // The simulator's draws follow the same law (50 seeds, each one key set: the keyswitching
    // key's shared offset is drawn once per seed), and spread like the FHE runs.
    const seeds = 50;
    const simulated: number[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const sim = simulateWithStats(m.funcs[0]!, [batchOf(batch, [E], xs)], { seed }).outputs[0]!.data;
      let ups = 0;
      for (let i = 0; i < xs.length; i++) ups += sim[i]! - rs[i]!;
      simulated.push(ups - mean);
    }
    const simAvg = simulated.reduce((a, b) => a + b, 0) / seeds;
    const simSd = Math.sqrt(simulated.reduce((a, b) => a + (b - simAvg) ** 2, 0) / (seeds - 1));
    if (process.env.FHEC_TEST_VERBOSE) console.log({ simAvg, simSd });
    expect(Math.abs(simAvg)).toBeLessThanOrEqual(3.29 * simSd / Math.sqrt(seeds) + 0.5);
  });
});
