// Approximate rounding in TFHE (free: the ciphertext is read at a lower precision and the removed
// bits become noise that the next PBS rounds away), over every signed 8-bit input rounded to 4 bits
// then read through a 4-bit identity table:
//  - no result is more than one step from round-half-up (beyond 8σ of the model's noise);
//  - the number of results that differ from round-half-up is what the noise model predicts: a read
//    of removed fraction f goes up with probability Φ((f − 1/2 + δ)/σ) (σ and δ as `crypto-params`
//    records them for the set, `fhec.read_std` and `fhec.read_offset`). Counted separately away
//    from the tie (|f − 1/2| ≥ 3/8: rare flips) and near it (frequent flips), each count must fall
//    in the model's 99.99% interval (tests/helpers/flip_bounds.ts).
import { describe, expect, it } from "vitest";
import type { DenseAttr } from "../../ir/attributes.js";
import { annotateReadNoise, READ_OFFSET_ATTR, READ_STD_ATTR } from "../../passes/params/pass.js";
import { CONCRETE_P4, type TfheParameters } from "../../runtime/index.js";
import { INSECURE_TEST_MS, INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";
import { flipCountInterval, type RoundingRead, type KeySetNoise } from "../helpers/flip_bounds.js";
import { batchOf, parse, parties, programFor, runEncrypted } from "./helpers.js";

const P = 8;
const Q = 4;
const K = P - Q;
// Up to 119: above, half-up rounding gives 8, which overflows esint<4> (the simulator rejects it).
const XS = Array.from({ length: 119 + 129 }, (_, i) => i - 128);
const N = XS.length;
const IDENTITY = Array.from({ length: 16 }, (_, j) => (j < 8 ? j : j - 16));
const TEXT = `module {
  func.func @main(%x: tensor<${N}x!fhe.esint<${P}>>) -> tensor<${N}x!fhe.esint<${Q}>> {
    %r = fhe.round %x {method = "approximate"} : (tensor<${N}x!fhe.esint<${P}>>) -> tensor<${N}x!fhe.esint<${Q}>>
    %y = fhe.apply_lookup_table %r {table = dense<${JSON.stringify(IDENTITY)}> : tensor<16xi64>} : (tensor<${N}x!fhe.esint<${Q}>>) -> tensor<${N}x!fhe.esint<${Q}>>
    return %y : tensor<${N}x!fhe.esint<${Q}>>
  }
}`;
const ALPHA = 1e-4;

/** The read noise `crypto-params` records at the rounding for this parameter set, in steps of the 4-bit result. */
function roundingNoise(params: TfheParameters): { sigma: Float64Array } & KeySetNoise {
  const m = parse(TEXT);
  annotateReadNoise(m.funcs[0]!, [params.raw()]);
  const round = m.funcs[0]!.body.ops.find((op) => op.name === "fhe.round")!;
  const steps = 2 ** (Q + 1);
  return {
    sigma: Float64Array.from((round.attr(READ_STD_ATTR) as DenseAttr).data, (s) => s * steps),
    offset: (round.attr(READ_OFFSET_ATTR) as { value: number }).value,
  };
}

async function characterize(params: TfheParameters, reps: number) {
  const noise = roundingNoise(params);
  const p = await parties(programFor(TEXT, params));
  const data: number[] = [];
  for (let r = 0; r < reps; r++) data.push(...XS);
  const got = (await runEncrypted(p, [batchOf(reps, [N], data)]))[0]!.data;
  const far: RoundingRead[] = [];
  const near: RoundingRead[] = [];
  let farFlips = 0;
  let nearFlips = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    const floor = Math.floor(x / 2 ** K);
    const fraction = (x - floor * 2 ** K) / 2 ** K;
    const halfUp = Math.floor((x + 2 ** (K - 1)) / 2 ** K);
    const g = got[i]!;
    expect(Math.abs(g - halfUp), `x = ${x}`).toBeLessThanOrEqual(1);
    const read = { fraction, sigma: noise.sigma[i % N]! };
    if (Math.abs(fraction - 0.5) >= 3 / 8) {
      far.push(read);
      if (g !== halfUp) farFlips++;
    } else {
      near.push(read);
      if (g !== halfUp) nearFlips++;
    }
  }
  const farBound = flipCountInterval(far, noise, ALPHA);
  const nearBound = flipCountInterval(near, noise, ALPHA);
  if (process.env.FHEC_TEST_VERBOSE) console.log(params.name, { noise: { sigma: noise.sigma[0], offset: noise.offset }, farFlips, farBound, nearFlips, nearBound });
  expect(farFlips, `flips away from the tie (${far.length} reads)`).toBeGreaterThanOrEqual(farBound.lo);
  expect(farFlips, `flips away from the tie (${far.length} reads)`).toBeLessThanOrEqual(farBound.hi);
  expect(nearFlips, `flips near the tie (${near.length} reads)`).toBeGreaterThanOrEqual(nearBound.lo);
  expect(nearFlips, `flips near the tie (${near.length} reads)`).toBeLessThanOrEqual(nearBound.hi);
  return { farBound, nearBound, near, nearFlips, noise };
}

describe("approximate rounding in TFHE: off by at most one step, flips as the noise model predicts", () => {
  it("INSECURE_TEST_P2: flip counts away from and near the tie within the model's interval", async () => {
    const { nearBound } = await characterize(INSECURE_TEST_P2, 10);
    // The test has power: near the tie the model expects flips, so "never flips" would fail it.
    expect(nearBound.lo).toBeGreaterThan(0);
  });

  it("the modulus switch is centred: near-tie flips sit below a plain switch's interval, even at a light small key", async () => {
    // A plain switch to 2N adds s_i/12 per key bit (units of 1/2N, steps²), the centred one 1/48
    // for every key. At n = 448 the lightest key weight that 3.89σ allows still gives the plain
    // switch 1.6× the variance; the flips near the tie grow with σ, so the two intervals part.
    const params = INSECURE_TEST_MS;
    const { near, nearFlips, noise } = await characterize(params, 60);
    const n = params.lweDimension;
    const steps = 2 ** (Q + 1);
    const lightKey = n / 2 - (3.89 * Math.sqrt(n)) / 2;
    const extra = ((lightKey / 12 - n / 48) / (2 * params.polynomialSize) ** 2) * steps ** 2;
    expect(extra).toBeGreaterThan(0);
    const plain = flipCountInterval(near.map((r) => ({ fraction: r.fraction, sigma: Math.sqrt(r.sigma ** 2 + extra) })), noise, ALPHA);
    if (process.env.FHEC_TEST_VERBOSE) console.log({ nearFlips, plain });
    expect(nearFlips).toBeLessThan(plain.lo);
  });

  it("CONCRETE_P4 (secure): flip counts away from and near the tie within the model's interval", async () => {
    const { nearBound } = await characterize(CONCRETE_P4, 2);
    expect(nearBound.lo).toBeGreaterThan(0);
  });
});
