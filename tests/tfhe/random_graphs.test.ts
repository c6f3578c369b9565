// Property test: random fhe graphs (the clear backend's generator: every op kind, signed and
// unsigned values, tables, rounding, casts, data movement), made precise by the bitwidth pass and,
// where a table reads more than 4 bits, exact rounding; lowered to tfhe and run encrypted. The
// decrypted integers must equal the clear simulation.
import { describe, expect, it } from "vitest";
import { type BatchTensor, OverflowError, simulate } from "../../backends/clear/index.js";
import type { FuncOp } from "../../ir/core.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { printModule } from "../../ir/printer.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../../ir/types.js";
import { verifyModule } from "../../ir/verifier.js";
import { applyBitwidths } from "../../passes/bitwidth.js";
import { roundFunc } from "../../passes/rounding.js";
import { INSECURE_TEST_P2 } from "../../runtime/index.js";
import { Gen, genGraph, prng } from "../clear/gen.js";
import { parties, programFor, runEncrypted } from "./helpers.js";

const TABLE_BITS = 4;

function randomInputs(func: FuncOp, ranges: [number, number][], batch: number, seed: number): BatchTensor[] {
  const g = new Gen(prng(seed));
  return func.args.map((_, i) => {
    const shape = shapeOf(func.args[i]!.type) as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const [lo, hi] = ranges[i]!;
    const data = new Float64Array(n * batch);
    for (let s = 0; s < batch; s++) for (let j = 0; j < n; j++) data[s * n + j] = s === 0 ? lo : s === 1 ? hi : g.int(lo, hi);
    return { batch, shape, data };
  });
}

/** Widest PBS input: table lookups, and sign casts (lowered to re-encoding lookups). */
const widest = (func: FuncOp, withCasts = false): number =>
  Math.max(
    0,
    ...func.body.ops
      .filter((o) => o.name.includes("lookup_table") || (withCasts && (o.name === "fhe.to_signed" || o.name === "fhe.to_unsigned")))
      .map((o) => (elementOf(o.operands[0]!.type) as EncryptedIntType).width),
  );

describe("random fhe graphs: tfhe execution equals the simulation", () => {
  it("60 graphs × 4 samples (INSECURE_TEST_P2, tables ≤ 4 bits)", async () => {
    let compared = 0;
    for (let seed = 1; seed <= 150 && compared < 60; seed++) {
      const { module, func, argRanges } = genGraph(seed + 9000, { width: 8, steps: 5 });
      const approximate = func.body.ops.some((o) => o.name === "fhe.round" && (o.attr("method") as { value: string }).value === "approximate");
      if (approximate) continue; // approximate rounding may legitimately differ near ties (approximate.test.ts)
      applyBitwidths(func);
      if (widest(func) > TABLE_BITS) roundFunc(func, { bits: TABLE_BITS, method: "exact" });
      if (widest(func, true) > TABLE_BITS || verifyModule(module, defaultRegistry).hasErrors()) continue;
      const inputs = randomInputs(func, argRanges, 4, seed);
      let expected: BatchTensor[];
      try {
        expected = simulate(func, inputs);
      } catch (e) {
        if (e instanceof OverflowError) continue;
        throw e;
      }
      const got = await runEncrypted(await parties(programFor(module, INSECURE_TEST_P2)), inputs);
      got.forEach((g, i) => {
        expect(Array.from(g.data, (v) => v + 0), `seed ${seed + 9000} output ${i}\n${printModule(module)}`).toEqual(Array.from(expected[i]!.data, (v) => v + 0));
      });
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(40);
  });
});
