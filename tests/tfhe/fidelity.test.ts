// simulate predicts FHE's statistics: approximate rounding goes up with probability
// Φ((f − 1/2 + δ)/σ) where f is the removed fraction, σ the read noise (in steps) recorded for
// the chosen parameters and δ = 2^(q−1)/N the offset of the PBS's integer rotations. Real FHE
// runs on values placed near rounding ties, where that probability is neither 0 nor 1, must give
// a count of rounded-up reads inside the prediction's 99.9% binomial interval: reads of fresh
// encryptions, and reads of PBS outputs under a classic and under a multi-bit set (whose σ comes
// from the multi-bit blind rotation's noise formula).
import { describe, expect, it } from "vitest";
import type { DenseAttr } from "../../ir/attributes.js";
import { annotateReadNoise, READ_OFFSET_ATTR, READ_STD_ATTR, selectCryptoParameters } from "../../passes/params/pass.js";
import { type CostWeights, erfc } from "../../crypto-model/index.js";
import type { CryptoParameters } from "../../passes/params/optimizer.js";
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

/**
 * The same rounding fed by PBS outputs: a signed table maps r to 16·r, times 4 (ν² = 16, so the
 * read noise is mostly the blind rotation's), plus a clear offset per element that places each
 * element's reads near a tie.
 */
const t16 = identity.map((v) => 16 * v);
const fromTables = (offsets: readonly number[]) => `func.func @main(%x: tensor<${E}x!fhe.esint<5>>) -> tensor<${E}x!fhe.esint<6>> {
  %a = fhe.apply_lookup_table %x {table = dense<[${t16.join(", ")}]> : tensor<32xi64>} : (tensor<${E}x!fhe.esint<5>>) -> tensor<${E}x!fhe.esint<11>>
  %c = arith.constant {value = dense<4> : tensor<i4>} : () -> i4
  %m = fhe.mul_eint_int %a, %c : (tensor<${E}x!fhe.esint<11>>, i4) -> tensor<${E}x!fhe.esint<11>>
  %o = arith.constant {value = dense<[${offsets.join(", ")}]> : tensor<${E}xi8>} : () -> tensor<${E}xi8>
  %s = fhe.add_eint_int %m, %o : (tensor<${E}x!fhe.esint<11>>, tensor<${E}xi8>) -> tensor<${E}x!fhe.esint<11>>
  %r = fhe.round %s {method = "approximate"} : (tensor<${E}x!fhe.esint<11>>) -> tensor<${E}x!fhe.esint<5>>
  %t = fhe.apply_lookup_table %r {table = dense<[${identity.join(", ")}]> : tensor<32xi64>} : (tensor<${E}x!fhe.esint<5>>) -> tensor<${E}x!fhe.esint<6>>
  return %t : tensor<${E}x!fhe.esint<6>>
}`;

/**
 * One FHE run of 512 reads near ties under the parameters the optimizer picks with `weights`: the
 * counts rounded up below and above the tie against the 99.9% intervals of Σ Bernoulli(p_i), and
 * the simulator's mean count over 200 seeds against Σ p_i. The rounding reads a fresh encryption
 * (r·64 + 32 + d given as the input), or with `tables` the PBS outputs of {@link fromTables}.
 * Returns the parameters.
 */
