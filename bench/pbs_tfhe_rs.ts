// `npm run bench -- pbs --sets tfhe-rs`: fhec's KS-PBS and PBS at tfhe-rs's own shapes
// (bench/tfhe_rs_sets.ts), one thread, next to tfhe-rs's published latency, with each PBS as a
// share of this machine's lower bound (standalone FFT speed and FMA peak, measured here).
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { freemem, loadavg } from "node:os";
import {
  ClientKey, evaluationKeySize, lookupTables, noise, runtimeInfo, seededEvaluationKeySize, setSharedPbs, type TfheParameters,
} from "../runtime/index.js";
import { native } from "../runtime/native.js";
import { median, type ParameterColumns, parameterColumns, repsWithin, timed } from "./fixtures.js";
import {
  blindRotationBoundMs, BOUND_ONLY_SHAPES, type MachineSpeed, regrouped, TFHE_RS_SHAPES, type TfheRsShape,
} from "./tfhe_rs_sets.js";

export interface TfheRsRow extends ParameterColumns {
  groupingFactor: number;
  /** KS + PBS, one thread, median. */
  singleThreadMsMedian: number;
  /** PBS alone, one thread, median. */
  pbsOnlyMsMedian: number;
  /** KS + PBS of a lone ciphertext with the shared blind rotation allowed (two threads where the runtime
   * shares that shape: classic N ≥ 8192, multi-bit N ≥ 2048; otherwise one), median. */
  twoThreadMsMedian?: number;
  /** Absent for fhec's own sets (BOUND_ONLY_SHAPES). */
  publishedMs?: number;
  /** fhec / tfhe-rs. */
  ratio?: number;
  /** Lower bound of the blind rotation on this machine. */
  boundMs: number;
  /** bound / measured PBS. */
  shareOfBound: number;
  /** Multi-bit rows: this KS-PBS / fhec's classic KS-PBS at the same precision, both on one thread. */
  vsClassic?: number;
  /** Multi-bit rows: this KS-PBS on two threads / fhec's classic KS-PBS on one thread. */
  vsClassicTwoThreads?: number;
  /** Whether the two ratios above are medians of per-repetition ratios against the classic shape timed alternately (else ratios of medians of separate rows). */
  pairedWithClassic?: boolean;
  samples: number;
  loadAverage: number;
  keygenMs: number;
  evalKeyBytes: number;
  predictedPError: number;
  check: string;
}

export interface TfheRsSkipped {
  set: string;
  skipped: string;
}

/** The CPU as /proc/cpuinfo names it. */
export function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    if (line) return line.split(":").slice(1).join(":").trim();
  } catch {
    // not Linux
  }
  return "unknown CPU";
}

/** Measures this machine's FFT speed per size (cached) and its FMA peak. */
export function measureMachine(): MachineSpeed {
  const cache = new Map<number, { forward: number; inverse: number }>();
  let peak = 0;
  const probe = (N: number): { forward: number; inverse: number } => {
    let r = cache.get(N);
    if (r === undefined) {
      const m = native().benchKernels(N, 31);
      r = { forward: m.forwardUs, inverse: m.inverseUs };
      peak = Math.max(peak, m.fmaGflops);
      cache.set(N, r);
    }
    return r;
  };
  probe(1024);
  return { fftUs: probe, get fmaGflops() { return peak; } };
}

/** Bytes the shape needs at its peak: seeded bodies and the expanded keys side by side. */
function peakBytes(s: TfheRsShape): number {
  return seededEvaluationKeySize(s.params).inMemory + evaluationKeySize(s.params).inMemory;
}

/** A lone KS+PBS of one random ciphertext under fresh keys of `params`, timed per call. */
async function lonePbs(params: TfheParameters, precision: number) {
  const t = performance.now();
  const client = ClientKey.generate(params);
  const server = await (await client.generateSeededEvaluationKeys()).expand();
  const keygenMs = performance.now() - t;
  const size = 2 ** precision;
  const table = Array.from({ length: size }, () => randomInt(size));
  const tables = lookupTables(table, precision);
  const msgs = Array.from({ length: 4 }, () => randomInt(size));
  const got = client.decrypt(server.applyLookupTableSync(client.encrypt(msgs, precision), tables, { parallel: false }), precision);
  const one = client.encrypt([msgs[0]!], precision);
  const small = server.keyswitchSync(one, { parallel: false });
  return {
    server, keygenMs,
    check: `${got.filter((g, i) => g === table[msgs[i]!]).length}/4 lookups right`,
    ksPbs: () => timed(() => server.applyLookupTableSync(one, tables, { parallel: false }))[0],
    pbsOnly: () => timed(() => server.bootstrapSync(small, tables, { parallel: false }))[0],
    ksPbsShared: () => {
      setSharedPbs("always");
      try {
        return timed(() => server.applyLookupTableSync(one, tables, { parallel: true }))[0];
      } finally {
        setSharedPbs("auto");
      }
    },
  };
}

