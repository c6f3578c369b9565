// `npm run bench -- pbs [--max-n N] [--reps N] [--save] [--keep-classic] [--from FILE] [--sets a,b|tfhe-rs] [--grouping 2,3] [--batch N] [--budget-ms MS]`
//
// 1. Calibrates the time model of compiler/cost/time_model.ts: times keyswitch, PBS and the fused
//    KS+PBS per lookup in batches of 8 on one thread (as circuits run them: CALIBRATION_BATCH)
//    at a spread of (k, N, n, PBS level, KS level) shapes (N = 512…32768,
//    128-bit secure noise for each key size), fits t ≈ a·fft + b·mac + c·keyswitchCost + d (the
//    PBS's FFT operations and key products apart: crypto-model pbsWork), prints the coefficients
//    and the fit error on the fused lookups, writes bench/out/pbs.json (usable as
//    FHEC_TIME_MODEL=bench/out/pbs.json). Multi-bit shapes (g = 2, 3) price the multi-bit key
//    products from their paired ratio to the classic PBS of the same shape (calibrate).
//    `--save` also rewrites the built-in coefficients (compiler/cost/time_model_coefficients.ts):
//    run it on a quiet machine, rebuild, commit. `--keep-classic` keeps the built-in classic
//    coefficients and only re-measures the multi-bit ones.
//    `--from FILE` refits the timings of an earlier bench/out/pbs.json instead of measuring.
// 2. With `--sets`: per published set, KS+PBS latency on one thread, batch throughput on all
//    cores, key generation time and key sizes, and an exhaustive check of one table lookup.
// 3. With `--sets tfhe-rs`: KS+PBS and PBS alone at tfhe-rs's own shapes (bench/tfhe_rs_sets.ts),
//    next to tfhe-rs's published latency, with each PBS's share of this machine's lower bound
//    (bench/pbs_tfhe_rs.ts). Alone, it skips the calibration and keeps the model already in
//    bench/out/pbs.json. `--grouping 2,3` also times each multi-bit shape at those grouping factors.
// 4. With `--sets lone`: one 8-bit KS+PBS at N = 32768 on one thread against two threads, the
//    runs alternating, outputs compared bit for bit (bench/pbs_lone.ts). Alone, like tfhe-rs.
import { randomInt } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import {
  ClientKey, CONCRETE_P4, CONCRETE_P5, CONCRETE_P8, type EvaluationKeys, FHEC_P1, FHEC_P2, FHEC_P3, FHEC_P6, FHEC_P7, GATE_N630,
  lookupTables, minNoiseStd, noise, runtimeInfo, TfheParameters,
} from "../runtime/index.js";
import { pbsWork } from "../crypto-model/index.js";
import { lookupTimeMs, lookupWork, timeOfWork, type TimeModelCoefficients } from "../compiler/cost/time_model.js";
import { BUILTIN_TIME_MODEL } from "../compiler/cost/time_model_coefficients.js";
import { arg, median, type ParameterColumns, parameterColumns, repsWithin } from "./fixtures.js";
import { fitLine, fitNonNegative, type LineFit, type LinearFit } from "./time_fit.js";
import { benchTfheRs, cpuModel, printTfheRs, type TfheRsRow, type TfheRsSkipped } from "./pbs_tfhe_rs.js";
import { benchLone, type LoneRow, printLone } from "./pbs_lone.js";

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

