// `npm run bench -- simulate [--samples N] [--reps N]`: clear simulation throughput (samples/s)
// of compiled circuits, beside the float model in onnxruntime-node and fhec's float reference
// interpreter on the same data. Prints a markdown table, writes bench/out/simulate.json.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { runReference } from "../backends/reference/index.js";
import { compile } from "../compiler/compile.js";
import { importOnnx } from "../compiler/onnx/index.js";
import { runOnnxRuntime } from "../compiler/onnx/ort.js";
import { fixture, markdownTable, median, repeatSamples, writeJson } from "./fixtures.js";

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

async function timeIt(reps: number, f: () => unknown | Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

export async function main(args: string[]): Promise<void> {
  const samples = arg(args, "samples", 1000);
  const reps = arg(args, "reps", 5);
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const name of ["mlp", "cnn_avgpool", "cnn_maxpool"]) {
    const f = fixture(name);
    const circuit = compile(f.model, { calibration: f.calib });
    const x = repeatSamples(f.x, samples);
    const module = importOnnx(f.model);
    const bytes = readFileSync(f.model);
    const inputName = module.funcs[0]!.args[0]!.nameHint ?? "input";
    const sim = await timeIt(reps, () => circuit.predictClear(x, { fhe: "simulate" }));
    const ref = await timeIt(reps, () => runReference(module.funcs[0]!, [x]));
    const ort = await timeIt(reps, () => runOnnxRuntime(bytes, new Map([[inputName, x]])));
    const info = circuit.info();
    const perS = (ms: number) => Math.round((samples / ms) * 1000);
    rows.push([name, info.lookupsPerSample, perS(sim), perS(ref), perS(ort)]);
    json.push({ model: name, samples, lookupsPerSample: info.lookupsPerSample, simulateSamplesPerSec: perS(sim), referenceSamplesPerSec: perS(ref), onnxruntimeSamplesPerSec: perS(ort) });
  }
  console.log(`simulation throughput, ${samples} samples, median of ${reps} runs (${cpus()[0]?.model ?? "?"}, ${cpus().length} cores)\n`);
  console.log(markdownTable(["model", "table lookups / sample", "fhec simulate (samples/s)", "fhec float reference (samples/s)", "onnxruntime-node float (samples/s)"], rows));
  console.log(`\nwrote ${writeJson("simulate", { samples, reps, cpu: cpus()[0]?.model, results: json })}`);
}
