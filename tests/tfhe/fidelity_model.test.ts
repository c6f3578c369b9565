// simulate predicts FHE at the model level (reduced counts; the full ones are in
// `npm run bench -- fidelity`): on the mlp fixture at default options, the fraction of output
// elements where FHE differs from the exact circuit lies within 3 standard deviations of the same
// fraction for simulate over 20 seeds, and FHE accuracy inside the seeds' accuracy range
// (widened by one sample: with n samples, accuracy moves in steps of 1/n). Same for a CNN.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { serializeClientSpec } from "../../compiler/deploy/artifacts.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { fidelityReport } from "../../compiler/fidelity.js";
import { loadFixture } from "../helpers/fixtures.js";

async function check(name: string, n: number): Promise<void> {
  const f = loadFixture(name);
  const per = f.x.data.length / f.x.shape[0]!;
  const x = { shape: [n, ...f.x.shape.slice(1)], data: f.x.data.subarray(0, n * per) };
  const circuit = compile(f.model, { calibration: f.calib });
  const server = new FheModelServer(circuit);
  const client = FheModelClient.load(serializeClientSpec(server.clientSpec()));
  const keys = await client.generateKeys();
  const fhe = client.decrypt(await server.run(keys.evaluationKeys, client.encrypt(x)))[0]!;
  const r = fidelityReport(circuit, x, fhe, { seeds: 20, labels: f.y.data.subarray(0, n) });
  expect(r.simulatedMismatch.sd).toBeGreaterThan(0); // the spread is not degenerate
  expect(Math.abs(r.fheMismatch - r.simulatedMismatch.mean)).toBeLessThanOrEqual(3 * r.simulatedMismatch.sd);
  expect(r.fheAccuracy!).toBeGreaterThanOrEqual(r.simulatedAccuracy!.low - 1 / n - 1e-9);
  expect(r.fheAccuracy!).toBeLessThanOrEqual(r.simulatedAccuracy!.high + 1 / n + 1e-9);
}

describe("simulate predicts FHE on a real model", () => {
  it("mlp, default options: FHE's disagreement with the exact circuit and its accuracy fall in simulate's spread", async () => {
    await check("mlp", 12);
  });

  it("cnn_avgpool, default options: the same, on 4 samples (606 lookups each)", { timeout: 400_000 }, async () => {
    await check("cnn_avgpool", 4);
  });
});
