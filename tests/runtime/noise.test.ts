// Measured noise against the model of docs/tfhe.md (factor 2, ≥ 1000 samples).
import { randomInt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addClear, ClientKey, CONCRETE_P4, delta, FHEC_P3, GATE_N630, lookupTables, matmul, minNoiseStd, noise, TfheParameters, torusError,
  type EvaluationKeys, type LweCiphertextTensor,
} from "../../runtime/index.js";

const SAMPLES = 1000;

function variance(client: ClientKey, ct: LweCiphertextTensor, expected: readonly bigint[]): number {
  const ph = client.phases(ct);
  let s = 0;
  for (let i = 0; i < ph.length; i++) {
    const e = torusError(ph[i]!, expected[i]!);
    s += e * e;
  }
  return s / ph.length;
}

for (const params of [CONCRETE_P4, FHEC_P3, GATE_N630] as TfheParameters[]) {
  describe(`noise model vs measurement: ${params.name}`, () => {
    let client: ClientKey;
    let server: EvaluationKeys;
    const precision = 3;
    const d = delta(precision);
    beforeAll(async () => {
      client = ClientKey.generate(params);
      server = await client.generateEvaluationKeys();
    });

    it("keyswitch output variance = σ²_fresh(kN) + σ²_KS within a factor 2", async () => {
      const msgs = Array.from({ length: SAMPLES }, () => randomInt(2 ** precision));
      const ct = client.encrypt(msgs, precision);
      const ks = await server.keyswitch(ct);
      const measured = variance(client, ks, msgs.map((m) => BigInt(m) * d));
      const model = params.glweNoiseStd ** 2 + noise.keyswitchOutputVariance(params);
      const ratio = measured / model;
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });

    it("PBS output variance = σ²_BR within a factor 2 (constant table, any input)", async () => {
      const msgs = Array.from({ length: SAMPLES }, () => randomInt(2 ** precision));
      const small = client.encrypt(msgs, precision, { key: "small" });
      const c = 5;
      const table = new Array<number>(2 ** precision).fill(c);
      const out = await server.bootstrap(small, lookupTables(table, precision));
      const measured = variance(client, out, msgs.map(() => BigInt(c) * d));
      const model = noise.pbsOutputVariance(params);
      const ratio = measured / model;
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });
  });
}

describe("Dot(ν) → KS → PBS follows the model (CONCRETE_P4)", () => {
  it("noise after a clear dot product and keyswitch is ν²σ²_BR + σ²_KS; lookups fail no more than predicted", async () => {
    const params = CONCRETE_P4;
    const client = ClientKey.generate(params);
    const server = await client.generateEvaluationKeys();
    const precision = 4;
    const d = delta(precision);
    // PBS outputs of a constant-1 table: phase Δ + e with e the bootstrap noise. (A constant-0
    // table would give noiseless zeros: every digit of a zero accumulator is zero.)
    // Two PBS outputs per sample, combined by a clear dot product with weights w (ν = ‖w‖₂).
    const inputs = client.encrypt(new Array<number>(2 * SAMPLES).fill(0), precision, { key: "small", shape: [SAMPLES, 2] });
    const fresh = await server.bootstrap(inputs, lookupTables(new Array<number>(16).fill(1), precision));
    const w = [17, -16];
    const nu = Math.hypot(...w);
    const msgs = Array.from({ length: SAMPLES }, () => randomInt(16));
    // y = w·x + (m − Σw): phase m·Δ + Σ w_i e_i
    const dotted = matmul(fresh, w, [2, 1]).reshape([SAMPLES]);
    const y = addClear(dotted, msgs.map((m) => m - (w[0]! + w[1]!)), precision);
    const expected = msgs.map((m) => BigInt(m) * d);
    const measuredDot = variance(client, y, expected);
    const modelDot = nu * nu * noise.pbsOutputVariance(params);
    expect(measuredDot / modelDot).toBeGreaterThan(0.5);
    expect(measuredDot / modelDot).toBeLessThan(2);
    const ks = await server.keyswitch(y);
    const measuredKs = variance(client, ks, expected);
    const modelKs = modelDot + noise.keyswitchOutputVariance(params);
    expect(measuredKs / modelKs).toBeGreaterThan(0.5);
    expect(measuredKs / modelKs).toBeLessThan(2);
    // Then the table lookup: errors should be as rare as the model predicts.
    const table = Array.from({ length: 16 }, (_, i) => (7 * i + 3) % 16);
    const out = await server.applyLookupTable(y, lookupTables(table, precision));
    const got = client.decrypt(out, precision);
    const errors = got.filter((g, i) => g !== table[msgs[i]!]).length;
    const pErr = noise.predictedPError(params, precision, nu * nu);
    // Poisson(mean SAMPLES·pErr): allow mean + 6 sd + 2
    const mean = SAMPLES * pErr;
    expect(errors).toBeLessThanOrEqual(Math.ceil(mean + 6 * Math.sqrt(mean) + 2));
  });
});

describe("keyswitch digits are zero-mean: no error shared by every keyswitch through one key", () => {
  // Balanced digits in [−B/2, B/2) have mean −1/2, so a key's own noise e would add −½·Σe to every
  // keyswitch through it: an offset of variance D·ℓ·σ²_ksk/4, fixed per key. A small n (large key
  // noise, still on the 128-bit curve) makes that offset large next to the per-sample noise.
  const KEYS = 4;
  const M = 400;
  // A 32-bit key (β·ℓ ≤ 24) and a 64-bit one: both keyswitch kernels.
  for (const [ksBaseLog, ksLevel] of [[2, 6], [2, 13]] as const) {
    it(`per-key mean error is consistent with 0 (χ² over ${KEYS} keys, 99.9%), ks 2^${ksBaseLog}×${ksLevel}`, async () => {
      const n = 500;
      const params = new TfheParameters({
        lweDimension: n, glweDimension: 1, polynomialSize: 512, pbsBaseLog: 23, pbsLevel: 1, ksBaseLog, ksLevel,
        lweNoiseStd: minNoiseStd(n), glweNoiseStd: minNoiseStd(512),
      });
      params.assertSecure();
      const D = params.bigDimension;
      const perSample = params.glweNoiseStd ** 2 + noise.keyswitchOutputVariance(params);
      const sharedByOldRule = (D * ksLevel * params.lweNoiseStd ** 2) / 4;
      // The test has power: the old rule's offset would be ≥ 5 standard errors of the mean per key.
      expect(sharedByOldRule / (perSample / M)).toBeGreaterThan(25);
      let chi2 = 0;
      for (let k = 0; k < KEYS; k++) {
        const client = ClientKey.generate(params);
        const server = await client.generateEvaluationKeys();
        const ks = await server.keyswitch(client.encrypt(new Array<number>(M).fill(0), 2));
        const errors = Array.from(client.phases(ks), (ph) => torusError(ph, 0n));
        const mean = errors.reduce((a, b) => a + b, 0) / M;
        const sd = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (M - 1));
        chi2 += (mean / (sd / Math.sqrt(M))) ** 2;
      }
      // χ²(4 degrees of freedom) exceeds 18.47 with probability 0.001.
      expect(chi2).toBeLessThan(18.47);
    });
  }
});
