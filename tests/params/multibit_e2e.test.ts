// A circuit whose parameters the optimizer chose with multi-bit sets (secure ones, under a measured
// multi-bit weight) runs encrypted: annotations → lower-to-tfhe → tfhe-params → keys with the
// grouped bootstrapping key → execution, equal to the simulation bit for bit (an exact circuit).
import { describe, expect, it } from "vitest";
import { simulate } from "../../backends/clear/index.js";
import { TfheProgram } from "../../backends/tfhe/index.js";
import { CompileError } from "../../ir/diagnostics.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { printModule } from "../../ir/printer.js";
import { verifyModule } from "../../ir/verifier.js";
import { lowerToTfhe } from "../../passes/lower_tfhe.js";
import { checkSecurity, partitionsFromModule } from "../../passes/params/index.js";
import { parsePipeline, runPipeline } from "../../passes/pipeline.js";
import { defaultPassRegistry } from "../../passes/registry.js";
import { parametrizeTfhe } from "../../passes/tfhe_params.js";
import { batchOf, parse, parties, randomInts, runEncrypted } from "../tfhe/helpers.js";
import { sumOfTables } from "./partition_circuits.js";

// 2-bit tables on 16 elements, one 5-bit table read of their sum.
const SMALL = sumOfTables(16);

describe("multi-bit sets chosen by the optimizer", () => {
  it("run encrypted, equal to the simulation", async () => {
    const m = parse(SMALL);
    // Key products weighted as a calibration does, multi-bit ones cheaper than classic ones.
    runPipeline(m, parsePipeline("crypto-params{p-error=1e-12 cost-mac=5.8 cost-keyswitch=1.06 cost-multibit-mac=1.5}", defaultPassRegistry), { registry: defaultRegistry });
    const parts = partitionsFromModule(m);
    const sets = parts ? parts.partitions.slice(0, parts.outputKey ?? parts.partitions.length) : [];
    expect(sets.some((p) => (p.pbsGroupingFactor ?? 1) > 1)).toBe(true);
    for (const p of parts!.partitions) expect(checkSecurity(p).secure).toBe(true);
    // The artifact path: printed, parsed back (the grouping factor survives), lowered, parametrized.
    const copy = parse(printModule(m), "annotated.mlir");
    expect(partitionsFromModule(copy)!.partitions.map((p) => p.pbsGroupingFactor)).toEqual(parts!.partitions.map((p) => p.pbsGroupingFactor));
    lowerToTfhe(copy);
    parametrizeTfhe(copy);
    const v = verifyModule(copy, defaultRegistry);
    if (v.hasErrors()) throw new CompileError(v.diagnostics);
    const program = TfheProgram.fromModule(parse(printModule(copy), "lowered.mlir"));
    expect(program.partitions.some((p) => p.pbsGroupingFactor > 1)).toBe(true);
    const party = await parties(program);
    const batch = 3;
    const input = batchOf(batch, [16], randomInts(batch * 16, 0, 3, 11));
    const out = await runEncrypted(party, [input]);
    const sim = simulate(parse(SMALL).funcs[0]!, [input]);
    out.forEach((o, i) => expect(Array.from(o.data)).toEqual(Array.from(sim[i]!.data)));
  });
});
