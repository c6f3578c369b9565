// simulate predicts FHE at the model level (reduced counts; the full ones are in
// `npm run bench -- fidelity`): on the mlp fixture at default options, the fraction of output
// elements where FHE differs from the exact circuit, and FHE accuracy, lie within the range of the
// same quantities over 400 simulate seeds. The same check on cnn_avgpool (4 samples, 2424 lookups:
// three quarters of this file's time) lives in `npm run bench -- fidelity --models cnn_avgpool
// --samples 4 --seeds 400` (column "both in seeds' min–max"); the noise model of conv layers' reads
// is checked against FHE on random graphs with convolutions in tests/tfhe/random_graphs.test.ts.
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
  // One FHE run is one draw of what simulate draws: if they follow one law, the FHE value falls
  // outside the range of 400 simulated draws with probability 2/401 (no normality assumed).
  const r = fidelityReport(circuit, x, fhe, { seeds: 400, labels: f.y.data.subarray(0, n) });
  expect(r.simulatedMismatch.sd).toBeGreaterThan(0); // the spread is not degenerate
  expect(r.fheMismatch).toBeGreaterThanOrEqual(r.simulatedMismatch.min);
  expect(r.fheMismatch).toBeLessThanOrEqual(r.simulatedMismatch.max);
  expect(r.fheAccuracy!).toBeGreaterThanOrEqual(r.simulatedAccuracy!.min);
  expect(r.fheAccuracy!).toBeLessThanOrEqual(r.simulatedAccuracy!.max);
}

describe("simulate predicts FHE on a real model", () => {
  // One long FHE run (576 lookups): the timeout leaves room for a loaded machine.
  it("mlp, default options: FHE's disagreement with the exact circuit and its accuracy fall in simulate's spread", { timeout: 600_000 }, async () => {
    await check("mlp", 12);
  });
});
