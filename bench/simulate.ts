// `npm run bench -- simulate [--samples N] [--reps N]`: clear-circuit throughput (samples/s) of
// compiled circuits on the clear backend (TypeScript) and on the LLVM backend (native code, when
// available), in `disable` and `simulate` modes, beside the float model in onnxruntime-node and
// fhec's float reference interpreter on the same data. Runs time the integer circuit only (inputs
// quantized once); the LLVM compile time is reported apart. Prints a markdown table and the
// machine's load, writes bench/out/simulate.json.
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { runReference } from "../backends/reference/index.js";
import { compileLlvm, llvmStatus } from "../backends/llvm/index.js";
import { compile } from "../compiler/compile.js";
import { importOnnx } from "../compiler/onnx/index.js";
import { runOnnxRuntime } from "../compiler/onnx/ort.js";
import { arg, fixture, markdownTable, median, repeatSamples, writeJson } from "./fixtures.js";

async function timeIt(reps: number, f: () => unknown | Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

/** onnxruntime on a session created once (its best case): median time of `session.run` on the batch. */
async function ortSessionRun(bytes: Uint8Array, inputName: string, x: { shape: readonly number[]; data: ArrayLike<number> }, reps: number): Promise<number> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(bytes);
  const feeds = { [inputName]: new ort.Tensor("float32", Float32Array.from(x.data), [...x.shape]) };
  await session.run(feeds);
  return timeIt(reps, () => session.run(feeds));
}

export async function main(args: string[]): Promise<void> {
  const samples = Number(arg(args, "samples") ?? 1000);
  const reps = Number(arg(args, "reps") ?? 5);
  const llvm = llvmStatus();
  if (!llvm.ok) console.log(`LLVM backend unavailable (${llvm.reason}): its columns are left empty\n`);
  const load = loadavg();
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const name of ["mlp", "cnn_avgpool", "cnn_maxpool"]) {
    const f = fixture(name);
    const circuit = compile(f.model, { calibration: f.calib });
    const x = repeatSamples(f.x, samples);
    const q = circuit.quantizeInputs([x]);
    const module = importOnnx(f.model);
    const bytes = readFileSync(f.model);
    const inputName = module.funcs[0]!.args[0]!.nameHint ?? "input";
    const perS = (ms: number | undefined) => (ms === undefined ? undefined : Math.round((samples / ms) * 1000));
    const clearOf = (fhe: "disable" | "simulate") => timeIt(reps, () => circuit.runClear(q, { fhe, backend: "clear" }));
    const llvmOf = async (fhe: "disable" | "simulate") => (llvm.ok ? timeIt(reps, () => circuit.runClear(q, { fhe, backend: "llvm" })) : undefined);
    // Compile outside the timed runs (cached per circuit and mode).
    const compileMs = llvm.ok ? [compileLlvm(circuit.func, { approximateTies: "up" }), compileLlvm(circuit.func, { approximateTies: "random", pError: circuit.pError })] : [];
    const r = {
      clearDisable: perS(await clearOf("disable")),
      llvmDisable: perS(await llvmOf("disable")),
      clearSimulate: perS(await clearOf("simulate")),
      llvmSimulate: perS(await llvmOf("simulate")),
      llvmSimulateEndToEnd: llvm.ok ? perS(await timeIt(reps, () => circuit.predictClear(x, { fhe: "simulate", backend: "llvm" }))) : undefined,
      reference: perS(await timeIt(reps, () => runReference(module.funcs[0]!, [x]))),
      onnxruntime: perS(await timeIt(reps, () => runOnnxRuntime(bytes, new Map([[inputName, x]])))),
      onnxruntimeSession: perS(await ortSessionRun(bytes, inputName, x, reps)),
    };
    const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(1)}×` : "–");
    rows.push([
      name, circuit.info().lookupsPerSample, r.clearDisable!, r.llvmDisable ?? "–", ratio(r.llvmDisable, r.clearDisable),
      r.clearSimulate!, r.llvmSimulate ?? "–", ratio(r.llvmSimulate, r.clearSimulate), r.llvmSimulateEndToEnd ?? "–", r.onnxruntimeSession!, r.onnxruntime!, r.reference!,
      compileMs.length ? compileMs.map((c) => Math.round(c)).join(" / ") : "–",
    ]);
    json.push({ model: name, samples, lookupsPerSample: circuit.info().lookupsPerSample, samplesPerSec: r, llvmCompileMs: compileMs });
  }
  console.log(`clear-circuit throughput, ${samples} samples, median of ${reps} runs (${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; load average ${load.map((l) => l.toFixed(1)).join(", ")} at start)\n`);
  console.log(
    markdownTable(
      [
        "model", "table lookups / sample", "clear disable", "llvm disable", "llvm / clear", "clear simulate", "llvm simulate", "llvm / clear",
        "llvm simulate, float in/out", "onnxruntime float (session reused)", "onnxruntime float (new session)", "fhec float reference", "llvm compile ms (disable / simulate)",
      ],
      rows,
    ),
  );
  console.log(
    "\n(samples/s. The clear/llvm columns time the integer circuit alone (inputs quantized once); 'float in/out' adds quantizing and decoding. " +
      "onnxruntime runs the float model with its default optimizations and threads, on a session created once, or per call as runOnnxRuntime does.)",
  );
  console.log(`\nwrote ${writeJson("simulate", { samples, reps, cpu: cpus()[0]?.model, loadAverage: load, results: json })}`);
}
