// Key sizes of one set are the runtime's (checked against real bytes in tests/runtime/sizes.test.ts); several sets (partitions) add up, with the
// conversion keys counted once, in memory and as sent.
import { describe, expect, it } from "vitest";
import { combineKeySizes, keyMemory, keySizes } from "../../compiler/cost/index.js";
import { CONCRETE_P4, CONCRETE_P5, evaluationKeySize, secretKeySize, seededEvaluationKeySize } from "../../runtime/index.js";

describe("keySizes", () => {
  it("takes the runtime's sizes: expanded in memory, seeded as serialized", () => {
    const k = keySizes(CONCRETE_P4);
    expect(k.total).toBe(evaluationKeySize(CONCRETE_P4).inMemory);
    expect(k.total).toBe(k.bootstrapKey + k.keyswitchKey);
    expect(k.totalSeeded).toBe(seededEvaluationKeySize(CONCRETE_P4).serialized);
    expect(k.secretKey).toBe(secretKeySize(CONCRETE_P4).serialized);
  });

  it("combines partitions and conversion keys", () => {
    const a = keySizes(CONCRETE_P4);
    const b = keySizes(CONCRETE_P5);
    expect(combineKeySizes([a])).toEqual(a);
    const c = combineKeySizes([a, b], { inMemory: 1000, seeded: 100 });
    expect(c.total).toBe(a.total + b.total + 1000);
    expect(c.keyswitchKey).toBe(a.keyswitchKey + b.keyswitchKey + 1000);
    expect(c.totalSeeded).toBe(a.totalSeeded + b.totalSeeded + 100);
    expect(keyMemory(c).peak).toBeGreaterThan(keyMemory(a).peak + keyMemory(b).peak - 1);
    // Key generation holds one partition's seeded keys at a time: the largest, not the sum.
    expect(c.largestSeeded).toBe(Math.max(a.totalSeeded, b.totalSeeded));
    expect(keyMemory(c).keygenPeak).toBe(a.secretKey + b.secretKey + Math.max(a.seededInMemory, b.seededInMemory));
    expect(() => combineKeySizes([])).toThrow(RangeError);
  });
});