/**
 * `classic`: for a multi-bit shape, the classic shape it is compared with, timed in the same
 * repetitions (alternating, so that both see the same machine: single timings drift by up to 1.4×
 * within minutes here) when both key sets fit in memory at once.
 */
async function benchShape(s: TfheRsShape, maxReps: number, speed: MachineSpeed, budgetMs: number, classic?: TfheRsShape): Promise<TfheRsRow> {
  const { params, precision } = s;
  const run = await lonePbs(params, precision);
  const sibling = classic && peakBytes(classic) <= 0.75 * freemem() ? await lonePbs(classic.params, classic.precision) : undefined;
  // Interleaved: KS+PBS then PBS alone, alternating, so both see the same machine load.
  const first = run.ksPbs();
  // Each repetition times KS+PBS, PBS alone (and the classic KS+PBS): the first run sizes its share.
  const reps = repsWithin(budgetMs / (sibling ? 3 : 2), first, maxReps);
  const both: number[] = [];
  const pbs: number[] = [];
  const two: number[] = [];
  const vsSibling: number[] = [];
  const twoVsSibling: number[] = [];
  const shared = runtimeInfo().threads >= 2;
  if (sibling) sibling.ksPbs();
  for (let i = 0; i < reps; i++) {
    both.push(run.ksPbs());
    pbs.push(run.pbsOnly());
    if (shared) two.push(run.ksPbsShared());
    if (sibling) {
      const c = sibling.ksPbs();
      vsSibling.push(both.at(-1)! / c);
      if (shared) twoVsSibling.push(two.at(-1)! / c);
    }
  }
  const evalKeyBytes = run.server.sizes().total;
  run.server.release();
  sibling?.server.release();
  const boundMs = blindRotationBoundMs(params, speed);
  const single = median(both);
  const pbsOnly = median(pbs);
  return {
    ...parameterColumns(s.set, params, precision),
    groupingFactor: params.pbsGroupingFactor, singleThreadMsMedian: single, pbsOnlyMsMedian: pbsOnly,
    ...(two.length ? { twoThreadMsMedian: median(two) } : {}),
    ...(s.publishedMs === undefined ? {} : { publishedMs: s.publishedMs, ratio: single / s.publishedMs }),
    boundMs, shareOfBound: boundMs / pbsOnly,
    ...(vsSibling.length ? { vsClassic: median(vsSibling), pairedWithClassic: true } : {}),
    ...(twoVsSibling.length ? { vsClassicTwoThreads: median(twoVsSibling) } : {}),
    samples: reps, loadAverage: loadavg()[0]!, keygenMs: run.keygenMs, evalKeyBytes,
    predictedPError: noise.predictedPError(params, precision, 1), check: run.check,
  };
}

