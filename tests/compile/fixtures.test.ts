// Real exported models compiled with default options — the bundled fixtures and a second set of
// new models of the same classes (tests/fixtures/models_extra): simulated accuracy within 1 percentage
// point of float (R² within 0.02 for regression) and every table input at most 8 bits. The
// simulation draws the noise of the chosen parameters (as FHE does), so on 100 test rows a loss of
// one point is 1 row: the accuracy claim is tested on the paired predictions with a one-sided
// binomial test at 99.9%. The table measured here must be the one the README quotes, row for row
// (the latency column aside: it depends on the machine's cores and time model).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_ROUNDING_BITS } from "../../compiler/compile.js";
import { widthsAtPartitionPrecision } from "../../compiler/partition_widths.js";
import { accuracy } from "../../compiler/fidelity.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import { runReference } from "../../backends/reference/index.js";
import type { NDArray } from "../../ir/tensor.js";
import { extraFixturesRoot, fixtureNames, fixturesRoot, loadFixture } from "../helpers/fixtures.js";

function predictions(out: NDArray, n: number): number[] {
  const per = out.data.length / n;
  return Array.from({ length: n }, (_, s) => {
    let best = 0;
    if (per === 1) return out.data[s]! > 0.5 ? 1 : 0;
    for (let k = 1; k < per; k++) if (out.data[s * per + k]! > out.data[s * per + best]!) best = k;
    return best;
  });
}

/** P(Binomial(n, p) ≥ k). */
function binomialTail(n: number, p: number, k: number): number {
  let term = (1 - p) ** n; // P(X = 0)
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.max(0, 1 - below);
}

/**
 * Rows the float model gets right and the circuit wrong (L), and the reverse (G). The claim "the
 * circuit loses at most 1 point" fails when L is implausibly high for a loss rate of 1% + G/n.
 */
function lossTest(float: NDArray, circuit: NDArray, labels: NDArray): { losses: number; gains: number; pValue: number } {
  const n = labels.data.length;
  const f = predictions(float, n);
  const c = predictions(circuit, n);
  let losses = 0;
  let gains = 0;
  for (let s = 0; s < n; s++) {
    const y = Number(labels.data[s]);
    if (f[s] === y && c[s] !== y) losses++;
    if (f[s] !== y && c[s] === y) gains++;
  }
  return { losses, gains, pValue: binomialTail(n, Math.min(0.01 + gains / n, 1), losses) };
}

function r2(out: NDArray, y: NDArray): number {
  const n = y.data.length;
  const mean = y.data.reduce((a, b) => a + b, 0) / n;
  let ss = 0;
  let st = 0;
  for (let i = 0; i < n; i++) {
    ss += (out.data[i]! - y.data[i]!) ** 2;
    st += (y.data[i]! - mean) ** 2;
  }
  return 1 - ss / st;
}

/** Lets the worker answer vitest's RPC between long synchronous steps (it times out after 60 s on a loaded machine otherwise). */
const tick = () => new Promise((r) => setImmediate(r));
/**
 * Waits for the answer to the "test started" update vitest sends as a test begins: a compile that
 * then holds the worker for over 60 s (a CNN's on a loaded machine) would find that call timed out.
 */
const settle = () => new Promise((r) => setTimeout(r, 250));

/** Measured rows by fixture set and name, so the table keeps the README's order whatever the test order. */
const rows = new Map<string, string>();
const SETS = [["models", fixturesRoot], ["models_extra", extraFixturesRoot]] as const;

