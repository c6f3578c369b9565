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

/** Each timed run lasts at least this long: calls of a fast column repeat back to back (see timeAlternating). */
const MIN_TIMED_MS = 10;

/**
 * Median wall times (ms) per call of each function, run in turn `reps` times (A, B, C, A, B, C, …),
 * so that a change of the machine's load weighs on all of them alike. Each timed run follows an
 * untimed call of the same function, so that it does not pay for the previous one's garbage
 * (collected concurrently, on the same two cores) or find the caches full of its data. A timed run
 * makes as many calls of the same batch, back to back, as fill MIN_TIMED_MS (counted per function
 * from its first calls): a single call of the mlp lasts ~0.1–0.3 ms, near the timer's and the
 * scheduler's granularity, and the median of 9 such calls moved by 1.8× between runs. Also counts
 * the minor page faults per timed call: memory the process maps afresh (a call's new result
 * arrays among it), each fault costing ~15–20 µs on the shared VM, made the mlp's columns swing
 * by up to 6× from process to process.
 */
async function timeAlternating(reps: number, fs: readonly ((() => unknown | Promise<unknown>) | undefined)[]): Promise<{ ms: number | undefined; faultsPerCall: number | undefined }[]> {
  const ms: number[][] = fs.map(() => []);
  const calls: number[] = [];
  const faults = fs.map(() => 0);
  const timedCalls = fs.map(() => 0);
  for (let r = 0; r < reps; r++) {
    for (const [i, f] of fs.entries()) {
      if (!f) continue;
      await f();
      if (calls[i] === undefined) {
        const t = performance.now();
        await f();
        calls[i] = Math.max(1, Math.ceil(MIN_TIMED_MS / Math.max(performance.now() - t, 1e-3)));
      }
      const faultsBefore = process.resourceUsage().minorPageFault;
      const t = performance.now();
      for (let c = 0; c < calls[i]!; c++) await f();
      ms[i]!.push((performance.now() - t) / calls[i]!);
      faults[i]! += process.resourceUsage().minorPageFault - faultsBefore;
      timedCalls[i]! += calls[i]!;
    }
  }
  return fs.map((f, i) => (f ? { ms: median(ms[i]!), faultsPerCall: faults[i]! / timedCalls[i]! } : { ms: undefined, faultsPerCall: undefined }));
}

/** onnxruntime on a session created once (its best case): `session.run` on the whole batch, with its default threads or one. */
async function ortSession(bytes: Uint8Array, inputName: string, x: { shape: readonly number[]; data: ArrayLike<number> }, oneThread: boolean): Promise<() => Promise<unknown>> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(bytes, oneThread ? { intraOpNumThreads: 1, interOpNumThreads: 1 } : {});
  const feeds = { [inputName]: new ort.Tensor("float32", Float32Array.from(x.data), [...x.shape]) };
  await session.run(feeds);
  return () => session.run(feeds);
}

