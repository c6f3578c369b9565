// Measured noise against the model of docs/tfhe.md (factor 2, ≥ 1000 samples).
import { randomInt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addClear, ClientKey, CONCRETE_P4, delta, FHEC_P3, GATE_N630, lookupTables, matmul, noise, torusError,
  type EvaluationKeys, type LweCiphertextTensor, type TfheParameters,
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