interface Row extends ParameterColumns {
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
    ...parameterColumns(params.name ?? spec.key, params, precision),
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

// ---- time model calibration ----------------------------------------------------------------

/** A timing shape: [k, N, n, PBS base log, PBS level, KS base log, KS level, grouping factor?]. */
type Shape = readonly [number, number, number, number, number, number, number, number?];

// Spread so that PBS work (∝ n·(k+1)·ℓ·N·log N) and keyswitch work (∝ kN·ℓ_KS·n) vary
// independently; the base logs only keep β·ℓ in range (they do not change the time).
const SHAPES: readonly Shape[] = [
  [1, 512, 500, 23, 1, 4, 3],
  [2, 512, 600, 15, 2, 3, 5],
  [4, 512, 500, 23, 1, 2, 8],
  [1, 1024, 700, 23, 1, 3, 5],
  [2, 1024, 800, 23, 1, 4, 3],
  [3, 1024, 900, 15, 2, 3, 4],
  [1, 2048, 780, 23, 1, 3, 5],
  [1, 2048, 600, 15, 2, 2, 7],
  [2, 2048, 1000, 15, 2, 3, 6],
  [1, 1024, 700, 10, 4, 2, 10],
  [1, 4096, 850, 15, 2, 3, 5],
  [1, 4096, 800, 7, 5, 2, 10],
  [1, 8192, 900, 15, 2, 4, 4],
  [1, 16384, 1000, 15, 2, 4, 5],
  [1, 32768, 1000, 15, 2, 4, 5],
  // Large k at small N (exact rounding's 1-bit reads): the key products dominate there.
  [4, 256, 650, 18, 1, 4, 3],
  [5, 256, 660, 10, 2, 3, 4],
  [6, 256, 680, 18, 1, 4, 3],
  [3, 512, 700, 18, 1, 7, 1],
  // Multi-bit (k = 1, grouping factor 2 and 3: what the optimizer searches, search_space.ts):
  // their key products get a coefficient of their own (they stream 2^g − 1 entries per group).
  [1, 2048, 800, 23, 1, 3, 5, 2],
  [1, 2048, 801, 23, 1, 3, 5, 3],
  [1, 2048, 600, 15, 2, 2, 7, 2],
  [1, 4096, 850, 15, 2, 3, 5, 2],
  [1, 4096, 810, 11, 3, 3, 5, 2],
  [1, 4096, 849, 15, 2, 3, 5, 3],
  [1, 8192, 900, 15, 2, 4, 4, 2],
  [1, 8192, 900, 15, 2, 4, 4, 3],
];

/**
 * The shape with the smallest noise the 128-bit curve allows for each key. σ does not change the
 * time, except through the keyswitching key's word size: 4 bytes for every shape here (β·ℓ ≤ 24,
 * σ ≥ 2^-28), as for the optimizer's sets so far; an 8-byte key would keyswitch more slowly.
 */
function shapeParameters([k, N, n, pbsBaseLog, pbsLevel, ksBaseLog, ksLevel, g = 1]: Shape): TfheParameters {
  const p = new TfheParameters({
    lweDimension: n, glweDimension: k, polynomialSize: N, pbsBaseLog, pbsLevel, ksBaseLog, ksLevel,
    lweNoiseStd: minNoiseStd(n), glweNoiseStd: minNoiseStd(k * N), ...(g > 1 ? { pbsGroupingFactor: g } : {}),
  }, `timing k=${k} N=${N} n=${n} PBS ${pbsBaseLog}×${pbsLevel} KS ${ksBaseLog}×${ksLevel}${g > 1 ? ` multi-bit g=${g}` : ""}`);
  p.assertSecure();
  return p;
}

interface Timing {
  shape: string;
  k: number;
  N: number;
  n: number;
  pbsLevel: number;
  ksLevel: number;
  /** PBS grouping factor (absent in timings saved before multi-bit shapes: 1). */
  g?: number;
  pbsWork: number;
  keyswitchWork: number;
  reps: number;
  keyswitchMs: number;
  pbsMs: number;
  lookupMs: number;
  keygenMs: number;
  /**
   * Multi-bit shapes: the PBS time over the classic PBS's at the same (k, N, n, decomposition),
   * the median of per-pair ratios of alternating calls (so that the machine's drift cancels).
   */
  classicPbsRatio?: number;
}

/** Median of `reps` timings of `f` (after one warm-up call), reps bounded by a time budget. */
function timeMedian(f: () => void, maxReps: number, budgetMs: number): { ms: number; reps: number } {
  let t = performance.now();
  f();
  const first = performance.now() - t;
  const reps = repsWithin(budgetMs, first, maxReps);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  return { ms: median(times), reps };
}

/**
 * Lookups per timed call of the calibration: circuits run each table op over a tensor, and the
 * runtime keyswitches and blind-rotates a batch in groups that share each key pass (groups of 4
 * PBS, 8 keyswitches), so the model prices a lookup as it runs there; a lone lookup takes longer.
 */
const CALIBRATION_BATCH = 8;

/** Keys of a shape, and a PBS call on a batch of CALIBRATION_BATCH ciphertexts of it (one thread). */
async function pbsCall(params: TfheParameters): Promise<{ server: EvaluationKeys; batch: ReturnType<ClientKey["encrypt"]>; pbs: () => void; keygenMs: number }> {
  const t = performance.now();
  const client = ClientKey.generate(params);
  const server: EvaluationKeys = await (await client.generateSeededEvaluationKeys()).expand();
  const keygenMs = performance.now() - t;
  const batch = client.encrypt(Array.from({ length: CALIBRATION_BATCH }, (_, i) => i % 2), 1);
  const small = server.keyswitchSync(batch, { parallel: false });
  const tables = lookupTables([0, 1], 1);
  return { server, batch, pbs: () => server.bootstrapSync(small, tables, { parallel: false }), keygenMs };
}

/** Median of per-pair ratios f/g over alternating calls (after one warm-up each), reps bounded by a time budget. */
function pairedRatio(f: () => void, g: () => void, maxReps: number, budgetMs: number): number {
  const time = (h: () => void) => {
    const t = performance.now();
    h();
    return performance.now() - t;
  };
  const first = time(f) + time(g);
  const reps = repsWithin(budgetMs, first, maxReps);
  const ratios: number[] = [];
  for (let i = 0; i < reps; i++) {
    // Which of the two runs first alternates too.
    if (i % 2 === 0) {
      const a = time(f);
      ratios.push(a / time(g));
    } else {
      const b = time(g);
      ratios.push(time(f) / b);
    }
  }
  return median(ratios);
}

async function timeShape(params: TfheParameters, maxReps: number): Promise<Timing> {
  const { server, batch, pbs: pbsBatch, keygenMs } = await pbsCall(params);
  const tables = lookupTables([0, 1], 1);
  const budget = 3000;
  const perLookup = ({ ms, reps }: { ms: number; reps: number }) => ({ ms: ms / CALIBRATION_BATCH, reps });
  const ks = perLookup(timeMedian(() => server.keyswitchSync(batch, { parallel: false }), maxReps, budget));
  const pbs = perLookup(timeMedian(pbsBatch, maxReps, budget));
  const both = perLookup(timeMedian(() => server.applyLookupTableSync(batch, tables, { parallel: false }), maxReps, budget));
  const w = lookupWork(params);
  let classicPbsRatio: number | undefined;
  if (params.pbsGroupingFactor > 1) {
    const { pbsGroupingFactor: _, ...classicFields } = params.raw();
    const classic = await pbsCall(new TfheParameters(classicFields, `${params.name ?? ""} classic`));
    classicPbsRatio = pairedRatio(pbsBatch, classic.pbs, Math.max(maxReps, 20), 2 * budget);
  }
  return {
    shape: params.name ?? "", k: params.glweDimension, N: params.polynomialSize, n: params.lweDimension,
    pbsLevel: params.pbsLevel, ksLevel: params.ksLevel, g: params.pbsGroupingFactor, pbsWork: w.fft + w.mac + w.multiBitMac, keyswitchWork: w.keyswitch,
    reps: Math.min(ks.reps, pbs.reps, both.reps), keyswitchMs: ks.ms, pbsMs: pbs.ms, lookupMs: both.ms, keygenMs,
    ...(classicPbsRatio !== undefined ? { classicPbsRatio } : {}),
  };
}

export interface Calibration {
  readonly model: TimeModelCoefficients;
  /** The classic fits (absent when the classic coefficients were kept: `--keep-classic`). */
  readonly fit?: { readonly pbs: LinearFit; readonly keyswitch: LineFit };
  /** Fused KS+PBS: measured vs the model's prediction. */
  readonly maxLookupRelativeError: number;
}

/**
 * Fits the model to `timings`. Classic shapes: t_PBS ≈ a·fft + b·mac + d and the keyswitch's own
 * line; with `classic` given, its coefficients are kept instead (`--keep-classic`). Multi-bit
 * shapes then fit c in t_PBS ≈ a·fft + c·multiBitMac + d, each to its paired ratio against the
 * classic PBS of the same shape times the classic model's time there (or to its own time when no
 * ratio was measured): the ratio, measured in alternating calls, does not drift with the machine
 * the way two timings taken a minute apart do, and it is what decides multi-bit against classic.
 */
export function calibrate(timings: readonly Timing[], machine: string, classic?: TimeModelCoefficients): Calibration {
  // The PBS terms from the shape itself, so timings saved before the split refit too.
  const work = (t: Timing, g = t.g ?? 1) => ({ ...pbsWork(t.n, t.k, t.N, t.pbsLevel, g), keyswitch: t.keyswitchWork });
  const classicTimings = timings.filter((t) => (t.g ?? 1) === 1);
  const multiBit = timings.filter((t) => (t.g ?? 1) > 1);
  let msPerFftWork: number, msPerMacWork: number, pbsFixed: number, msPerKeyswitchWork: number, ksFixed: number;
  let fit: Calibration["fit"] | undefined;
  if (classic) {
    ({ msPerFftWork, msPerMacWork, msPerKeyswitchWork } = classic);
    pbsFixed = classic.msFixed;
    ksFixed = 0;
  } else {
    const pbs = fitNonNegative(classicTimings.map((t) => {
      const w = work(t);
      return { terms: [w.fft, w.mac, 1], ms: t.pbsMs };
    }));
    const keyswitch = fitLine(timings.map((t) => ({ work: t.keyswitchWork, ms: t.keyswitchMs })));
    [msPerFftWork, msPerMacWork, pbsFixed] = pbs.coefficients as [number, number, number];
    msPerKeyswitchWork = keyswitch.slope;
    ksFixed = keyswitch.intercept;
    fit = { pbs, keyswitch };
  }
  let msPerMultiBitMacWork: number | undefined;
  if (multiBit.length > 0) {
    // One coefficient, least squares on relative error: Σ ((rest + c·x − T)/T)² is smallest at
    // c = Σ x·(T − rest)/T² / Σ x²/T² (clamped at 0).
    let num = 0, den = 0;
    for (const t of multiBit) {
      const w = work(t);
      const c1 = work(t, 1);
      const target = t.classicPbsRatio !== undefined ? t.classicPbsRatio * (msPerFftWork * c1.fft + msPerMacWork * c1.mac + pbsFixed) : t.pbsMs;
      const rest = msPerFftWork * w.fft + pbsFixed;
      num += (w.multiBitMac * (target - rest)) / (target * target);
      den += (w.multiBitMac * w.multiBitMac) / (target * target);
    }
    msPerMultiBitMacWork = Math.max(0, num / den);
  }
  const model: TimeModelCoefficients = {
    msPerFftWork, msPerMacWork, ...(msPerMultiBitMacWork !== undefined ? { msPerMultiBitMacWork } : {}),
    msPerKeyswitchWork, msFixed: pbsFixed + ksFixed, machine,
  };
  const maxLookupRelativeError = Math.max(...timings.map((t) => {
    const predicted = timeOfWork(model, work(t));
    return Math.abs(predicted - t.lookupMs) / t.lookupMs;
  }));
  return { model, ...(fit ? { fit } : {}), maxLookupRelativeError };
}

function coefficientsSource(m: TimeModelCoefficients): string {
  return `// GENERATED by \`npm run bench -- pbs --save\` (bench/pbs.ts): the built-in time model.
// Rerun that command on the machine to model (quiet, nothing else running), rebuild, commit.
import type { TimeModelCoefficients } from "./time_model_types.js";

export const BUILTIN_TIME_MODEL: TimeModelCoefficients = {
  msPerFftWork: ${m.msPerFftWork.toExponential(6)},
  msPerMacWork: ${m.msPerMacWork.toExponential(6)},
${m.msPerMultiBitMacWork !== undefined ? `  msPerMultiBitMacWork: ${m.msPerMultiBitMacWork.toExponential(6)},
` : ""}  msPerKeyswitchWork: ${m.msPerKeyswitchWork.toExponential(6)},
  msFixed: ${m.msFixed.toExponential(6)},
  machine: ${JSON.stringify(m.machine)},
};
`;
}

export async function main(args: string[]): Promise<void> {
  const setsArg = arg(args, "sets");
  const wanted = setsArg === undefined ? [] : setsArg.split(",");
  const unknown = wanted.filter((w) => w !== TFHE_RS && w !== LONE && !ALL.some((s) => s.key === w));
  if (unknown.length) throw new Error(`unknown set(s) ${unknown.join(", ")}; known: ${[...ALL.map((s) => s.key), TFHE_RS, LONE].join(", ")}`);
  const noCalibration = wanted.length > 0 && wanted.every((w) => w === TFHE_RS || w === LONE);
  const reps = Number(arg(args, "reps") ?? 20);
  if (!Number.isInteger(reps) || reps < 1) throw new Error("--reps must be a positive integer");
  const maxN = Number(arg(args, "max-n") ?? 32768);
  if (!Number.isInteger(maxN) || maxN < 512) throw new Error("--max-n must be an integer ≥ 512");
  const batchArg = arg(args, "batch") === undefined ? undefined : Number(arg(args, "batch"));
  const info = runtimeInfo();
  const date = new Date().toISOString();
  const load = loadavg()[0]!.toFixed(2);
  // The load average goes into the model's label: a calibration on a busy machine overestimates.
  const machine = `${cpuModel()}, ${cpus().length} vCPU, kernel ${info.kernel}, load ${load}, ${date.slice(0, 10)}`;
  console.log(`# KS+PBS benchmark\n\nMachine: ${machine}, ${info.threads} threads; load average at start ${load}\n`);

  // 1. Time model (not when only the tfhe-rs comparison is asked for).
  const from = arg(args, "from");
  const earlier = from ? (JSON.parse(readFileSync(from, "utf8")) as { timings: Timing[]; machine: string }) : undefined;
  const timings: Timing[] = earlier ? earlier.timings : [];
  // --keep-classic: the built-in classic coefficients stay; only the multi-bit shapes are timed
  // (each against the classic PBS of its shape) and their coefficient refitted.
  const keepClassic = args.includes("--keep-classic");
  const shapes = SHAPES.filter((s) => s[1] <= maxN && (!keepClassic || (s[7] ?? 1) > 1));
  for (const shape of noCalibration || from ? [] : shapes) {
    const params = shapeParameters(shape);
    process.stderr.write(`bench pbs: ${params.name}...\n`);
    timings.push(await timeShape(params, reps));
  }
  // Refitted timings keep the label of the machine and load they were measured at.
  const cal = timings.length > 0 ? calibrate(timings, keepClassic ? `${BUILTIN_TIME_MODEL.machine}; multi-bit: ${machine}` : earlier ? earlier.machine : machine, keepClassic ? BUILTIN_TIME_MODEL : undefined) : undefined;
  if (cal) printCalibration(timings, cal);

  // 2. Published sets (optional).
  const rows: Row[] = [];
  for (const spec of ALL.filter((s) => wanted.includes(s.key))) {
    process.stderr.write(`bench pbs: ${spec.params.name}...\n`);
    rows.push(await benchSet(spec, reps, batchArg));
  }
  if (rows.length > 0) printSets(rows, cal);

  // 3. tfhe-rs's shapes (optional).
  let tfheRs: { rows: TfheRsRow[]; skipped: TfheRsSkipped[] } | undefined;
  if (wanted.includes(TFHE_RS)) {
    const groupings = (arg(args, "grouping") ?? "").split(",").filter((x) => x !== "").map(Number);
    if (groupings.some((g) => !Number.isInteger(g) || g < 2 || g > 4)) throw new Error("--grouping takes grouping factors 2, 3 or 4 (comma-separated)");
    const r = await benchTfheRs(reps, Number(arg(args, "budget-ms") ?? 20000), noCalibration ? Number(arg(args, "max-n") ?? 65536) : maxN, groupings);
    printTfheRs(r);
    tfheRs = r;
  }

  // 4. A lone lookup on one thread and on two (optional).
  let lone: LoneRow | undefined;
  if (wanted.includes(LONE)) {
    process.stderr.write("bench pbs: lone p = 8, N = 32768 (keys take a few GiB)...\n");
    lone = await benchLone(reps, Number(arg(args, "budget-ms") ?? 20000));
    printLone(lone);
  }

  const outDir = join(process.cwd(), "bench", "out");
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, "pbs.json");
  // Without a calibration, the model already in the file (if any) stays.
  const previous = cal ? {} : readPrevious(outFile);
  const calibration = cal ? { model: cal.model, fit: cal.fit, maxLookupRelativeError: cal.maxLookupRelativeError, timings } : previous;
  writeFileSync(outFile, JSON.stringify({
    ...calibration, machine, threads: info.threads, loadAverageAtStart: Number(load), date,
    rows: [...rows, ...(tfheRs?.rows ?? [])], ...(tfheRs ? { skipped: tfheRs.skipped } : {}), ...(lone ? { lone } : {}),
  }, null, 2) + "\n");
  console.log(`\nwrote ${join("bench", "out", "pbs.json")}${cal ? " (use it with FHEC_TIME_MODEL=bench/out/pbs.json)" : ""}`);
  if (args.includes("--save")) {
    if (!cal) throw new Error("--save needs a calibration: run without `--sets tfhe-rs` alone");
    const file = join(process.cwd(), "compiler", "cost", "time_model_coefficients.ts");
    writeFileSync(file, coefficientsSource(cal.model));
    console.log(`wrote ${join("compiler", "cost", "time_model_coefficients.ts")}: run \`npm run build:ts\` and commit it`);
  }
}

