// `npm run bench -- artifacts [--cases LIST] [--params NAME] [--ciphertext-gib X] [--p-error P]`:
// the largest artifacts, each case in its own process so its peak RSS is its own. Memory heavy
// (up to ~10 GiB): run it alone, and check `free -g` first. Cases (default: all, in this order):
// - keygen, expand, ciphertexts: the runtime alone. Seeded keys of --params (default CONCRETE_P8)
//   generated and written to disk; read back and expanded while read; a ciphertext tensor of X GiB
//   (default 4.5, over Node's 4 GiB Buffer limit) encrypted, written and read back.
// - keygen-partitions: `fhec keygen` of a two-partition key set (mlp, 8-bit tables, compiled with
//   the key budget raised so both partitions stay: N = 16384 each), under /usr/bin/time -v.
// - cli-32768: the CLI loop at N = 32768: `fhec compile` mlp with --rounding-bits 8 --p-error P
//   (default 1e-22, the largest decade that gives N = 32768), then keygen, encrypt of one
//   sample, run and decrypt, each under /usr/bin/time -v; the decrypted output is compared with
//   the clear quantized circuit's.
// Keygen rows carry the bound key generation is held to (keygenPeakBound: 1.25 × the largest
// single seeded key + 256 MiB). Prints a markdown table, writes bench/out/artifacts.json (the
// cases run, with the machine's load average at each).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openFileChunks, writeStreamAtomic } from "../compiler/stream_io.js";
import { compile } from "../compiler/compile.js";
import { FheCircuit } from "../compiler/circuit.js";
import { combineKeySizes, keygenPeakBound, keySizes } from "../compiler/cost/index.js";
import { readNpy, writeNpy } from "../compiler/data/npy.js";
import { serializeClientSpec } from "../compiler/deploy/artifacts.js";
import { FheModelServer } from "../compiler/deploy/server.js";
import { ClientKey, LweCiphertextTensor, parseChunks, SeededEvaluationKeys, type TfheParameters } from "../runtime/index.js";
import * as sets from "../runtime/parameter_sets.js";
import { arg, fixture, markdownTable, repoRoot, take, writeJson } from "./fixtures.js";

interface Row {
  case: string;
  bytes: number;
  seconds: number;
  peakRssBytes: number;
  /** Key generation: the peak RSS bound (keygenPeakBound). */
  boundBytes?: number;
  /** 1-minute load average when the case started (the machine is shared). */
  load1?: number;
  note?: string;
  /** The decrypted output (cli-32768). */
  output?: number[];
}

const CASES = ["keygen", "expand", "ciphertexts", "keygen-partitions", "cli-32768"] as const;

function paramsNamed(name: string): TfheParameters {
  const p = (sets as unknown as Record<string, unknown>)[name];
  if (!(p && typeof p === "object" && "hash" in p)) throw new Error(`unknown parameter set ${name}`);
  return p as TfheParameters;
}

const peak = (): number => process.resourceUsage().maxRSS * 1024;

/** One runtime case, in this process (called in a child). */
async function child(kind: string, dir: string, params: TfheParameters, gib: number): Promise<Row> {
  const t = performance.now();
  const keyFile = join(dir, "eval.key");
  if (kind === "keygen") {
    const seeded = await ClientKey.generate(params).generateSeededEvaluationKeys();
    writeStreamAtomic(keyFile, seeded.stream());
    const bytes = statSync(keyFile).size;
    return { case: `keygen + write seeded keys (${params.name})`, bytes, seconds: (performance.now() - t) / 1000, peakRssBytes: peak(), boundBytes: keygenPeakBound(keySizes(params)) };
  }
  if (kind === "expand") {
    const f = openFileChunks(keyFile);
    const keys = parseChunks(SeededEvaluationKeys.expandingParser(params, f.size), f.chunks());
    return { case: `read + expand while reading (${keys.sizes().total} B expanded)`, bytes: f.size, seconds: (performance.now() - t) / 1000, peakRssBytes: peak() };
  }
  const key = ClientKey.generate(params);
  const count = Math.ceil((gib * 2 ** 30) / ((params.bigDimension + 1) * 8));
  const ct = key.encrypt(new Array<number>(count).fill(1), 4, { shape: [count] });
  const path = join(dir, "x.ct");
  writeStreamAtomic(path, ct.stream());
  const f = openFileChunks(path);
  const back = parseChunks(LweCiphertextTensor.parser(params, f.size), f.chunks());
  if (back.size !== count) throw new Error("ciphertext count changed through the file");
  return { case: `ciphertexts: encrypt + write + read back`, bytes: f.size, seconds: (performance.now() - t) / 1000, peakRssBytes: peak() };
}

