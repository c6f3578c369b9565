// compile's key budget (maxKeyBytes): each partition brings its own keys, so when the cheapest
// partitioning's evaluation keys exceed the budget, the parameter search trades speed for key bytes
// (passes/params/partitions.ts, fitKeyBudget), then fewer partitions are tried.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { loadFixture } from "../helpers/fixtures.js";

describe("evaluation key budget", () => {
  const f = loadFixture("gemm_tree");
  it("a budget just below the cheapest partitioning's keys: the keys fit, at a latency no lower than without it", () => {
    const free = compile(f.model, { calibration: f.calib }).info();
    expect(free.partitions!.length).toBeGreaterThan(1);
    const budget = free.keySizes!.total - 1;
    const tight = compile(f.model, { calibration: f.calib, maxKeyBytes: budget }).info();
    expect(tight.keySizes!.total).toBeLessThanOrEqual(budget);
    expect(tight.latency!.singleThreadMs).toBeGreaterThanOrEqual(free.latency!.singleThreadMs);
  });
  it("a budget nothing meets: fewer partitions, the smallest keys found", () => {
    const free = compile(f.model, { calibration: f.calib }).info();
    const tight = compile(f.model, { calibration: f.calib, maxKeyBytes: 1 }).info();
    expect(tight.partitions!.filter((p) => !p.outputKey).length).toBeLessThan(free.partitions!.filter((p) => !p.outputKey).length);
    expect(tight.keySizes!.total).toBeLessThan(free.keySizes!.total);
  });
  it("rejects a budget that is not positive", () => {
    expect(() => compile(f.model, { calibration: f.calib, maxKeyBytes: 0 })).toThrow(/maxKeyBytes must be positive/);
  });
});
