// `npm run bench -- pbs --sets lone`: one 8-bit KS+PBS at N = 32768 on one thread against the
// same lookup shared with the runtime's helper thread (runtime/native pbs_split.cpp: the
// keyswitch split by output columns, the blind rotation by tasks), alternating, with the
// outputs compared bit for bit every repetition.
import { randomInt } from "node:crypto";
import { loadavg } from "node:os";
import { ClientKey, lookupTables, minNoiseStd, noise, setSharedPbs, TfheParameters } from "../runtime/index.js";
import { median, repsWithin, timed } from "./fixtures.js";

export interface LoneRow {
  set: string;
  n: number;
  N: number;
  precision: number;
  predictedPError: number;
  /** Medians (ms) of KS+PBS and PBS alone, one thread and shared with the helper. */
  oneThreadMs: number;
  twoThreadMs: number;
  pbsOneThreadMs: number;
  pbsTwoThreadMs: number;
  /** Median of the per-repetition ratios two threads / one (KS+PBS). */
  ratio: number;
  samples: number;
  loadAtStart: number;
  loadAtEnd: number;
  /** Every shared output equal to the one-thread output, and the lookup right. */
  check: string;
}

/** The benchmark shape: p = 8 at N = 32768, 128-bit secure (p_err from the noise model). */
export function loneShape(): TfheParameters {
  const n = 1100;
  const p = new TfheParameters({
    lweDimension: n, glweDimension: 1, polynomialSize: 32768, pbsBaseLog: 15, pbsLevel: 2, ksBaseLog: 4, ksLevel: 5,
    lweNoiseStd: minNoiseStd(n), glweNoiseStd: minNoiseStd(32768),
  }, "lone p8 N32768");
  p.assertSecure();
  return p;
}

export async function benchLone(maxReps: number, budgetMs: number): Promise<LoneRow> {
  const params = loneShape();
  const precision = 8;
  const client = ClientKey.generate(params);
  const server = await (await client.generateSeededEvaluationKeys()).expand();
  const size = 2 ** precision;
  const table = Array.from({ length: size }, () => randomInt(size));
  const tables = lookupTables(table, precision);
  const msg = randomInt(size);
  const one = client.encrypt([msg], precision);
  const small = server.keyswitchSync(one, { parallel: false });
  const bytes = (x: { serialize(): Uint8Array }): Buffer => Buffer.from(x.serialize());
  const loadAtStart = loadavg()[0]!;
  setSharedPbs("never");
  const [first, ref] = timed(() => bytes(server.applyLookupTableSync(one, tables, { parallel: false })));
  const refPbs = bytes(server.bootstrapSync(small, tables, { parallel: false }));
  const reps = repsWithin(budgetMs / 4, first, maxReps);
  const t = { one: [] as number[], two: [] as number[], pbsOne: [] as number[], pbsTwo: [] as number[], ratio: [] as number[] };
  let identical = true;
  try {
    for (let i = 0; i < reps; i++) {
      setSharedPbs("never");
      const [a, outA] = timed(() => bytes(server.applyLookupTableSync(one, tables, { parallel: false })));
      const [c, pbsA] = timed(() => bytes(server.bootstrapSync(small, tables, { parallel: false })));
      setSharedPbs("always");
      const [b, outB] = timed(() => bytes(server.applyLookupTableSync(one, tables, { parallel: true })));
      const [d, pbsB] = timed(() => bytes(server.bootstrapSync(small, tables, { parallel: true })));
      identical &&= outA.equals(ref) && outB.equals(ref) && pbsA.equals(refPbs) && pbsB.equals(refPbs);
      t.one.push(a);
      t.two.push(b);
      t.pbsOne.push(c);
      t.pbsTwo.push(d);
      t.ratio.push(b / a);
    }
  } finally {
    setSharedPbs("auto");
  }
  const right = client.decrypt(server.applyLookupTableSync(one, tables, { parallel: false }), precision)[0] === table[msg];
  server.release();
  return {
    set: params.name ?? "", n: params.lweDimension, N: params.polynomialSize, precision,
    predictedPError: noise.predictedPError(params, precision, 1),
    oneThreadMs: median(t.one), twoThreadMs: median(t.two), pbsOneThreadMs: median(t.pbsOne), pbsTwoThreadMs: median(t.pbsTwo),
    ratio: median(t.ratio), samples: reps, loadAtStart, loadAtEnd: loadavg()[0]!,
    check: `${identical ? "bit-identical" : "OUTPUTS DIFFER"}, lookup ${right ? "right" : "WRONG"}`,
  };
}

export function printLone(r: LoneRow): void {
  console.log("\n## A lone KS+PBS on one thread and on two (shared with the helper thread)\n");
  const header = "| shape | p | n | N | p_err (model) | KS+PBS 1 thread ms | KS+PBS 2 threads ms | 2 threads / 1 | PBS 1 thread ms | PBS 2 threads ms | reps | load (start → end) | check |";
  console.log(header);
  console.log(`|${header.split("|").slice(1, -1).map(() => "---").join("|")}|`);
  console.log(`| ${r.set} | ${r.precision} | ${r.n} | ${r.N} | ${r.predictedPError.toExponential(1)} | ${r.oneThreadMs.toFixed(1)} | ` +
    `${r.twoThreadMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.pbsOneThreadMs.toFixed(1)} | ${r.pbsTwoThreadMs.toFixed(1)} | ${r.samples} | ` +
    `${r.loadAtStart.toFixed(1)} → ${r.loadAtEnd.toFixed(1)} | ${r.check} |`);
  console.log("\n2 threads / 1 = median of the per-repetition ratios (the two runs alternate). Above load average ~1 on 2 vCPUs the " +
    "helper thread is descheduled while holding tasks and the ratio measures the scheduler.");
}
