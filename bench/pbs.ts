// `npm run bench -- pbs [--sets a,b] [--reps N] [--batch N]`: KS+PBS latency on one thread,
// batch throughput on all cores, key generation time and key sizes per parameter set; checks the
// table lookup exhaustively for every message. Prints a markdown table, writes bench/out/pbs.json.
import { randomInt } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import {
  ClientKey, CONCRETE_P4, CONCRETE_P5, CONCRETE_P8, FHEC_P1, FHEC_P2, FHEC_P3, FHEC_P6, FHEC_P7, GATE_N630,
  lookupTables, noise, runtimeInfo, type TfheParameters,
} from "../runtime/index.js";

interface SetSpec {
  key: string;
  params: TfheParameters;
  precision: number;
}

const ALL: SetSpec[] = [
  { key: "gate", params: GATE_N630, precision: 1 },
  { key: "p1", params: FHEC_P1, precision: 1 },
  { key: "p2", params: FHEC_P2, precision: 2 },
  { key: "p3", params: FHEC_P3, precision: 3 },
  { key: "p4", params: CONCRETE_P4, precision: 4 },
  { key: "p5", params: CONCRETE_P5, precision: 5 },
  { key: "p6", params: FHEC_P6, precision: 6 },
  { key: "p7", params: FHEC_P7, precision: 7 },
  { key: "p8", params: CONCRETE_P8, precision: 8 },
];

interface Row {
  set: string;
  precision: number;
  n: number;
  k: number;
  N: number;
  pbs: string;
  ks: string;
  keygenMs: number;
  expandMs: number;
  singleThreadMsMedian: number;
  singleThreadMsMin: number;
  samples: number;
  singleThreadBatchedMsPerOp: number;
  batchSize: number;
  batchOpsPerSec: number;
  batchMsPerOp: number;
  evalKeyBytes: number;
  seededEvalKeyBytes: number;
  predictedPError: number;
  exhaustiveCheck: string;
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

async function benchSet(spec: SetSpec, reps: number, batchArg: number | undefined): Promise<Row> {
  const { params, precision } = spec;
  const threads = runtimeInfo().threads;
  let t = performance.now();
  const client = ClientKey.generate(params);
  const seeded = await client.generateSeededEvaluationKeys();
  const keygenMs = performance.now() - t;
  t = performance.now();
  const server = await seeded.expand();
  const expandMs = performance.now() - t;

  // Exhaustive correctness: every message through one random table.
  const size = 2 ** precision;
  const table = Array.from({ length: size }, () => randomInt(size));
  const msgs = Array.from({ length: size }, (_, m) => m);
  const out = await server.applyLookupTable(client.encrypt(msgs, precision), lookupTables(table, precision));
  const got = client.decrypt(out, precision);
  const wrong = got.filter((g, m) => g !== table[m]).length;
  const exhaustiveCheck = wrong === 0 ? `ok (${size}/${size})` : `${wrong} of ${size} wrong`;

  // Latency: one KS+PBS at a time on one thread.
  const tables = lookupTables(table, precision);
  const one = client.encrypt([randomInt(size)], precision);
  server.applyLookupTableSync(one, tables, { parallel: false }); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    server.applyLookupTableSync(one, tables, { parallel: false });
    times.push(performance.now() - s);
  }

  // One thread, 8 ciphertexts per call: the runtime blind-rotates up to 4 together, reading each
  // bootstrapping-key entry once per group.
  const eight = client.encrypt(Array.from({ length: 8 }, () => randomInt(size)), precision);
  const groupTimes: number[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(reps / 4)); i++) {
    const s = performance.now();
    server.applyLookupTableSync(eight, tables, { parallel: false });
    groupTimes.push((performance.now() - s) / 8);
  }

  // Throughput: a batch on all cores through the async API.
  const batchSize = batchArg ?? Math.max(4 * threads, Math.min(64, Math.round(2000 / median(times))));
  const batch = client.encrypt(Array.from({ length: batchSize }, () => randomInt(size)), precision);
  t = performance.now();
  await server.applyLookupTable(batch, tables);
  const batchMs = performance.now() - t;

  return {
    set: params.name ?? spec.key,
    precision,
    n: params.lweDimension,
    k: params.glweDimension,
    N: params.polynomialSize,
    pbs: `2^${params.pbsBaseLog}×${params.pbsLevel}`,
    ks: `2^${params.ksBaseLog}×${params.ksLevel}`,
    keygenMs,
    expandMs,
    singleThreadMsMedian: median(times),
    singleThreadMsMin: Math.min(...times),
    samples: reps,
    singleThreadBatchedMsPerOp: median(groupTimes),
    batchSize,
    batchOpsPerSec: (batchSize / batchMs) * 1000,
    batchMsPerOp: batchMs / batchSize,
    evalKeyBytes: server.sizes().total,
    seededEvalKeyBytes: seeded.sizes().total,
    predictedPError: noise.predictedPError(params, precision, 1),
    exhaustiveCheck,
  };
}

export async function main(args: string[]): Promise<void> {
  const wanted = (arg(args, "--sets") ?? ALL.map((s) => s.key).join(",")).split(",");
  const unknown = wanted.filter((w) => !ALL.some((s) => s.key === w));
  if (unknown.length) throw new Error(`unknown set(s) ${unknown.join(", ")}; known: ${ALL.map((s) => s.key).join(", ")}`);
  const reps = Number(arg(args, "--reps") ?? 20);
  if (!Number.isInteger(reps) || reps < 1) throw new Error("--reps must be a positive integer");
  const batchArg = arg(args, "--batch") === undefined ? undefined : Number(arg(args, "--batch"));
  const info = runtimeInfo();
  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} vCPU, kernel ${info.kernel}, ${info.threads} threads`;
  const load = loadavg()[0]!.toFixed(2);
  console.log(`# KS+PBS benchmark\n\nMachine: ${machine}; load average at start ${load}\n`);
  const rows: Row[] = [];
  for (const spec of ALL.filter((s) => wanted.includes(s.key))) {
    process.stderr.write(`bench pbs: ${spec.params.name}...\n`);
    rows.push(await benchSet(spec, reps, batchArg));
  }
  const header = "| set | p | n | k | N | PBS | KS | KS+PBS 1 thread, latency ms: median (min) | 1 thread, batch of 8 (ms/op) | batch ms/op (all cores) | keygen s | expand s | eval keys MiB | seeded MiB | p_err (model) | exhaustive |";
  console.log(header);
  console.log(`|${header.split("|").slice(1, -1).map(() => "---").join("|")}|`);
  for (const r of rows) {
    console.log(`| ${r.set} | ${r.precision} | ${r.n} | ${r.k} | ${r.N} | ${r.pbs} | ${r.ks} | ${r.singleThreadMsMedian.toFixed(2)} (${r.singleThreadMsMin.toFixed(2)}) | ` +
      `${r.singleThreadBatchedMsPerOp.toFixed(2)} | ` +
      `${r.batchMsPerOp.toFixed(2)} | ${(r.keygenMs / 1000).toFixed(2)} | ${(r.expandMs / 1000).toFixed(2)} | ` +
      `${mib(r.evalKeyBytes)} | ${mib(r.seededEvalKeyBytes)} | ${r.predictedPError.toExponential(1)} | ${r.exhaustiveCheck} |`);
  }
  const outDir = join(process.cwd(), "bench", "out");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "pbs.json"),
    JSON.stringify({ machine, loadAverageAtStart: Number(load), date: new Date().toISOString(), rows }, null, 2) + "\n");
  console.log(`\nwrote ${join("bench", "out", "pbs.json")}`);
}