export async function main(args: string[]): Promise<void> {
  const samples = Number(arg(args, "samples") ?? 1000);
  const reps = Number(arg(args, "reps") ?? 5);
  const llvm = llvmStatus();
  if (!llvm.ok) console.log(`LLVM backend unavailable (${llvm.reason}): its columns are left empty\n`);
  const load = loadavg();
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  const faultLines: string[] = [];
  for (const name of ["mlp", "cnn_avgpool", "cnn_maxpool"]) {
    const f = fixture(name);
    const circuit = compile(f.model, { calibration: f.calib });
    const x = repeatSamples(f.x, samples);
    const q = circuit.quantizeInputs([x]);
    const module = importOnnx(f.model);
    const bytes = readFileSync(f.model);
    const inputName = module.funcs[0]!.args[0]!.nameHint ?? "input";
    const perS = (ms: number | undefined) => (ms === undefined ? undefined : Math.round((samples / ms) * 1000));
    // Each integer column writes into its own result arrays, made once (RunOptions.outputs), as a
    // loop over batches would: a fresh 80 KB array per call was faulted in afresh (see timeAlternating).
    const sizes = circuit.runClear(q, { fhe: "disable", backend: "clear" }).map((o) => o.data.length);
    const run = (fhe: "disable" | "simulate", backend: "clear" | "llvm", fresh = false) => {
      if (backend === "llvm" && !llvm.ok) return undefined;
      const outputs = sizes.map((n) => new Float64Array(n));
      return () => circuit.runClear(q, { fhe, backend, ...(fresh ? {} : { outputs }) });
    };
    // Compile outside the timed runs (cached per circuit and mode).
    const compileMs = llvm.ok ? [compileLlvm(circuit.func, { approximateTies: "up" }), compileLlvm(circuit.func, { approximateTies: "random", pError: circuit.pError })] : [];
    const columns = ["clearDisable", "llvmDisable", "llvmDisableFreshArrays", "clearSimulate", "llvmSimulate", "llvmSimulateEndToEnd", "reference", "onnxruntime", "onnxruntimeSession", "onnxruntimeSessionOneThread"] as const;
    const timed = await timeAlternating(reps, [
      run("disable", "clear"), run("disable", "llvm"), run("disable", "llvm", true), run("simulate", "clear"), run("simulate", "llvm"),
      llvm.ok ? () => circuit.predictClear(x, { fhe: "simulate", backend: "llvm" }) : undefined,
      () => runReference(module.funcs[0]!, [x]),
      () => runOnnxRuntime(bytes, new Map([[inputName, x]])),
      await ortSession(bytes, inputName, x, false),
      await ortSession(bytes, inputName, x, true),
    ]);
    const [clearDisable, llvmDisable, llvmDisableFreshArrays, clearSimulate, llvmSimulate, llvmSimulateEndToEnd, reference, onnxruntime, onnxruntimeSession, onnxruntimeSessionOneThread] = timed.map((c) => c.ms);
    const faultsPerCall = Object.fromEntries(columns.flatMap((c, i) => (timed[i]!.faultsPerCall === undefined ? [] : [[c, Number(timed[i]!.faultsPerCall.toFixed(1))]])));
    faultLines.push(`${name}: ${Object.entries(faultsPerCall).map(([c, f]) => `${c} ${f}`).join(", ")}`);
    const r = {
      clearDisable: perS(clearDisable), llvmDisable: perS(llvmDisable), llvmDisableFreshArrays: perS(llvmDisableFreshArrays), clearSimulate: perS(clearSimulate), llvmSimulate: perS(llvmSimulate),
      llvmSimulateEndToEnd: perS(llvmSimulateEndToEnd), reference: perS(reference), onnxruntime: perS(onnxruntime),
      onnxruntimeSession: perS(onnxruntimeSession), onnxruntimeSessionOneThread: perS(onnxruntimeSessionOneThread),
    };
    const ratio = (a: number | undefined, b: number | undefined, digits = 1) => (a && b ? `${(a / b).toFixed(digits)}×` : "–");
    rows.push([
      name, circuit.info().lookupsPerSample, r.clearDisable!, r.llvmDisable ?? "–", ratio(r.llvmDisable, r.clearDisable), r.llvmDisableFreshArrays ?? "–",
      ratio(r.llvmDisable, r.onnxruntimeSessionOneThread, 2),
      r.clearSimulate!, r.llvmSimulate ?? "–", ratio(r.llvmSimulate, r.clearSimulate), r.llvmSimulateEndToEnd ?? "–", r.onnxruntimeSession!, r.onnxruntimeSessionOneThread!, r.onnxruntime!, r.reference!,
      compileMs.length ? compileMs.map((c) => Math.round(c)).join(" / ") : "–",
    ]);
    json.push({ model: name, samples, lookupsPerSample: circuit.info().lookupsPerSample, samplesPerSec: r, minorPageFaultsPerCall: faultsPerCall, llvmCompileMs: compileMs });
  }
  console.log(`clear-circuit throughput, ${samples} samples per call, median of ${reps} runs taken in turn, each of at least ${MIN_TIMED_MS} ms of calls (${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; load average ${load.map((l) => l.toFixed(1)).join(", ")} at start)\n`);
  console.log(
    markdownTable(
      [
        "model", "table lookups / sample", "clear disable", "llvm disable", "llvm / clear", "llvm disable, new result arrays per call", "llvm disable / onnxruntime 1 thread", "clear simulate", "llvm simulate", "llvm / clear",
        "llvm simulate, float in/out", "onnxruntime float (session reused)", "onnxruntime float (session reused, 1 thread)", "onnxruntime float (new session)", "fhec float reference", "llvm compile ms (disable / simulate)",
      ],
      rows,
    ),
  );
  console.log(
    "\n(samples/s; every call runs the whole batch. The clear/llvm columns time the integer circuit alone (inputs quantized once), " +
      "on one thread, writing into result arrays made once (RunOptions.outputs) unless the column says 'new result arrays'; 'float in/out' adds quantizing and decoding. onnxruntime runs the float model with its default optimizations, on a session " +
      "created once (with its default threads, or one), or per call as runOnnxRuntime does.)",
  );
  console.log(`\nminor page faults per timed call (fresh memory mapped in: a call's new result arrays, 80 KB for the mlp, in the columns that make them):\n${faultLines.join("\n")}`);
  console.log(`\nwrote ${writeJson("simulate", { samples, reps, minTimedMs: MIN_TIMED_MS, cpu: cpus()[0]?.model, loadAverage: load, results: json })}`);
}