async function checkRoundingAgainstFhe(opts: { weights?: CostWeights; tables?: boolean } = {}): Promise<CryptoParameters> {
  {
    const batch = 8; // 512 reads
    const rs = randomInts(batch * E, -15, 14, 11);
    // The read noise does not depend on the offsets' values: parameters and σ from a zero offset.
    const noiseOf = (text: string) => {
      const m = parse(text);
      const { params } = selectCryptoParameters(m, { pError: 2 ** -40, ...(opts.weights ? { weights: opts.weights } : {}) });
      annotateReadNoise(m.funcs[0]!, [params]);
      const round = m.funcs[0]!.body.ops.find((op) => op.name === "fhe.round")!;
      const stdSteps = Array.from((round.attr(READ_STD_ATTR) as DenseAttr).data, (s) => s * 2 ** (5 + 1));
      return { m, params, stdSteps, delta: (round.attr(READ_OFFSET_ATTR) as { value: number }).value };
    };
    const first = noiseOf(opts.tables ? fromTables(new Array<number>(E).fill(0)) : MODULE);
    // Removed fractions f = (32 + d)/64 within ±2.5σ of the tie: per read, or per element with tables.
    const maxD = Math.max(1, Math.round(2.5 * Math.max(...first.stdSteps) * 2 ** K));
    const ds = opts.tables ? randomInts(E, -maxD, maxD, 12) : randomInts(batch * E, -maxD, maxD, 12);
    const dOf = (i: number) => ds[opts.tables ? i % E : i]!;
    const { m, params, stdSteps, delta } = opts.tables ? noiseOf(fromTables(ds.map((d) => 2 ** (K - 1) + d))) : first;
    expect(stdSteps).toEqual(first.stdSteps);
    expect(delta).toBe(2 ** 4 / params.polynomialSize);
    const xs = opts.tables ? rs : rs.map((r, i) => r * 2 ** K + 2 ** (K - 1) + dOf(i));
    const rt = new TfheParameters(params);
    rt.assertSecure();
    const program = programFor(m, rt);

    let mean = 0;
    let variance = 0;
    const p = xs.map((_, i) => phi(((2 ** (K - 1) + dOf(i)) / 2 ** K - 0.5 + delta) / stdSteps[i % E]!));
    for (const pi of p) {
      mean += pi;
      variance += pi * (1 - pi);
    }
    // Enough undecided reads for the test to have power.
    expect(variance).toBeGreaterThan(10);

    // One FHE run (one key set): every read is an independent Bernoulli(p_i) — the runtime's
    // keyswitch digits are zero-mean, so no noise is shared by all reads through a key — and the
    // count of ups must fall in the 99.9% interval of that Poisson-binomial law (normal
    // approximation, variance > 10, with a continuity correction of one half).
    const out = (await runEncrypted(await parties(program), [batchOf(batch, [E], xs)]))[0]!.data;
    // Checked on the reads below and above the tie separately (each at 99.95%, 99.9% together):
    // the total alone would not see a wrong σ, which moves the two halves in opposite directions.
    const halves = [{ ups: 0, mean: 0, variance: 0 }, { ups: 0, mean: 0, variance: 0 }];
    for (let i = 0; i < xs.length; i++) {
      const up = out[i]! - rs[i]!;
      expect(up === 0 || up === 1).toBe(true); // never off by more than one step
      const h = halves[p[i]! < 0.5 ? 0 : 1]!;
      h.ups += up;
      h.mean += p[i]!;
      h.variance += p[i]! * (1 - p[i]!);
    }
    const Z_99_9 = 3.29;
    const Z_99_95 = 3.48;
    if (process.env.FHEC_TEST_VERBOSE) console.log({ reads: xs.length, mean, variance, halves });
    for (const h of halves) {
      expect(h.variance).toBeGreaterThan(5);
      expect(Math.abs(h.ups - h.mean)).toBeLessThanOrEqual(Z_99_95 * Math.sqrt(h.variance) + 0.5);
    }

    // The simulator draws from the same law: over 200 seeds its mean count agrees with Σ p_i (a
    // simulated run of 512 reads takes about a millisecond; with 20 seeds, 0–19 of the keyed draws
    // fell 3.6 sd below Σ p_i, while 1200 seeds in blocks of 400 gave −0.6 to 0.4 sd, and the
    // per-seed variance 50–65 against the law's 56).
    const seeds = 200;
    let simTotal = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const sim = simulateWithStats(m.funcs[0]!, [batchOf(batch, [E], xs)], { seed }).outputs[0]!.data;
      for (let i = 0; i < xs.length; i++) simTotal += sim[i]! - rs[i]!;
    }
    expect(Math.abs(simTotal / seeds - mean)).toBeLessThanOrEqual(Z_99_9 * Math.sqrt(variance / seeds) + 0.5);
    return params;
  }
}

describe("simulate predicts FHE's approximate rounding", () => {
  it("in one FHE run of 512 reads near ties, the counts rounded up below and above the tie lie in the 99.9% intervals of Σ Bernoulli(Φ((f − 1/2 + δ)/σ))", async () => {
    const params = await checkRoundingAgainstFhe();
    expect(params.pbsGroupingFactor).toBeUndefined();
  });

  const MEASURED = { fft: 1, mac: 5.8, keyswitch: 1.06, multiBitMac: 1.5 };
  it("the same on reads of PBS outputs (ν² = 16: the blind rotation's noise), with the classic set", async () => {
    const params = await checkRoundingAgainstFhe({ tables: true, weights: { fft: 1, mac: 5.8, keyswitch: 1.06 } });
    expect(params.pbsGroupingFactor).toBeUndefined();
  });

  it("the same on reads of PBS outputs with the multi-bit set the optimizer picks under a measured multi-bit weight (σ from the multi-bit noise formula)", async () => {
    const params = await checkRoundingAgainstFhe({ tables: true, weights: MEASURED });
    expect(params.pbsGroupingFactor).toBeGreaterThan(1);
  });
});