for (const [set, root] of SETS) {
  describe(`fixtures (${set}) compiled with default options`, () => {
    it("has fixtures to check", () => expect(fixtureNames(root).length).toBeGreaterThan(0));
    for (const name of fixtureNames(root)) {
      it(`${name}: simulated accuracy not significantly more than 1 point below float (R² at most 0.02 below), table inputs ≤ 8 bits`, async () => {
        const f = loadFixture(name, root);
        await settle();
        const log: string[] = [];
        const circuit = compile(f.model, { calibration: f.calib, onProgress: (m) => log.push(m) });
        const info = circuit.info();
        // A table left narrower than its partition's precision: only when compile measured the
        // wider tables slower (or their keys over the budget) and said so.
        const report = circuit.precision;
        const wider = report ? widthsAtPartitionPrecision(circuit.module, report.tables.map((t) => t.bits), DEFAULT_ROUNDING_BITS) : undefined;
        expect(wider === undefined || log.some((m) => m.includes("kept the narrower tables")), `${name}: tables narrower than their partitions, no reason given`).toBe(true);
        // The output meta.json names (a classifier's probabilities, not its label).
        const at = Math.max(0, circuit.outputLayout.names.indexOf(f.meta.output_name));
        await tick();
        const clear = circuit.predictClear(f.x, { fhe: "disable" })[at]!;
        await tick();
        const simulated = circuit.predictClear(f.x, { fhe: "simulate" })[at]!;
        await tick();
        const float = runReference(importOnnx(f.model).funcs[0]!, [f.x])[at]!;
        expect(info.maxTluInputPrecision).toBeLessThanOrEqual(8);
        const keys = info.keySizes ? (info.keySizes.total / 2 ** 20).toFixed(0) : "-";
        const latency = info.latency ? Math.round(info.latency.allCoresMs) : "-";
        const row = (metric: string, m: (o: NDArray) => number) =>
          `| ${name} | ${metric} | ${m(float).toFixed(3)} | ${m(clear).toFixed(3)} | ${m(simulated).toFixed(3)} | ${info.tluCount} | ${info.lookupsPerSample} | ${info.maxTluInputPrecision} | ${keys} | ${latency} |`;
        if (f.meta.task === "classification") {
          rows.set(`${set}/${name}`, row("accuracy", (o) => accuracy(o, f.y.data)));
          expect(lossTest(float, simulated, f.y).pValue).toBeGreaterThan(0.001);
        } else {
          rows.set(`${set}/${name}`, row("R²", (o) => r2(o, f.y)));
          expect(r2(simulated, f.y)).toBeGreaterThanOrEqual(r2(float, f.y) - 0.02);
        }
        // The CNNs' precision searches take minutes when other jobs share the 2 cores.
      }, 600_000);
    }
  });
}

describe("tables at their partitions' precision", () => {
  // At default options the 6-bit floor leaves the fixtures' tables as wide as their partitions
  // (before it, cnn_maxpool, cnn_maxpool_b and cnn_avg_max had narrower ones widened). One
  // partition for a circuit whose search keeps one 7-bit table puts 6-bit tables beside it.
  it("narrower tables in one partition are widened to its precision when that costs no latency (cnn_avgpool_b, tolerance 0.001, one partition)", async () => {
    const f = loadFixture("cnn_avgpool_b", extraFixturesRoot);
    await settle();
    const log: string[] = [];
    const c = compile(f.model, { calibration: f.calib, precisionTolerance: { classification: 0.001, regression: 0.01 }, maxPartitions: 1, onProgress: (m) => log.push(m) });
    const r = c.precision!;
    expect(r.widenedToPartitions).toBeGreaterThan(0);
    expect(widthsAtPartitionPrecision(c.module, r.tables.map((t) => t.bits), DEFAULT_ROUNDING_BITS)).toBeUndefined();
    const line = log.find((m) => m.includes("tables at their partitions' precision"))!;
    const [, after, before] = /(\d+) ms a sample against (\d+)/.exec(line)!.map(Number);
    expect(after!).toBeLessThanOrEqual(before! * 1.01);
  }, 600_000);
});

describe("fixture accuracy table", () => {
  it("the README quotes exactly the measured table, one row per fixture (latency column aside)", () => {
    const header = "| model | metric | float | clear (disable) | simulated | table ops | PBS / sample | max table input bits | eval keys on server (MiB) | estimated ms / sample, all cores (cost model) |";
    const measured = SETS.flatMap(([set, root]) => fixtureNames(root).map((name) => rows.get(`${set}/${name}`) ?? `| ${name} | (not measured: its test failed) |`));
    console.log([header, header.replace(/[^|]+/g, " --- "), ...measured].join("\n"));
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8").split("\n");
    const at = readme.indexOf(header);
    expect(at, "the README's accuracy table header").toBeGreaterThanOrEqual(0);
    const withoutLatency = (row: string) => row.replace(/[^|]*\|\s*$/, "");
    expect(readme.slice(at + 2, at + 2 + measured.length).map(withoutLatency)).toEqual(measured.map(withoutLatency));
  });
});
