// Multi-parameter optimization: partitions by precision, joint optimum, security of every set,
// and every constraint re-checked from the reported numbers.
import { describe, expect, it } from "vitest";
import { checkSecurity, errorProbability, keyClasses, type NoiseConstraint, noiseBits, predictedErrors, readVariance, selectPartitionedParameters } from "../../passes/params/index.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { keyswitchCost } from "../../crypto-model/index.js";
import { partitionsFromModule } from "../../passes/params/index.js";
import { parsePipeline, runPipeline } from "../../passes/pipeline.js";
import { defaultPassRegistry } from "../../passes/registry.js";
import { parse } from "../tfhe/helpers.js";
import { MIXED, serverKeyBytes, tableAttr } from "./partition_circuits.js";

const table = tableAttr;


describe("partitions", () => {
  it("one 8-bit table among many 3-bit ones: ≥ 2 partitions, cheaper than the best single set", () => {
    const sel = selectPartitionedParameters(parse(MIXED), { pError: 2 ** -40 });
    const p = sel.partitioned;
    expect(p.partitions.length).toBeGreaterThanOrEqual(2);
    expect(p.totalCost).toBeLessThan(p.singleCost);
    // The single set's cost: its 129 lookups, plus the keyswitch of each of the 65 results into
    // the output key chosen for them (or through the set's own key).
    const s = sel.single;
    const o = s.outputKeyswitch;
    const perOutput = o ? keyswitchCost(o.lweDimension, s.glweDimension, s.polynomialSize, o.ksLevel) : keyswitchCost(s.lweDimension, s.glweDimension, s.polynomialSize, s.ksLevel);
    expect(p.singleCost).toBe(s.cost * (64 + 64 + 1) + 65 * perOutput);
    // The 8-bit table runs on the largest polynomial; the 3-bit ones on a smaller one.
    const reads = sel.constraints.map((c, i) => ({ c, pl: p.placements[i]! })).filter((r) => r.c.kind === "table");
    const n8 = p.partitions[reads.find((r) => r.c.precision === 8)!.pl.reader!]!.polynomialSize;
    const n3 = p.partitions[reads.find((r) => r.c.precision === 3)!.pl.reader!]!.polynomialSize;
    expect(n8).toBeGreaterThan(n3);
    // Every set of every partition is 128-bit secure.
    for (const s of p.partitions) expect(checkSecurity(s).secure).toBe(true);
    // Every constraint meets the bound, re-computed from the reported numbers.
    const probs = predictedErrors(sel.constraints, p.placements, p.partitions, p.conversions);
    for (const q of probs) expect(q).toBeLessThanOrEqual(2 ** -40 * (1 + 1e-9));
  });

  it("a key budget below the cheapest solution's keys: the keys fit (sizes re-computed by the runtime), every read still meets its bound", () => {
    const free = selectPartitionedParameters(parse(MIXED), { pError: 2 ** -40 }).partitioned;
    const budget = 0.95 * serverKeyBytes(free);
    const sel = selectPartitionedParameters(parse(MIXED), { pError: 2 ** -40, maxKeyBytes: budget });
    const p = sel.partitioned;
    expect(serverKeyBytes(p)).toBeLessThanOrEqual(budget);
    expect(p.totalCost).toBeGreaterThanOrEqual(free.totalCost);
    for (const s of p.partitions) expect(checkSecurity(s).secure).toBe(true);
    for (const q of predictedErrors(sel.constraints, p.placements, p.partitions, p.conversions)) expect(q).toBeLessThanOrEqual(2 ** -40 * (1 + 1e-9));
  });

  it("crypto-params{max-partitions=1} keeps one set; the default partitions the same circuit", () => {
    const one = parse(MIXED);
    runPipeline(one, parsePipeline("crypto-params{max-partitions=1}", defaultPassRegistry), { registry: defaultRegistry });
    expect(partitionsFromModule(one)).toBeUndefined();
    const many = parse(MIXED);
    runPipeline(many, parsePipeline("crypto-params", defaultPassRegistry), { registry: defaultRegistry });
    expect(partitionsFromModule(many)?.partitions.length).toBeGreaterThanOrEqual(2);
  });

  it("a circuit with one precision keeps exactly the single set", () => {
    const text = `func.func @main(%x: tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.eint<3>> {
  %a = fhe.apply_lookup_table %x {table = ${table(3, (i) => i)}} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.eint<3>>
  return %a : tensor<4x!fhe.eint<3>>
}`;
    const sel = selectPartitionedParameters(parse(text), { pError: 2 ** -40 });
    expect(sel.partitioned.partitions).toEqual([sel.single]);
    expect(sel.partitioned.conversions).toEqual([]);
  });

  it("linear ops merge the key classes of their operands", () => {
    const text = `func.func @main(%x: tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.eint<4>> {
  %a = fhe.apply_lookup_table %x {table = ${table(3, (i) => i)}} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.eint<4>>
  %b = fhe.apply_lookup_table %x {table = ${table(3, (i) => 7 - i)}} : (tensor<4x!fhe.eint<3>>) -> tensor<4x!fhe.eint<4>>
  %c = fhe.add_eint %a, %b : (tensor<4x!fhe.eint<4>>, tensor<4x!fhe.eint<4>>) -> tensor<4x!fhe.eint<4>>
  return %c : tensor<4x!fhe.eint<4>>
}`;
    const m = parse(text);
    const f = m.funcs[0]!;
    const k = keyClasses(f);
    const ops = f.body.ops;
    expect(k.classOf.get(ops[0]!.result)).toBe(k.classOf.get(ops[1]!.result));
    expect(k.classOf.get(ops[2]!.result)).toBe(k.classOf.get(ops[0]!.result));
    expect(k.classOf.get(f.args[0]!)).not.toBe(k.classOf.get(ops[0]!.result));
    expect(k.count).toBe(2);
  });

  it("readVariance is the sum of the model's terms (a conversion uses the source's k·N)", () => {
    const sel = selectPartitionedParameters(parse(MIXED), { pError: 2 ** -40 });
    const p = sel.partitioned;
    const i = sel.constraints.findIndex((c, j) => c.kind === "table" && p.placements[j]!.source !== p.placements[j]!.reader);
    expect(i).toBeGreaterThanOrEqual(0);
    const c: NoiseConstraint = sel.constraints[i]!;
    const v = readVariance(c, p.placements[i]!, p.partitions, p.conversions);
    expect(errorProbability(c.precision, v)).toBeLessThanOrEqual(2 ** -40 * (1 + 1e-9));
  });

  it("a wide output the tables' keyswitching key cannot decrypt goes to an output key, and every read meets the bound", () => {
    // 64 3-bit lookups summed into one 12-bit result: ν² = 64 PBS outputs, decrypted at 12 bits.
    const WIDE = `func.func @main(%x: tensor<64x!fhe.eint<3>>) -> tensor<1x!fhe.eint<12>> {
  %a = fhe.apply_lookup_table %x {table = ${table(3, (i) => 7 - i)}} : (tensor<64x!fhe.eint<3>>) -> tensor<64x!fhe.eint<12>>
  %s = fhe.sum %a {axes = [0], keep_dims = true} : (tensor<64x!fhe.eint<12>>) -> tensor<1x!fhe.eint<12>>
  return %s : tensor<1x!fhe.eint<12>>
}`;
    const sel = selectPartitionedParameters(parse(WIDE), { pError: 2 ** -40, maxPartitions: 1 });
    const p = sel.partitioned;
    expect(p.outputKey).toBe(1);
    expect(p.partitions).toHaveLength(2);
    const out = sel.constraints.findIndex((c) => c.kind === "output");
    expect(p.placements[out]).toEqual({ source: 0, reader: undefined, target: 1 });
    expect(p.conversions).toEqual([expect.objectContaining({ from: 0, to: 1 })]);
    // Through the table set's own keyswitching key the output would not decrypt within the bound.
    const own = errorProbability(noiseBits(sel.constraints[out]!), readVariance(sel.constraints[out]!, { source: 0, reader: undefined }, p.partitions, p.conversions));
    expect(own).toBeGreaterThan(2 ** -40);
    // Through the output key every read, the decryption included, meets it; every key is secure.
    for (const q of predictedErrors(sel.constraints, p.placements, p.partitions, p.conversions)) expect(q).toBeLessThanOrEqual(2 ** -40 * (1 + 1e-9));
    for (const s of p.partitions) expect(checkSecurity(s).secure).toBe(true);
  });
});

describe("tfhe dialect: partition keys on keyswitches and bootstraps", () => {
  const L = (p: number, key = "big") => `!tfhe.lwe<${p}, ${key}>`;
  const mod = (attrs: string) => `func.func @f(%a: tensor<2x${L(2)}>) -> tensor<2x${L(2)}> {
  %0 = tfhe.keyswitch %a {ks = "?"${attrs}} : (tensor<2x${L(2)}>) -> tensor<2x${L(2, "small")}>
  %1 = tfhe.bootstrap %0 {table = dense<[0, 1, 1, 0]> : tensor<4xi64>, pbs = "?", partition = 1} : (tensor<2x${L(2, "small")}>) -> tensor<2x${L(2)}>
  return %1 : tensor<2x${L(2)}>
}`;
  it("accepts from/to partition indices and rejects a lone or negative one", () => {
    expect(() => parse(mod(", from = 0, to = 1"))).not.toThrow();
    expect(() => parse(mod(", from = 0"))).toThrow(/partition attributes from, to go together/);
    expect(() => parse(mod(", from = -1, to = 1"))).toThrow(/'from' must be a partition index/);
  });
});
