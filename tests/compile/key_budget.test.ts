// compile's key budget (maxKeyBytes): each partition brings its own keys, so when the cheapest
// partitioning's evaluation keys exceed the budget, fewer partitions are tried.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { loadFixture } from "../helpers/fixtures.js";

describe("evaluation key budget", () => {
  const f = loadFixture("gemm_tree");
  it("keeps the cheapest partitioning when its keys fit, and fewer partitions with smaller keys when they do not", () => {
    const free = compile(f.model, { calibration: f.calib }).info();
    expect(free.partitions!.length).toBeGreaterThan(1);
    const budget = free.keySizes!.total - 1;
    const tight = compile(f.model, { calibration: f.calib, maxKeyBytes: budget }).info();
    expect(tight.partitions!.length).toBeLessThan(free.partitions!.length);
    expect(tight.keySizes!.total).toBeLessThan(free.keySizes!.total);
  });
  it("rejects a budget that is not positive", () => {
    expect(() => compile(f.model, { calibration: f.calib, maxKeyBytes: 0 })).toThrow(/maxKeyBytes must be positive/);
  });
});