/** `groupings`: each multi-bit shape is also timed at these grouping factors (rows after its own). */
export async function benchTfheRs(maxReps: number, budgetMs: number, maxN: number, groupings: readonly number[] = []): Promise<{ rows: TfheRsRow[]; skipped: TfheRsSkipped[]; cpu: string; speed: MachineSpeed }> {
  const speed = measureMachine();
  const rows: TfheRsRow[] = [];
  const skipped: TfheRsSkipped[] = [];
  const shapes = TFHE_RS_SHAPES.flatMap((s) => s.classicOf === undefined ? [s]
    : [s, ...groupings.filter((g) => g !== s.params.pbsGroupingFactor).map((g) => regrouped(s, g))]);
  for (const s of [...shapes, ...BOUND_ONLY_SHAPES]) {
    if (s.params.polynomialSize > maxN) {
      skipped.push({ set: s.set, skipped: `N = ${s.params.polynomialSize} above --max-n ${maxN}` });
      continue;
    }
    const need = peakBytes(s);
    // Leave a quarter of the free memory to the rest of the machine.
    if (need > 0.75 * freemem()) {
      const why = `needs ${(need / 2 ** 30).toFixed(1)} GiB of keys, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`;
      process.stderr.write(`bench pbs: ${s.set} skipped (${why})\n`);
      skipped.push({ set: s.set, skipped: why });
      continue;
    }
    process.stderr.write(`bench pbs: ${s.set}...\n`);
    rows.push(await benchShape(s, maxReps, speed, budgetMs, TFHE_RS_SHAPES.find((c) => c.set === s.classicOf)));
  }
  // Multi-bit rows whose classic shape could not be timed alongside: against its own row's medians.
  for (const r of rows) {
    if (r.pairedWithClassic) continue;
    const classic = shapes.find((s) => s.set === r.set)?.classicOf;
    const c = rows.find((x) => x.set === classic);
    if (c) r.vsClassic = r.singleThreadMsMedian / c.singleThreadMsMedian;
    if (c && r.twoThreadMsMedian !== undefined) r.vsClassicTwoThreads = r.twoThreadMsMedian / c.singleThreadMsMedian;
  }
  return { rows, skipped, cpu: cpuModel(), speed };
}

const unpaired = (r: TfheRsRow): string => (r.pairedWithClassic ? "" : "*");

export function printTfheRs(result: { rows: TfheRsRow[]; skipped: TfheRsSkipped[]; cpu: string; speed: MachineSpeed }): void {
  const { rows, skipped, cpu, speed } = result;
  console.log(`\n## fhec at tfhe-rs's shapes (one thread; a lone PBS also with sharing allowed)\n\nCPU: ${cpu}; ${runtimeInfo().kernel} kernels; FMA peak ${speed.fmaGflops.toFixed(1)} GFLOP/s per core (measured)\n`);
  const header = "| set | p | g | n | k | N | PBS | KS | fhec KS+PBS ms (median) | tfhe-rs published ms | ratio | fhec PBS ms | PBS bound ms | share of bound | vs fhec classic | 2 threads / 1 (lone) | 2 threads vs fhec classic | reps | load | check |";
  console.log(header);
  console.log(`|${header.split("|").slice(1, -1).map(() => "---").join("|")}|`);
  for (const r of rows) {
    console.log(`| ${r.set} | ${r.precision} | ${r.groupingFactor} | ${r.n} | ${r.k} | ${r.N} | ${r.pbs} | ${r.ks} | ${r.singleThreadMsMedian.toFixed(2)} | ` +
      `${r.publishedMs ?? ""} | ${r.ratio === undefined ? "" : r.ratio.toFixed(2)} | ${r.pbsOnlyMsMedian.toFixed(2)} | ${r.boundMs.toFixed(2)} | ${(100 * r.shareOfBound).toFixed(0)}% | ` +
      `${r.vsClassic === undefined ? "" : r.vsClassic.toFixed(2) + unpaired(r)} | ` +
      `${r.twoThreadMsMedian === undefined ? "" : (r.twoThreadMsMedian / r.singleThreadMsMedian).toFixed(2)} | ` +
      `${r.vsClassicTwoThreads === undefined ? "" : r.vsClassicTwoThreads.toFixed(2) + unpaired(r)} | ${r.samples} | ${r.loadAverage.toFixed(1)} | ${r.check} |`);
  }
  for (const s of skipped) console.log(`| ${s.set} | skipped: ${s.skipped} |`);
  console.log("\nratio = fhec / tfhe-rs. tfhe-rs's classic figures are one PBS per core; its multi-bit figures use 11–13 threads per PBS, " +
    "fhec's here one (two in the 2-thread columns: lone classic PBS at N ≥ 8192 and multi-bit at N ≥ 2048 are shared, other shapes run on one). Share of bound = (FFTs at the standalone FFT's speed + products at FMA peak) / measured PBS. " +
    "\"vs fhec classic\": the median of per-repetition ratios against fhec's classic KS+PBS of the same precision on one thread, timed in the same repetitions (* where both key sets did not fit in memory at once: the ratio of the two rows' medians).");
}
