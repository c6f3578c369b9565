// `npm run bench -- artifacts [--params NAME] [--ciphertext-gib X]`: the largest artifacts through
// streams, each case in its own process so its peak RSS is its own: seeded keys generated and
// written to disk, read back and expanded while read, and a ciphertext tensor of X GiB (default
// 4.5, over Node's 4 GiB Buffer limit) written and read back. Prints a markdown table, writes
// bench/out/artifacts.json. Memory heavy: run it alone.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openFileChunks, writeStreamAtomic } from "../compiler/stream_io.js";
import { ClientKey, LweCiphertextTensor, parseChunks, SeededEvaluationKeys, type TfheParameters } from "../runtime/index.js";
import * as sets from "../runtime/parameter_sets.js";
import { arg, markdownTable, writeJson } from "./fixtures.js";

interface Row {
  case: string;
  bytes: number;
  seconds: number;
  peakRssBytes: number;
}

function paramsNamed(name: string): TfheParameters {
  const p = (sets as unknown as Record<string, unknown>)[name];
  if (!(p && typeof p === "object" && "hash" in p)) throw new Error(`unknown parameter set ${name}`);
  return p as TfheParameters;
}

const peak = (): number => process.resourceUsage().maxRSS * 1024;

/** One case, in this process (called in a child). */
async function child(kind: string, dir: string, params: TfheParameters, gib: number): Promise<Row> {
  const t = performance.now();
  const keyFile = join(dir, "eval.key");
  if (kind === "keygen") {
    const seeded = await ClientKey.generate(params).generateSeededEvaluationKeys();
    writeStreamAtomic(keyFile, seeded.stream());
    return { case: `keygen + write seeded keys (${params.name})`, bytes: statSync(keyFile).size, seconds: (performance.now() - t) / 1000, peakRssBytes: peak() };
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

export async function main(args: string[]): Promise<void> {
  const params = paramsNamed(arg(args, "params") ?? "CONCRETE_P8");
  const gib = Number(arg(args, "ciphertext-gib") ?? 4.5);
  const childKind = arg(args, "child");
  if (childKind) {
    const row = await child(childKind, arg(args, "dir")!, params, gib);
    process.stdout.write(`${JSON.stringify(row)}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "fhec-bench-artifacts-"));
  const mainJs = join(fileURLToPath(new URL(".", import.meta.url)), "main.js");
  const rows: Row[] = [];
  try {
    for (const kind of ["keygen", "expand", "ciphertexts"]) {
      const r = spawnSync(process.execPath, [mainJs, "artifacts", "--child", kind, "--dir", dir, "--params", params.name ?? "", "--ciphertext-gib", String(gib)],
        { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`bench case ${kind} failed (exit ${r.status})`);
      rows.push(JSON.parse(r.stdout.trim().split("\n").pop()!) as Row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const gb = (n: number): string => (n / 2 ** 30).toFixed(2);
  console.log(markdownTable(["case", "artifact GiB", "s", "peak RSS GiB", "peak / artifact"],
    rows.map((r) => [r.case, gb(r.bytes), r.seconds.toFixed(1), gb(r.peakRssBytes), (r.peakRssBytes / r.bytes).toFixed(2)])));
  console.log(`wrote ${writeJson("artifacts", { params: params.name, rows })}`);
}