const TFHE_RS = "tfhe-rs";
const LONE = "lone";

/** The calibration fields of an earlier bench/out/pbs.json, if there is one. */
function readPrevious(file: string): Record<string, unknown> {
  try {
    const old = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const keep: Record<string, unknown> = {};
    for (const k of ["model", "fit", "maxLookupRelativeError", "timings"]) if (k in old) keep[k] = old[k];
    return keep;
  } catch {
    return {};
  }
}

function printCalibration(timings: readonly Timing[], cal: Calibration): void {
  const th = "| k | N | n | g | PBS ℓ | KS ℓ | reps | KS ms | PBS ms | PBS / classic (paired) | KS+PBS ms | model ms | keygen s |";
  console.log(`## One thread, per lookup\n\n${th}\n|${th.split("|").slice(1, -1).map(() => "---").join("|")}|`);
  for (const t of timings) {
    const model = timeOfWork(cal.model, { ...pbsWork(t.n, t.k, t.N, t.pbsLevel, t.g ?? 1), keyswitch: t.keyswitchWork });
    console.log(`| ${t.k} | ${t.N} | ${t.n} | ${t.g ?? 1} | ${t.pbsLevel} | ${t.ksLevel} | ${t.reps} | ${t.keyswitchMs.toFixed(3)} | ${t.pbsMs.toFixed(3)} | ${t.classicPbsRatio?.toFixed(3) ?? ""} | ` +
      `${t.lookupMs.toFixed(3)} | ${model.toFixed(3)} | ${(t.keygenMs / 1000).toFixed(2)} |`);
  }
  const multiBit = cal.model.msPerMultiBitMacWork !== undefined ? ` + ${cal.model.msPerMultiBitMacWork.toExponential(4)}·multiBitMac` : "";
  console.log(`\nFitted: t_lookup ≈ ${cal.model.msPerFftWork.toExponential(4)}·fft + ${cal.model.msPerMacWork.toExponential(4)}·mac${multiBit} + ${cal.model.msPerKeyswitchWork.toExponential(4)}·keyswitchCost + ${cal.model.msFixed.toFixed(4)} ms` +
    ` (largest error on the measured KS+PBS: ${(100 * cal.maxLookupRelativeError).toFixed(1)}%)`);
}

