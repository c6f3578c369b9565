// `npm run bench -- fidelity [--samples N] [--seeds S] [--models a,b]`: does `simulate` predict
// FHE? Per fixture at default options: FHE on N test samples; the fraction of output elements
// where FHE differs from the exact circuit (`disable`) next to the same fraction for `simulate`
// over S seeds (mean, sd, 95% range), and FHE accuracy next to the simulated accuracy's 95% range;
// and whether both FHE values lie within the seeds' full range (min–max), the distribution-free
// check of tests/tfhe/fidelity_model.test.ts: with S = 400 it is outside by chance with probability
// 2/401 each. `--models cnn_avgpool --samples 4 --seeds 400` is that test's CNN case, kept here
// for time (2424 lookups at the default parameters).
// Prints a markdown table, writes bench/out/fidelity.json.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cpus } from "node:os";
import { compile } from "../compiler/compile.js";
import { readNpy } from "../compiler/data/npy.js";
import { serializeClientSpec } from "../compiler/deploy/artifacts.js";
import { FheModelClient } from "../compiler/deploy/client.js";
import { FheModelServer } from "../compiler/deploy/server.js";
import { fidelityReport } from "../compiler/fidelity.js";
import { arg, fixture, markdownTable, take, writeJson } from "./fixtures.js";

export async function main(args: string[]): Promise<void> {
  const samples = Number(arg(args, "samples") ?? 100);
  const seeds = Number(arg(args, "seeds") ?? 20);
  const models = (arg(args, "models") ?? "mlp,cnn_avgpool").split(",");
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const name of models) {
    const f = fixture(name);
    const labels = readNpy(readFileSync(join(dirname(f.model), "y_test.npy"))).data;
    const n = Math.min(samples, f.x.shape[0]!);
    const x = take(f.x, n);
    const circuit = compile(f.model, { calibration: f.calib });
    const server = new FheModelServer(circuit);
    const client = FheModelClient.load(serializeClientSpec(server.clientSpec()));
    const keys = await client.generateKeys();
    const fhe = client.decrypt(await server.run(keys.evaluationKeys, client.encrypt(x)))[0]!;
    const r = fidelityReport(circuit, x, fhe, { seeds, labels: labels.subarray(0, n) });
    const fmt = (v: number) => v.toFixed(4);
    const row = {
      model: name,
      samples: n,
      seeds,
      fheMismatch: fmt(r.fheMismatch),
      simulatedMismatch: `${fmt(r.simulatedMismatch.mean)} ± ${fmt(r.simulatedMismatch.sd)} [${fmt(r.simulatedMismatch.low)}, ${fmt(r.simulatedMismatch.high)}]`,
      mismatchWithin3Sd: Math.abs(r.fheMismatch - r.simulatedMismatch.mean) <= 3 * r.simulatedMismatch.sd ? "yes" : "no",
      fheAccuracy: r.fheAccuracy!.toFixed(3),
      simulatedAccuracy: `${r.simulatedAccuracy!.mean.toFixed(3)} [${r.simulatedAccuracy!.low.toFixed(3)}, ${r.simulatedAccuracy!.high.toFixed(3)}]`,
      accuracyInside95: r.fheAccuracy! >= r.simulatedAccuracy!.low && r.fheAccuracy! <= r.simulatedAccuracy!.high ? "yes" : "no",
      bothInSeedRange:
        r.simulatedMismatch.sd > 0 && r.fheMismatch >= r.simulatedMismatch.min && r.fheMismatch <= r.simulatedMismatch.max &&
        r.fheAccuracy! >= r.simulatedAccuracy!.min && r.fheAccuracy! <= r.simulatedAccuracy!.max ? "yes" : "no",
    };
    console.error(`  ${name}: ${JSON.stringify(row)}`);
    json.push({ ...row, report: r });
    rows.push(Object.values(row));
  }
  console.log(`\nsimulate vs FHE at default options (${cpus()[0]?.model ?? "?"}, ${cpus().length} cores)\n`);
  console.log(markdownTable(["model", "samples", "seeds", "FHE ≠ disable (elements)", "simulate ≠ disable: mean ± sd [95%]", "within 3 sd", "FHE acc", "simulated acc [95%]", "inside", "both in seeds' min–max"], rows));
  console.log(`\nwrote ${writeJson("fidelity", { results: json })}`);
}
