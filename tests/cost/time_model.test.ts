// The time model: the fit recovers known coefficients, calibration files override the built-in
// model (and bad ones are one clear error), and the latency arithmetic follows the executor's
// parallelism (an op of e lookups on t threads takes ceil(e/t) lookup times).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { calibrate } from "../../bench/pbs.js";
import { fitLine, fitNonNegative } from "../../bench/time_fit.js";
import { costWeights, estimateLatency, loadTimeModel, lookupTimeMs, lookupWork, parseTimeModel, TIME_MODEL_ENV, type TimeModel } from "../../compiler/cost/index.js";
import { BUILTIN_TIME_MODEL } from "../../compiler/cost/time_model_coefficients.js";
import { CONCRETE_P4, CONCRETE_P8 } from "../../runtime/index.js";

const MODEL: TimeModel = { msPerFftWork: 1e-6, msPerMacWork: 1e-6, msPerKeyswitchWork: 2e-7, msFixed: 0.05, machine: "test", source: "test" };

describe("fitLine", () => {
  it("recovers slope and intercept from exact points", () => {
    const pts = [1e6, 3e6, 1e7, 5e7].map((work) => ({ work, ms: 2e-6 * work + 0.3 }));
    const f = fitLine(pts);
    expect(f.slope).toBeCloseTo(2e-6, 12);
    expect(f.intercept).toBeCloseTo(0.3, 9);
    expect(f.maxRelativeError).toBeLessThan(1e-9);
  });

  it("keeps coefficients non-negative (a line through the origin when the intercept would be negative)", () => {
    const pts = [1e6, 2e6, 4e6].map((work) => ({ work, ms: 1e-6 * work - 0.5 }));
    const f = fitLine(pts);
    expect(f.intercept).toBe(0);
    expect(f.slope).toBeGreaterThan(0);
  });
});

describe("fitNonNegative", () => {
  it("recovers the coefficients of several terms from exact points", () => {
    const pts = [[1e6, 2e5], [3e6, 1e5], [1e7, 4e6], [5e7, 1e6], [2e6, 3e6]].map(([a, b]) => ({ terms: [a!, b!, 1], ms: 1e-7 * a! + 7e-7 * b! + 0.02 }));
    const f = fitNonNegative(pts);
    expect(f.coefficients[0]).toBeCloseTo(1e-7, 13);
    expect(f.coefficients[1]).toBeCloseTo(7e-7, 13);
    expect(f.coefficients[2]).toBeCloseTo(0.02, 9);
    expect(f.maxRelativeError).toBeLessThan(1e-9);
  });

  it("sets a coefficient to 0 when its unconstrained optimum is negative", () => {
    const pts = [1e6, 2e6, 4e6, 8e6].map((a) => ({ terms: [a, 1], ms: 1e-6 * a - 0.5 }));
    const f = fitNonNegative(pts);
    expect(f.coefficients[1]).toBe(0);
    expect(f.coefficients[0]).toBeGreaterThan(0);
  });
});

