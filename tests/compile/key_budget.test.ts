// compile's key budget (maxKeyBytes): each partition brings its own keys, so when the cheapest
// partitioning's evaluation keys exceed the budget, the parameter search trades speed for key bytes
// (passes/params/partitions.ts, fitKeyBudget), then fewer partitions are tried.
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { loadFixture } from "../helpers/fixtures.js";

describe("evaluation key budget", () => {
  const f = loadFixture("gemm_tree");
  // Each compile runs the parameter search several times: yield between them, so a loaded
  // machine does not starve the test runner's RPC.
  const settle = () => new Promise((r) => setImmediate(r));
  let free: ReturnType<ReturnType<typeof compile>["info"]>;
  beforeAll(async () => {
    await settle();
    free = compile(f.model, { calibration: f.calib }).info();
  });
  it("a budget just below the cheapest partitioning's keys: the keys fit, at a latency no lower than without it", async () => {
    expect(free.partitions!.length).toBeGreaterThan(1);
    const budget = free.keySizes!.total - 1;
    await settle();
    const tight = compile(f.model, { calibration: f.calib, maxKeyBytes: budget }).info();
    expect(tight.keySizes!.total).toBeLessThanOrEqual(budget);
    expect(tight.latency!.singleThreadMs).toBeGreaterThanOrEqual(free.latency!.singleThreadMs);
  });
  it("a budget nothing meets: fewer partitions, the smallest keys found", async () => {
    await settle();
    const tight = compile(f.model, { calibration: f.calib, maxKeyBytes: 1 }).info();
    expect(tight.partitions!.filter((p) => !p.outputKey).length).toBeLessThan(free.partitions!.filter((p) => !p.outputKey).length);
    expect(tight.keySizes!.total).toBeLessThan(free.keySizes!.total);
  });
  it("rejects a budget that is not positive", () => {
    expect(() => compile(f.model, { calibration: f.calib, maxKeyBytes: 0 })).toThrow(/maxKeyBytes must be positive/);
  });
});
