// `npm run bench -- fuzz [--minutes-per-kind M] [--kinds a,b] [--onnx-watchdog-s S] [--onnx-cap-mib C]`:
// long mutation-fuzz runs (bench/fuzz_harness.ts). Artifact kinds run in this process; ONNX
// models each run in a child process under a watchdog (a case over S seconds is a hang and is
// killed) and a memory check (peak resident memory over C MiB is a finding). Each artifact kind
// reports its own peak resident memory; the evaluation-keys kind's must stay within the server's
// bound (keyUploadMemoryBound above the resident memory it started with), however many uploads it
// refuses. Writes bench/out/fuzz.json; exits 1 on any finding.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ARTIFACT_KINDS, consumeOnnx, fuzzKind, keyUploadMemoryBound, type KindReport, makeCorpus, mutateBytes, outcomeOf, Rng } from "./fuzz_harness.js";
import { arg, fixture, markdownTable, take, writeJson } from "./fixtures.js";

interface OnnxReport {
  readonly kind: "onnx";
  readonly cases: number;
  readonly accepted: number;
  readonly refused: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly overCap: number;
  readonly maxPeakMiB: number;
  readonly findings: readonly { seed: number; error: string }[];
}

/** Peak resident memory of a process (VmHWM), in MiB; 0 once it is gone. */
function peakMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Restarts this process's peak resident memory count (Linux: `5` to clear_refs), so a kind's peak is its own. */
function resetPeak(): void {
  writeFileSync("/proc/self/clear_refs", "5");
}

/** One ONNX case in a child process: `node fuzz.js --onnx-case SEED` prints its outcome. */
function onnxCase(seed: number, watchdogMs: number, capMiB: number): Promise<{ outcome: string; error?: string; peak: number; hang: boolean }> {
  return new Promise((resolve) => {
    const self = fileURLToPath(import.meta.url);
    const child = spawn(process.execPath, [self, "--onnx-case", String(seed)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let peak = 0;
    let hang = false;
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", () => {});
    const poll = setInterval(() => {
      peak = Math.max(peak, peakMiB(child.pid!));
      if (peak > capMiB) child.kill("SIGKILL");
    }, 20);
    const timer = setTimeout(() => {
      hang = true;
      child.kill("SIGKILL");
    }, watchdogMs);
    child.on("exit", () => {
      clearInterval(poll);
      clearTimeout(timer);
      const line = out.trim().split("\n").pop() ?? "";
      try {
        const r = JSON.parse(line) as { outcome: string; error?: string; peak: number };
        resolve({ ...r, peak: Math.max(peak, r.peak), hang });
      } catch {
        resolve({ outcome: hang ? "hang" : "crash", error: hang ? "killed by the watchdog" : peak > capMiB ? "killed over the memory cap" : `child died: ${line.slice(0, 200)}`, peak, hang });
      }
    });
  });
}

async function runOnnxCase(seed: number): Promise<void> {
  const f = fixture("logreg_demo");
  const bytes = new Uint8Array(readFileSync(f.model));
  const r = await outcomeOf(() => consumeOnnx(mutateBytes(bytes, new Rng(seed), 256), f.calib, true));
  process.stdout.write(`${JSON.stringify({ ...r, peak: peakMiB(process.pid) })}\n`);
}

export async function main(args: string[]): Promise<void> {
  const minutes = Number(arg(args, "minutes-per-kind") ?? "10");
  const budgetMs = minutes * 60_000;
  const only = arg(args, "kinds")?.split(",");
  const watchdogMs = Number(arg(args, "onnx-watchdog-s") ?? "10") * 1000;
  const capMiB = Number(arg(args, "onnx-cap-mib") ?? "1024");
  const f = fixture("logreg_demo");
  const corpus = await makeCorpus(f.model, f.calib, take(f.x, 2));
  const reports: ((KindReport & { peakMiB: number; boundMiB?: number; overBound?: boolean }) | OnnxReport)[] = [];
  for (const kind of ARTIFACT_KINDS) {
    if (only && !only.includes(kind.name)) continue;
    process.stderr.write(`fuzzing ${kind.name} for ${minutes} min…\n`);
    resetPeak();
    const startMiB = process.memoryUsage().rss / 2 ** 20;
    const r = await fuzzKind(corpus, kind, { cases: Number.MAX_SAFE_INTEGER, budgetMs });
    const peak = peakMiB(process.pid);
    // Refused key uploads must not accumulate: the kind's peak stays within the server's bound.
    if (kind.name !== "evaluation-keys") reports.push({ ...r, peakMiB: Math.round(peak) });
    else {
      const boundMiB = Math.round(startMiB + keyUploadMemoryBound(corpus.server) / 2 ** 20);
      reports.push({ ...r, peakMiB: Math.round(peak), boundMiB, overBound: peak > boundMiB });
    }
  }
  if (!only || only.includes("onnx")) {
    process.stderr.write(`fuzzing onnx for ${minutes} min (watchdog ${watchdogMs / 1000} s, cap ${capMiB} MiB)…\n`);
    const start = Date.now();
    const findings: { seed: number; error: string }[] = [];
    let cases = 0, accepted = 0, refused = 0, hangs = 0, overCap = 0, maxPeakMiB = 0;
    for (let seed = 1; Date.now() - start < budgetMs; seed++) {
      const r = await onnxCase(seed, watchdogMs, capMiB);
      cases++;
      maxPeakMiB = Math.max(maxPeakMiB, r.peak);
      if (r.hang) hangs++;
      if (r.peak > capMiB) overCap++;
      if (r.outcome === "accepted") accepted++;
      else if (r.outcome === "refused") refused++;
      else findings.push({ seed, error: r.error ?? r.outcome });
    }
    reports.push({ kind: "onnx", cases, accepted, refused, crashes: findings.length, hangs, overCap, maxPeakMiB: Math.round(maxPeakMiB), findings: findings.slice(0, 20) });
  }
  console.log(markdownTable(["kind", "cases", "accepted", "refused", "crashes", "slow/hangs", "notes"], reports.map((r) => [
    r.kind, r.cases, r.accepted, r.refused, r.crashes,
    "slow" in r ? r.slow : r.hangs,
    "maxPeakMiB" in r ? `peak ${r.maxPeakMiB} MiB, ${r.overCap} over cap` : `max case ${r.maxCaseMs} ms, peak ${r.peakMiB} MiB${r.boundMiB === undefined ? "" : ` (${r.overBound ? "OVER the" : "within its"} bound of ${r.boundMiB})`}`,
  ])));
  for (const r of reports) for (const x of r.findings.slice(0, 5)) console.log(`${r.kind} seed ${x.seed}: ${x.error}`);
  console.log(`wrote ${writeJson("fuzz", { minutesPerKind: minutes, watchdogMs, capMiB, reports })}`);
  if (reports.some((r) => r.crashes > 0 || ("slow" in r ? r.slow : r.hangs + r.overCap) > 0 || ("overBound" in r && r.overBound))) process.exitCode = 1;
}

if (process.argv[2] === "--onnx-case") await runOnnxCase(Number(process.argv[3]));
