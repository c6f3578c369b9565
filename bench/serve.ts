// `npm run bench -- serve [--model logreg_demo] [--requests 64] [--samples 1]`: requests per
// second and p50/p99 latency of encrypted predictions through `fhec serve` (a separate process,
// over loopback HTTP) at client concurrency 1, 4 and 16, next to the same requests run in process
// with FheModelServer.run: the difference is the HTTP cost (framing, copies, the queue). Writes
// bench/out/serve.json. Timings share the machine with whatever else runs: run it alone.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../compiler/compile.js";
import { FheModelClient } from "../compiler/deploy/client.js";
import { FheModelServer } from "../compiler/deploy/server.js";
import { serializeClientSpec } from "../compiler/deploy/artifacts.js";
import { FheHttpClient } from "../compiler/serve/client.js";
import { arg, fixture, markdownTable, take, writeJson } from "./fixtures.js";

const CONCURRENCY = [1, 4, 16];

interface Row {
  readonly path: "in-process" | "http";
  readonly concurrency: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Runs `requests` calls of `one` with `concurrency` in flight; latency of each and the wall time. */
async function load(one: () => Promise<unknown>, requests: number, concurrency: number): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next++;
      const t = performance.now();
      await one();
      latencies.push(performance.now() - t);
    }
  }));
  return { seconds: (performance.now() - start) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

function row(path: Row["path"], concurrency: number, r: { seconds: number; latencies: number[] }): Row {
  return {
    path,
    concurrency,
    requests: r.latencies.length,
    requestsPerSecond: r.latencies.length / r.seconds,
    p50Ms: percentile(r.latencies, 0.5),
    p99Ms: percentile(r.latencies, 0.99),
  };
}

async function startServer(circuitPath: string): Promise<{ url: string; stop(): Promise<void> }> {
  const cli = join(fileURLToPath(new URL("..", import.meta.url)), "compiler", "cli", "main.js");
  // The server queues everything the clients send at once (16 in flight at most).
  const proc = spawn(process.execPath, [cli, "serve", circuitPath, "--port", "0", "--queue", "64"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString("utf8")));
  const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+:\d+)/.exec(log);
    if (m) return { url: m[1]!, stop: async () => void (proc.kill("SIGTERM"), await exited) };
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`fhec serve did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function main(args: string[]): Promise<void> {
  const name = arg(args, "model") ?? "logreg_demo";
  const requests = Number(arg(args, "requests") ?? 64);
  const samples = Number(arg(args, "samples") ?? 1);
  const f = fixture(name);
  const circuit = compile(f.model, { calibration: f.calib, nBits: name === "logreg_demo" ? 3 : undefined });
  const dir = mkdtempSync(join(tmpdir(), "fhec-bench-serve-"));
  const rows: Row[] = [];
  let pbsPerSample = 0;
  try {
    const local = new FheModelServer(circuit);
    pbsPerSample = local.pbsPerSample;
    const client = FheModelClient.load(serializeClientSpec(local.clientSpec()));
    const keys = await client.generateKeys();
    const keyId = await local.addEvaluationKeys(keys.evaluationKeys);
    const inputs = client.encrypt(take(f.x, samples));
    for (const c of CONCURRENCY) rows.push(row("in-process", c, await load(() => local.run(keyId, inputs), requests, c)));

    const circuitPath = join(dir, "circuit.fhe");
    writeFileSync(circuitPath, circuit.serialize());
    const server = await startServer(circuitPath);
    try {
      const http = new FheHttpClient(server.url);
      await http.uploadKeys(keys.evaluationKeys);
      for (const c of CONCURRENCY) rows.push(row("http", c, await load(() => http.predictEncrypted(keyId, inputs), requests, c)));
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${name}, ${samples} sample(s) per request, ${requests} requests per row (${pbsPerSample} PBS per sample)`);
  console.log(markdownTable(["path", "concurrency", "requests/s", "p50 ms", "p99 ms"],
    rows.map((r) => [r.path, r.concurrency, r.requestsPerSecond.toFixed(1), r.p50Ms.toFixed(1), r.p99Ms.toFixed(1)])));
  console.log(`wrote ${writeJson("serve", { model: name, samples, requests, rows })}`);
}