/** Runs `fhec ARGS` under /usr/bin/time -v: wall seconds and peak RSS; throws with its stderr if it fails. */
function timedCli(label: string, args: string[]): Row {
  const row = timedCliRun(label, args);
  console.error(`${label}: ${row.seconds.toFixed(1)} s, peak RSS ${(row.peakRssBytes / 2 ** 30).toFixed(2)} GiB (load ${row.load1?.toFixed(1)})`);
  return row;
}

function timedCliRun(label: string, args: string[]): Row {
  if (!existsSync("/usr/bin/time")) throw new Error("bench artifacts: the CLI cases need /usr/bin/time (GNU time) for the peak RSS");
  const cli = join(repoRoot(), "dist", "compiler", "cli", "main.js");
  const load1 = loadavg()[0]!;
  const r = spawnSync("/usr/bin/time", ["-v", process.execPath, cli, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  const field = (name: string): string | undefined => new RegExp(`${name}: (.*)`).exec(r.stderr)?.[1]?.trim();
  if (r.status !== 0) throw new Error(`fhec ${args[0]} failed (exit ${r.status}):\n${r.stderr}`);
  const rss = Number(field("Maximum resident set size \\(kbytes\\)")) * 1024;
  const wall = field("Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)")!.split(":").map(Number);
  const seconds = wall.reduce((s, v) => s * 60 + v, 0);
  if (!(rss > 0) || !(seconds >= 0)) throw new Error(`bench artifacts: cannot read /usr/bin/time's report:\n${r.stderr}`);
  return { case: label, bytes: 0, seconds, peakRssBytes: rss, load1 };
}

function bound(circuit: FheCircuit): number {
  const parts = circuit.partitions?.partitions ?? [circuit.parameters!];
  return keygenPeakBound(combineKeySizes(parts.map((p, i) => keySizes(p, i === circuit.partitions?.outputKey))));
}

/** `fhec keygen` of a two-partition key set (mlp with 8-bit tables, keys over the default budget kept). */
function keygenPartitions(dir: string): Row[] {
  const f = fixture("mlp");
  const circuit = compile(f.model, { calibration: f.calib, roundingThresholdBits: 8, maxKeyBytes: 64 * 2 ** 30 });
  const outputKey = circuit.partitions?.outputKey;
  const parts = (circuit.partitions?.partitions ?? []).filter((_, i) => i !== outputKey);
  if (parts.length < 2) throw new Error(`bench artifacts: the mlp circuit was expected to keep two partitions with keys, got ${parts.length || 1}`);
  const p = (name: string) => join(dir, name);
  writeFileSync(p("parts.client"), serializeClientSpec(FheModelServer.clientSpecOf(circuit)));
  const row = timedCli(`fhec keygen, ${parts.length} partitions (N = ${parts.map((x) => x.polynomialSize).join(", ")}) + ${circuit.partitions!.conversions.length} conversion key(s)${outputKey !== undefined ? " + an output key" : ""}`,
    ["keygen", p("parts.client"), "--out", p("parts-keys")]);
  const out = { ...row, bytes: statSync(p("parts-keys/eval.key")).size, boundBytes: bound(circuit) };
  rmSync(p("parts-keys"), { recursive: true, force: true });
  return [out];
}

/** The CLI loop at N = 32768: compile, keygen, encrypt one sample, run, decrypt. */
function cli32768(dir: string, pError: string): Row[] {
  const f = fixture("mlp");
  const p = (name: string) => join(dir, name);
  const rows: Row[] = [];
  rows.push(timedCli(`fhec compile mlp --rounding-bits 8 --p-error ${pError}`,
    ["compile", f.model, "--calib", join(repoRoot(), "tests", "fixtures", "models", "mlp", "calib.npy"), "--rounding-bits", "8", "--p-error", pError, "-o", p("c.fhe")]));
  const circuit = FheCircuit.load(p("c.fhe"));
  const params = circuit.parameters!;
  if (params.polynomialSize !== 32768) throw new Error(`bench artifacts: --p-error ${pError} gave N = ${params.polynomialSize}, not 32768`);
  rows[0]!.bytes = statSync(p("c.fhe")).size;
  const n = `N = ${params.polynomialSize}, n = ${params.lweDimension}, PBS 2^${params.pbsBaseLog} × ${params.pbsLevel}`;
  const x = take(f.x, 1);
  writeFileSync(p("x.npy"), writeNpy(x, "float64"));
  rows.push({ ...timedCli(`fhec keygen (${n})`, ["keygen", p("c.client"), "--out", p("keys")]), bytes: statSync(p("keys/eval.key")).size, boundBytes: bound(circuit) });
  rows.push({ ...timedCli("fhec encrypt (1 sample)", ["encrypt", p("c.client"), "--keys", p("keys"), "--input", p("x.npy"), "-o", p("x.ct")]), bytes: statSync(p("x.ct")).size });
  rows.push({ ...timedCli("fhec run (1 sample: read + expand keys, 48 PBS)", ["run", p("c.fhe"), "--eval-keys", p("keys/eval.key"), "--input", p("x.ct"), "-o", p("y.ct")]), bytes: statSync(p("y.ct")).size });
  const dec = timedCli("fhec decrypt (1 sample)", ["decrypt", p("c.client"), "--keys", p("keys"), "--input", p("y.ct"), "-o", p("y.npy")]);
  // Against the clear quantized circuit: approximate rounding (--rounding-bits 8) may read a value
  // one step off near a tie in FHE (README: predict), and a hidden value one step off moves every
  // logit after it; `simulate` draws those reads, so the FHE output should be among its outcomes.
  const got = Array.from(readNpy(readFileSync(p("y.npy"))).data, Number);
  const want = Array.from(circuit.predictClear(x, { fhe: "disable" })[0]!.data, Number);
  if (got.length !== want.length) throw new Error(`bench artifacts: the FHE output has ${got.length} values, the clear circuit's ${want.length}`);
  const argmax = (v: number[]): number => v.indexOf(Math.max(...v));
  const equal = got.filter((v, i) => v === want[i]).length;
  const maxDiff = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
  // simulate has many distinct outcomes on this sample: where FHE's deviation falls among them.
  const seeds = 400;
  let exact = 0;
  let asFar = 0;
  for (let seed = 0; seed < seeds; seed++) {
    const s = Array.from(circuit.predictClear(x, { fhe: "simulate", seed })[0]!.data, Number);
    if (got.every((v, i) => v === s[i])) exact++;
    if (Math.max(...s.map((v, i) => Math.abs(v - want[i]!))) >= maxDiff) asFar++;
  }
  rows.push({ ...dec, bytes: statSync(p("y.npy")).size, output: got,
    note: `FHE output vs the clear quantized circuit's: ${equal}/${got.length} logits equal, max |difference| ${maxDiff.toPrecision(3)}, ` +
      `class ${argmax(got) === argmax(want) ? "equal" : "DIFFERENT"} (${argmax(got)} vs ${argmax(want)}); of ${seeds} simulate seeds, ` +
      `${asFar} deviate from the clear output at least as much and ${exact} give exactly this output`,
  });
  return rows;
}

export async function main(args: string[]): Promise<void> {
  const params = paramsNamed(arg(args, "params") ?? "CONCRETE_P8");
  const gib = Number(arg(args, "ciphertext-gib") ?? 4.5);
  const childKind = arg(args, "child");
  if (childKind) {
    const row = await child(childKind, arg(args, "dir")!, params, gib);
    process.stdout.write(`${JSON.stringify(row)}\n`);
    return;
  }
  const cases = (arg(args, "cases") ?? CASES.join(",")).split(",");
  const unknown = cases.filter((c) => !(CASES as readonly string[]).includes(c));
  if (unknown.length > 0) throw new Error(`bench artifacts: unknown case(s) ${unknown.join(", ")} (known: ${CASES.join(", ")})`);
  const pError = arg(args, "p-error") ?? "1e-22";
  const dir = mkdtempSync(join(tmpdir(), "fhec-bench-artifacts-"));
  const mainJs = join(fileURLToPath(new URL(".", import.meta.url)), "main.js");
  const rows: Row[] = [];
  try {
    for (const kind of cases) {
      if (kind === "keygen-partitions") {
        rows.push(...keygenPartitions(dir));
        continue;
      }
      if (kind === "cli-32768") {
        rows.push(...cli32768(dir, pError));
        continue;
      }
      const load1 = loadavg()[0]!;
      const r = spawnSync(process.execPath, [mainJs, "artifacts", "--child", kind, "--dir", dir, "--params", params.name ?? "", "--ciphertext-gib", String(gib)],
        { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`bench case ${kind} failed (exit ${r.status})`);
      rows.push({ ...(JSON.parse(r.stdout.trim().split("\n").pop()!) as Row), load1 });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const gb = (n: number): string => (n / 2 ** 30).toFixed(2);
  console.log(markdownTable(["case", "artifact GiB", "s", "peak RSS GiB", "keygen bound GiB", "peak / bound", "load (1 min)"],
    rows.map((r) => [r.case, gb(r.bytes), r.seconds.toFixed(1), gb(r.peakRssBytes), r.boundBytes ? gb(r.boundBytes) : "", r.boundBytes ? (r.peakRssBytes / r.boundBytes).toFixed(2) : "", r.load1?.toFixed(1) ?? ""])));
  for (const r of rows.filter((x) => x.note)) console.log(`${r.case}: ${r.note}`);
  console.log(`wrote ${writeJson("artifacts", { params: params.name, cases, rows })}`);
}