function printSets(rows: readonly Row[], cal: Calibration | undefined): void {
  {
    const header = "| set | p | n | k | N | PBS | KS | KS+PBS 1 thread, latency ms: median (min) | model ms | 1 thread, batch of 8 (ms/op) | batch ms/op (all cores) | keygen s | expand s | eval keys MiB | seeded MiB | p_err (model) | exhaustive |";
    console.log(`\n## Published sets\n\n${header}`);
    console.log(`|${header.split("|").slice(1, -1).map(() => "---").join("|")}|`);
    for (const r of rows) {
      const spec = ALL.find((s) => (s.params.name ?? s.key) === r.set)!;
      console.log(`| ${r.set} | ${r.precision} | ${r.n} | ${r.k} | ${r.N} | ${r.pbs} | ${r.ks} | ${r.singleThreadMsMedian.toFixed(2)} (${r.singleThreadMsMin.toFixed(2)}) | ` +
        `${cal ? lookupTimeMs(cal.model, spec.params).toFixed(2) : "—"} | ${r.singleThreadBatchedMsPerOp.toFixed(2)} | ` +
        `${r.batchMsPerOp.toFixed(2)} | ${(r.keygenMs / 1000).toFixed(2)} | ${(r.expandMs / 1000).toFixed(2)} | ` +
        `${mib(r.evalKeyBytes)} | ${mib(r.seededEvalKeyBytes)} | ${r.predictedPError.toExponential(1)} | ${r.exhaustiveCheck} |`);
    }
  }
}
