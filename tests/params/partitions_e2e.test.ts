// Partitioned circuits run encrypted: optimizer (or a forced grouping) → annotations →
// lower-to-tfhe → tfhe-params → key set with conversion keys → execution, equal to the simulation.
import { describe, expect, it } from "vitest";
import { type BatchTensor, OverflowError, simulate } from "../../backends/clear/index.js";
import { TfheProgram } from "../../backends/tfhe/index.js";
import { arrayAttr, intAttr } from "../../ir/attributes.js";
import type { ModuleOp } from "../../ir/core.js";
import { CompileError } from "../../ir/diagnostics.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { printModule } from "../../ir/printer.js";
import { verifyModule } from "../../ir/verifier.js";
import { applyBitwidths } from "../../passes/bitwidth.js";
import { lowerToTfhe } from "../../passes/lower_tfhe.js";
import { annotatePartitions, checkSecurity, keyClasses, PARTITIONS_ATTR, partitionsFromModule } from "../../passes/params/index.js";
import { parsePipeline, runPipeline } from "../../passes/pipeline.js";
import { defaultPassRegistry } from "../../passes/registry.js";
import { roundFunc } from "../../passes/rounding.js";
import { parametrizePartitionedTfhe, parametrizeTfhe } from "../../passes/tfhe_params.js";
import { TfheParameters } from "../../runtime/index.js";
import { INSECURE_TEST_P2, INSECURE_TEST_P2_N512 } from "../helpers/insecure_parameters.js";
import { genGraph, randomInputs, widestPbsInput } from "../clear/gen.js";
import { batchOf, parse, parties, randomInts, runEncrypted } from "../tfhe/helpers.js";
import { sumOfTables } from "./partition_circuits.js";

function lowered(m: ModuleOp, insecureTestSets: readonly TfheParameters[] = []): TfheProgram {
  const v = verifyModule(m, defaultRegistry);
  if (v.hasErrors()) throw new CompileError(v.diagnostics);
  return TfheProgram.fromModule(parse(printModule(m), "lowered.mlir"), { insecureTestSets });
}

// 2-bit tables on 64 elements, one 5-bit table read of their sum: the optimizer's own choice is
// two partitions (N = 512 for the 2-bit lookups, a larger N for the 5-bit one).
const SMALL = sumOfTables(64);

describe("partitioned execution", () => {
  it("a built graph compiled by crypto-params gets two secure table partitions (and an output key) and runs encrypted, equal to the simulation", async () => {
    const m = parse(SMALL);
    runPipeline(m, parsePipeline("crypto-params{p-error=1e-12}", defaultPassRegistry), { registry: defaultRegistry });
    const parts = partitionsFromModule(m);
    // The 5-bit sum of 64 table outputs decrypts through a dedicated output key (the last partition).
    expect(parts?.outputKey).toBe(2);
    expect(parts?.partitions.length).toBe(3);
    expect(parts!.conversions.filter((c) => c.to !== 2).length).toBeGreaterThanOrEqual(1);
    const sizes = parts!.partitions.slice(0, 2).map((p) => p.polynomialSize);
    expect(Math.min(...sizes)).toBeLessThan(Math.max(...sizes));
    for (const p of parts!.partitions) expect(checkSecurity(p).secure).toBe(true);
    // The artifact path: printed, parsed back, lowered and parametrized from its own attributes.
    const copy = parse(printModule(m), "annotated.mlir");
    lowerToTfhe(copy);
    parametrizeTfhe(copy);
    const program = lowered(copy);
    expect(program.partitions).toHaveLength(3);
    expect(program.evaluatedPartitions()).toHaveLength(2);
    expect(program.inputs[0]!.partition).toBeDefined();
    const party = await parties(program);
    const batch = 2;
    const input = batchOf(batch, [64], randomInts(batch * 64, 0, 3, 5));
    const out = await runEncrypted(party, [input]);
    const sim = simulate(parse(SMALL).funcs[0]!, [input]);
    out.forEach((o, i) => expect(Array.from(o.data)).toEqual(Array.from(sim[i]!.data)));
  });

  it("random graphs with their key classes spread over two INSECURE test partitions equal the simulation", async () => {
    let compared = 0;
    let conversions = 0;
    for (let seed = 1; seed <= 60 && compared < 12; seed++) {
      const { module, func, argRanges } = genGraph(seed + 7100, { width: 8, steps: 5 });
      if (func.body.ops.some((o) => o.name === "fhe.round" && (o.attr("method") as { value: string }).value === "approximate")) continue;
      applyBitwidths(func);
      if (widestPbsInput(func) > 4) roundFunc(func, { bits: 4, method: "exact" });
      if (widestPbsInput(func, true) > 4 || verifyModule(module, defaultRegistry).hasErrors()) continue;
      const classes = keyClasses(func);
      if (classes.count < 2) continue;
      const inputs = randomInputs(func, argRanges, 3, seed);
      let expected: BatchTensor[];
      try {
        expected = simulate(func, inputs);
      } catch (e) {
        if (e instanceof OverflowError) continue;
        throw e;
      }
      const m = parse(printModule(module), "gen.mlir");
      annotatePartitions(m.funcs[0]!, Array.from({ length: classes.count }, (_, c) => c % 2));
      m.attributes.set(PARTITIONS_ATTR, arrayAttr([intAttr(0), intAttr(1)]));
      lowerToTfhe(m);
      parametrizePartitionedTfhe(m, [INSECURE_TEST_P2.raw(), INSECURE_TEST_P2_N512.raw()], [
        { from: 0, to: 1, ksBaseLog: 4, ksLevel: 5 },
        { from: 1, to: 0, ksBaseLog: 4, ksLevel: 5 },
      ]);
      const program = lowered(m, [INSECURE_TEST_P2, INSECURE_TEST_P2_N512]);
      conversions += program.func.body.ops.filter((o) => o.name === "tfhe.keyswitch" && (o.attr("from") as { value: number }).value !== (o.attr("to") as { value: number }).value).length;
      const got = await runEncrypted(await parties(program), inputs);
      got.forEach((g, i) => {
        expect(Array.from(g.data, (v) => v + 0), `seed ${seed + 7100} output ${i}\n${printModule(m)}`).toEqual(Array.from(expected[i]!.data, (v) => v + 0));
      });
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(8);
    expect(conversions).toBeGreaterThan(0);
  });
});