describe("calibrate (bench/pbs.ts)", () => {
  it("recovers the coefficients of synthetic keyswitch and PBS timings, and predicts the fused lookup", () => {
    const shapes = [[1, 512, 500, 1, 3], [2, 1024, 800, 1, 3], [1, 2048, 600, 2, 7], [1, 16384, 1000, 2, 5]] as const;
    const timings = shapes.map(([k, N, n, pbsLevel, ksLevel]) => {
      const p = { ...CONCRETE_P4.raw(), glweDimension: k, polynomialSize: N, lweDimension: n, pbsLevel, ksLevel };
      const w = lookupWork(p);
      const keyswitchMs = 3e-7 * w.keyswitch + 0.01;
      const pbsMs = 2e-7 * w.fft + 9e-7 * w.mac + 0.04;
      return { shape: "", k, N, n, pbsLevel, ksLevel, pbsWork: w.fft + w.mac, keyswitchWork: w.keyswitch, reps: 3, keyswitchMs, pbsMs, lookupMs: keyswitchMs + pbsMs, keygenMs: 0 };
    });
    const cal = calibrate(timings, "synthetic");
    expect(cal.model.msPerFftWork).toBeCloseTo(2e-7, 12);
    expect(cal.model.msPerMacWork).toBeCloseTo(9e-7, 12);
    expect(cal.model.msPerKeyswitchWork).toBeCloseTo(3e-7, 12);
    expect(cal.model.msFixed).toBeCloseTo(0.05, 9);
    expect(cal.maxLookupRelativeError).toBeLessThan(1e-9);
    // Without multi-bit timings there is no multi-bit coefficient (the optimizer then stays classic).
    expect(cal.model.msPerMultiBitMacWork).toBeUndefined();
  });

  it("fits the multi-bit key products a coefficient of their own when multi-bit shapes were timed", () => {
    const shapes = [[1, 512, 500, 1, 3, 1], [2, 1024, 800, 1, 3, 1], [1, 2048, 600, 2, 7, 1], [1, 16384, 1000, 2, 5, 1],
      [1, 2048, 800, 1, 5, 2], [1, 8192, 900, 2, 4, 3], [2, 1024, 800, 1, 3, 2]] as const;
    const timings = shapes.map(([k, N, n, pbsLevel, ksLevel, g]) => {
      const p = { ...CONCRETE_P4.raw(), glweDimension: k, polynomialSize: N, lweDimension: n, pbsLevel, ksLevel, ...(g > 1 ? { pbsGroupingFactor: g } : {}) };
      const w = lookupWork(p);
      const keyswitchMs = 3e-7 * w.keyswitch + 0.01;
      const pbsMs = 2e-7 * w.fft + 9e-7 * w.mac + 4e-7 * w.multiBitMac + 0.04;
      return { shape: "", k, N, n, pbsLevel, ksLevel, g, pbsWork: w.fft + w.mac + w.multiBitMac, keyswitchWork: w.keyswitch, reps: 3, keyswitchMs, pbsMs, lookupMs: keyswitchMs + pbsMs, keygenMs: 0 };
    });
    const cal = calibrate(timings, "synthetic");
    expect(cal.model.msPerFftWork).toBeCloseTo(2e-7, 12);
    expect(cal.model.msPerMacWork).toBeCloseTo(9e-7, 12);
    expect(cal.model.msPerMultiBitMacWork).toBeCloseTo(4e-7, 12);
    expect(cal.maxLookupRelativeError).toBeLessThan(1e-9);
    // The optimizer's weights carry it, relative to one FFT operation.
    expect(costWeights(cal.model).multiBitMac).toBeCloseTo(2, 9);
  });
});

