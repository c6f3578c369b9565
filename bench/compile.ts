// `npm run bench -- compile [--reps N]`: compile time per fixture model (import, calibration,
// quantization, table construction, bit widths). Prints a markdown table, writes bench/out/compile.json.
import { readdirSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { compile } from "../compiler/compile.js";
import { fixture, markdownTable, median, repoRoot, writeJson } from "./fixtures.js";

export async function main(args: string[]): Promise<void> {
  const i = args.indexOf("--reps");
  const reps = i >= 0 ? Number(args[i + 1]) : 5;
  const names = readdirSync(join(repoRoot(), "tests", "fixtures", "models")).sort();
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const name of names) {
    const f = fixture(name);
    const ms: number[] = [];
    let info;
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      info = compile(f.model, { calibration: f.calib }).info();
      ms.push(performance.now() - t);
    }
    const m = Math.round(median(ms));
    rows.push([name, m, info!.tluCount, info!.lookupsPerSample, info!.maxTluInputPrecision]);
    json.push({ model: name, compileMs: m, tluOps: info!.tluCount, lookupsPerSample: info!.lookupsPerSample });
  }
  console.log(`compile time, median of ${reps} runs (${cpus()[0]?.model ?? "?"})\n`);
  console.log(markdownTable(["model", "compile (ms)", "table ops", "PBS / sample", "max table input bits"], rows));
  console.log(`\nwrote ${writeJson("compile", { reps, results: json })}`);
}
