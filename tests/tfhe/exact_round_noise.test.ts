// simulate predicts the errors of exact rounding in FHE: every removed bit is read by a 1-bit PBS
// (or the top ones with the kept bits by one wide table, `last_step_bits`) whose noise
// `crypto-params` records (`fhec.read_std`, one value per step and element), and simulate draws
// each read and carries a wrong one through the circuit's own steps
// (backends/simulation/exact_round.ts, exact_round_steps.ts). Compiled at a deliberately loose p_error (128-bit secure
// parameters as always), so that misreads are frequent enough to count, one FHE run's number of
// results that differ from the exact circuit (`disable`) must lie in the 99.9% interval of the
// rate simulate predicts.
import { describe, expect, it } from "vitest";
import type { DenseAttr } from "../../ir/attributes.js";
import { annotateReadNoise, READ_STD_ATTR, selectCryptoParameters } from "../../passes/params/pass.js";
import { erfc } from "../../crypto-model/index.js";
import { TfheParameters } from "../../runtime/index.js";
import { simulate } from "../../backends/clear/index.js";
import { batchOf, parse, parties, programFor, randomInts, runEncrypted } from "./helpers.js";

const E = 64; // elements per sample
const P = 6;
const Q = 3; // k = 3 removed bits: 3 PBS per element
const moduleText = (last: number) => `func.func @main(%x: tensor<${E}x!fhe.esint<${P}>>) -> tensor<${E}x!fhe.esint<${Q}>> {
  %r = fhe.round %x {method = "exact"${last === 1 ? "" : `, last_step_bits = ${last}`}} : (tensor<${E}x!fhe.esint<${P}>>) -> tensor<${E}x!fhe.esint<${Q}>>
  return %r : tensor<${E}x!fhe.esint<${Q}>>
}`;
/**
 * p_error per PBS the parameters are chosen for: loose, so that misreads are frequent (the bit
 * constraints bound the keyswitch and modulus-switch noise 4× tighter than the read needs, see
 * passes/params/norms.ts, so the reads go wrong far less often than this). The rates stay away from
 * the far tail, where a few percent of σ (the modulus switch's share moves with the key's weight)
 * would move them by much more than their binomial spread.
 */
const P_ERROR = 0.45;
/**
 * The wide last step's read is sized exactly for its p_error (a table read): looser than this and a
 * read more than two entries off, which moves the result by two, would no longer be negligible.
 */
const P_ERROR_WIDE = 0.25;
const SEEDS = 400;
const Z_99_9 = 3.29;

describe.each([
  { last: 1, pError: P_ERROR },
  { last: 2, pError: P_ERROR_WIDE },
])("simulate predicts the misreads of exact rounding in FHE (last step $last bits)", ({ last, pError }) => {
  it("one FHE run's count of results ≠ disable lies in the 99.9% interval of simulate's rate (loose p_error, 128-bit secure set)", async () => {
    const m = parse(moduleText(last));
    const { params } = selectCryptoParameters(m, { pError });
    annotateReadNoise(m.funcs[0]!, [params]);
    const round = m.funcs[0]!.body.ops.find((op) => op.name === "fhe.round")!;
    const std = (round.attr(READ_STD_ATTR) as DenseAttr).data;
    const steps = P - Q - last + 1;
    expect(std.length).toBe(steps * E);
    // The most demanding step's misread probability (units of the read: half the torus for a bit,
    // Δ_w = 2^−(w+1) for the w-bit last table, so wrong beyond ±1/2) is near the p_error the
    // parameters were chosen for.
    const unit = (s: number) => (last > 1 && s === steps - 1 ? 2 ** (last + Q + 1) : 2);
    const misread = Array.from({ length: steps }, (_, s) => erfc(0.5 / (unit(s) * std[s * E]!) / Math.SQRT2));
    if (process.env.FHEC_TEST_VERBOSE) console.log({ params: `n=${params.lweDimension} k=${params.glweDimension} N=${params.polynomialSize}`, misread });
    expect(Math.max(...misread)).toBeLessThanOrEqual(pError * 1.0001);
    const rt = new TfheParameters(params);
    rt.assertSecure();
    const program = programFor(m, rt);

    // Inputs whose rounding stays one step inside esint<3> even when a misread moves it.
    const batch = 8;
    const xs = randomInts(batch * E, -24, 19, 5);
    const input = [batchOf(batch, [E], xs)];
    const exact = simulate(m.funcs[0]!, input, { approximateTies: "up" })[0]!.data;
    // simulate's rate of results ≠ disable, over many seeds (its own error is counted below).
    let simDiffer = 0;
    for (let seed = 0; seed < SEEDS; seed++) {
      const sim = simulate(m.funcs[0]!, input, { seed })[0]!.data;
      for (let i = 0; i < xs.length; i++) if (sim[i] !== exact[i]) simDiffer++;
    }
    const n = xs.length;
    const rate = simDiffer / (SEEDS * n);
    // Enough expected differences for the interval to have power against "never" and "always".
    expect(rate * n).toBeGreaterThan(30);
    expect(rate).toBeLessThan(0.5);

    const out = (await runEncrypted(await parties(program), input))[0]!.data;
    let fheDiffer = 0;
    for (let i = 0; i < n; i++) {
      expect(Math.abs(out[i]! - exact[i]!), `x = ${xs[i]}`).toBeLessThanOrEqual(1);
      if (out[i] !== exact[i]) fheDiffer++;
    }
    // Elements are independent reads: the FHE count is Binomial(n, rate); simulate's estimate of
    // the rate adds its own variance (n·SEEDS trials).
    const sd = Math.sqrt(n * rate * (1 - rate) * (1 + 1 / SEEDS));
    if (process.env.FHEC_TEST_VERBOSE) console.log({ rate, expected: rate * n, fheDiffer, sd });
    expect(Math.abs(fheDiffer - rate * n)).toBeLessThanOrEqual(Z_99_9 * sd + 0.5);
  }, 300_000);
});
