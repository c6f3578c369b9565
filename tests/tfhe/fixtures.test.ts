// End-to-end on real fixtures: compile → lower-to-tfhe → tfhe-params (a secure set for the widest
// table input) → encrypted run on 20 test samples; the decrypted integers equal the simulation.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { simulate } from "../../backends/clear/index.js";
import { compile, type CompileOptions } from "../../compiler/compile.js";
import { readNpy } from "../../compiler/data/npy.js";
import type { NDArray } from "../../ir/tensor.js";
import { parametersForPrecision } from "../../runtime/index.js";
import { parties, programFor, runEncrypted } from "./helpers.js";

const root = new URL("../fixtures/models/", import.meta.url).pathname;

function load(name: string, samples: number): { calib: NDArray; x: NDArray } {
  const calib = readNpy(readFileSync(`${root}${name}/calib.npy`));
  const x = readNpy(readFileSync(`${root}${name}/x_test.npy`));
  const per = x.data.length / x.shape[0]!;
  return { calib, x: { shape: [samples, ...x.shape.slice(1)], data: x.data.slice(0, samples * per) } };
}

async function check(name: string, options: CompileOptions, samples: number): Promise<{ pbs: number; msPerSample: number }> {
  const { calib, x } = load(name, samples);
  const circuit = compile(`${root}${name}/model.onnx`, { ...options, calibration: calib });
  const q = circuit.quantizeInputs([x]);
  const expected = simulate(circuit.func, q);
  const params = parametersForPrecision(Math.max(1, circuit.info().maxTluInputPrecision));
  params.assertSecure();
  const p = await parties(programFor(circuit.module, params));
  const progress: [number, number][] = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const t0 = performance.now();
  const got = await runEncrypted(p, q, { onProgress: (done, total) => progress.push([done, total]), chunkSize: 256 });
  const ms = performance.now() - t0;
  clearInterval(timer);
  got.forEach((g, i) => expect(Array.from(g.data, (v) => v + 0)).toEqual(Array.from(expected[i]!.data, (v) => v + 0)));
  // Same integers → same de-quantized predictions.
  expect(circuit.decodeOutputs(got)[0]!.data).toEqual(circuit.decodeOutputs(expected)[0]!.data);
  const total = p.program.pbsPerSample * samples;
  expect(progress[0]).toEqual([0, total]);
  expect(progress[progress.length - 1]).toEqual([total, total]);
  for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThanOrEqual(progress[i - 1]![0]);
  // The event loop kept running during the PBS batches (timers fired).
  if (ms > 1000) expect(ticks).toBeGreaterThan(ms / 20 / 4);
  return { pbs: p.program.pbsPerSample, msPerSample: ms / samples };
}

describe("tfhe execution of compiled fixtures equals the simulation", () => {
  it("logreg_demo (nBits 3, no tables), 20 samples", async () => {
    const r = await check("logreg_demo", { nBits: 3 }, 20);
    expect(r.pbs).toBe(0);
  });

  it("mlp (nBits 2, exact rounding to 3 bits: 2 tables + 224 rounding PBS per sample), 20 samples", async () => {
    const r = await check("mlp", { nBits: 2, roundingThresholdBits: { bits: 3, method: "exact" } }, 20);
    expect(r.pbs).toBe(272);
  }, 300_000);
});