describe("time model sources", () => {
  it("has built-in coefficients that give a positive time per lookup, growing with N", () => {
    expect(BUILTIN_TIME_MODEL.machine).not.toBe("");
    const t4 = lookupTimeMs(BUILTIN_TIME_MODEL, CONCRETE_P4);
    expect(t4).toBeGreaterThan(0);
    expect(lookupTimeMs(BUILTIN_TIME_MODEL, CONCRETE_P8)).toBeGreaterThan(t4);
  });

  it(`reads a calibration file named by ${TIME_MODEL_ENV} (bench output or bare coefficients)`, () => {
    const dir = mkdtempSync(join(tmpdir(), "fhec-time-"));
    const bench = join(dir, "pbs.json");
    writeFileSync(bench, JSON.stringify({ machine: "m", model: { msPerFftWork: 1e-6, msPerMacWork: 3e-6, msPerKeyswitchWork: 1e-7, msFixed: 0.1, machine: "box" } }));
    const m = loadTimeModel({ [TIME_MODEL_ENV]: bench });
    expect(m).toMatchObject({ msPerFftWork: 1e-6, msPerMacWork: 3e-6, msPerKeyswitchWork: 1e-7, msFixed: 0.1, machine: "box", source: bench });
    // A calibration from before the split: its one PBS coefficient prices both terms.
    expect(parseTimeModel(JSON.stringify({ msPerPbsWork: 2e-6, msPerKeyswitchWork: 0, msFixed: 0 }), "x")).toMatchObject({ msPerFftWork: 2e-6, msPerMacWork: 2e-6 });
    expect(loadTimeModel({}).source).toBe("built-in");
    // A calibration without multi-bit timings prices multi-bit products at msPerMacWork, and gives no multi-bit weight.
    const classic = parseTimeModel(JSON.stringify({ msPerFftWork: 1e-6, msPerMacWork: 3e-6, msPerKeyswitchWork: 1e-7, msFixed: 0 }), "c");
    expect(classic.msPerMultiBitMacWork).toBeUndefined();
    expect(costWeights(classic).multiBitMac).toBeUndefined();
    const g2 = { ...CONCRETE_P4.raw(), pbsGroupingFactor: 2 };
    const w = lookupWork(g2);
    expect(lookupTimeMs(classic, g2)).toBeCloseTo(1e-6 * w.fft + 3e-6 * w.multiBitMac + 1e-7 * w.keyswitch, 9);
    expect(parseTimeModel(JSON.stringify({ msPerFftWork: 1e-6, msPerMacWork: 3e-6, msPerMultiBitMacWork: 2e-6, msPerKeyswitchWork: 1e-7, msFixed: 0 }), "m").msPerMultiBitMacWork).toBe(2e-6);
  });

  it("rejects a missing, malformed or negative calibration with one message", () => {
    expect(() => loadTimeModel({ [TIME_MODEL_ENV]: "/nonexistent/pbs.json" })).toThrow(/cannot read the time model '\/nonexistent\/pbs.json'/);
    expect(() => parseTimeModel("{", "f.json")).toThrow(/'f.json' is not valid JSON/);
    expect(() => parseTimeModel(JSON.stringify({ msPerPbsWork: -1, msPerKeyswitchWork: 0, msFixed: 0 }), "f.json")).toThrow(/'msPerPbsWork' must be a non-negative number/);
    expect(() => parseTimeModel(JSON.stringify({ msPerFftWork: 1e-7, msPerMacWork: -1, msPerKeyswitchWork: 0, msFixed: 0 }), "f.json")).toThrow(/'msPerMacWork' must be a non-negative number/);
  });
});

describe("costWeights", () => {
  it("gives the optimizer the model's per-term costs relative to one FFT operation", () => {
    const w = costWeights({ ...MODEL, msPerMacWork: 5e-6, msPerKeyswitchWork: 5e-7 });
    expect(w.fft).toBe(1);
    expect(w.mac).toBeCloseTo(5, 12);
    expect(w.keyswitch).toBeCloseTo(0.5, 12);
  });

  it("the built-in model prices every term and carries a multi-bit price (the optimizer then searches multi-bit sets)", () => {
    // Calibrated per lookup in batches, where each key pass serves a group of ciphertexts: a
    // classic key product costs about an FFT operation there, a multi-bit one more (2^g − 1
    // entries per group, each with its own weights).
    const w = costWeights(BUILTIN_TIME_MODEL);
    expect(w.mac).toBeGreaterThan(0);
    expect(w.keyswitch).toBeGreaterThan(0);
    expect(w.multiBitMac).toBeGreaterThan(w.mac);
  });
});

describe("estimateLatency", () => {
  it("sums ops; each op takes ceil(lookups / threads) lookup times", () => {
    const t = lookupTimeMs(MODEL, CONCRETE_P4);
    const l = estimateLatency(MODEL, CONCRETE_P4, [10, 1, 4], 4);
    expect(l.msPerLookup).toBe(t);
    expect(l.singleThreadMs).toBeCloseTo(15 * t, 9);
    expect(l.allCoresMs).toBeCloseTo((3 + 1 + 1) * t, 9);
    expect(l.threads).toBe(4);
    expect(estimateLatency(MODEL, CONCRETE_P4, [], 2).singleThreadMs).toBe(0);
    expect(() => estimateLatency(MODEL, CONCRETE_P4, [1], 0)).toThrow(/threads/);
  });
});
