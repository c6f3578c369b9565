// The builder API, value naming, float and dense printing, and pipeline parsing.
import { describe, expect, it } from "vitest";
import {
  addFunction,
  defaultRegistry,
  denseAttr,
  eint,
  f32,
  floatAttr,
  formatFloat,
  i8,
  i64,
  ModuleOp,
  parseModule,
  printAttribute,
  printModule,
  tensor,
  verifyModule,
} from "../../ir/index.js";
import { parsePipeline } from "../../passes/pipeline.js";
import { defaultPassRegistry } from "../../passes/registry.js";
import { CompileError } from "../../ir/diagnostics.js";

describe("builder and printer", () => {
  it("builds a verifiable module that round-trips through text", () => {
    const m = new ModuleOp();
    const { builder } = addFunction(m, "main", [{ type: tensor([2, 3], eint(4)), name: "x" }], [tensor([2, 2], eint(4))]);
    const w = builder.constant(denseAttr(tensor([3, 2], i8), [1, 2, 3, 4, 5, 6]), "w");
    const x = m.funcs[0]!.args[0]!;
    const y = builder.create("fhe.matmul_eint_int", [x, w], [tensor([2, 2], eint(4))]).result;
    const t = builder.create("fhe.apply_lookup_table", [y], [tensor([2, 2], eint(4))], {
      table: denseAttr(tensor([16], i64), Array.from({ length: 16 }, (_, i) => 15 - i)),
    }).result;
    builder.ret([t]);
    expect(verifyModule(m, defaultRegistry).diagnostics).toEqual([]);
    const text = printModule(m);
    expect(text).toContain("%w = arith.constant");
    expect(text).toContain("%0 = fhe.matmul_eint_int %x, %w");
    const again = parseModule(text, "t.mlir", defaultRegistry);
    expect(printModule(again.module!)).toBe(text);
  });

  it("keeps unique name hints and numbers the rest without collisions", () => {
    const m = new ModuleOp();
    const { builder, func } = addFunction(m, "f", [{ type: eint(3), name: "1" }], [eint(3)]);
    const a = builder.create("fhe.neg_eint", [func.args[0]!], [eint(3)], {}, { names: ["dup"] }).result;
    const b = builder.create("fhe.neg_eint", [a], [eint(3)], {}, { names: ["dup"] }).result;
    const c = builder.create("fhe.neg_eint", [b], [eint(3)]).result;
    builder.ret([c]);
    const text = printModule(m);
    expect(text).toContain("func.func @f(%1: !fhe.eint<3>)");
    expect(text).toContain("%0 = fhe.neg_eint %1");
    expect(text).toContain("%2 = fhe.neg_eint %0");
    expect(text).toContain("%3 = fhe.neg_eint %2");
    expect(printModule(parseModule(text, "t", defaultRegistry).module!)).toBe(text);
  });

  it("prints floats so that they read back exactly", () => {
    expect(formatFloat(3)).toBe("3.0");
    expect(formatFloat(-0)).toBe("-0.0");
    expect(formatFloat(0.1)).toBe("0.1");
    expect(formatFloat(NaN)).toBe("nan");
    expect(formatFloat(-Infinity)).toBe("-inf");
    expect(printAttribute(floatAttr(1e21))).toBe("1e+21");
  });

  it("round-trips large f32 tensors through the hex form exactly", () => {
    const values = Array.from({ length: 300 }, (_, i) => Math.fround(Math.sin(i) * 1e-3));
    const attr = denseAttr(tensor([300], f32), values);
    const printed = printAttribute(attr);
    expect(printed.startsWith('dense<"0x')).toBe(true);
    const text = `module attributes {w = ${printed}} {\n}\n`;
    const parsed = parseModule(text, "t", defaultRegistry);
    const back = parsed.module!.attributes.get("w");
    expect(back?.kind).toBe("dense");
    expect(Array.from((back as typeof attr).data)).toEqual(values);
    expect(printModule(parsed.module!)).toBe(text);
  });
});

describe("pipelines", () => {
  it("parses pass options with defaults", () => {
    const steps = parsePipeline("canonicalize, canonicalize{max-iterations=3}", defaultPassRegistry);
    expect(steps.map((s) => s.options["max-iterations"])).toEqual([10, 3]);
  });
  it("rejects malformed elements", () => {
    expect(() => parsePipeline("canonicalize{max-iterations}", defaultPassRegistry)).toThrow(CompileError);
    expect(() => parsePipeline("canon icalize", defaultPassRegistry)).toThrow(/cannot read pipeline element/);
  });
});

describe("hex dense form of integer tensors", () => {
  for (const [type, values] of [
    ["ui8", Array.from({ length: 300 }, (_, i) => (i * 7) % 256)],
    ["ui16", Array.from({ length: 300 }, (_, i) => (i * 331) % 65536)],
    ["i16", Array.from({ length: 300 }, (_, i) => ((i * 331) % 65536) - 32768)],
    ["ui32", Array.from({ length: 300 }, (_, i) => i * 14000000)],
  ] as const) {
    it(`round-trips ${type} values exactly`, () => {
      const text = `module attributes {w = dense<[${values.join(", ")}]> : tensor<300x${type}>} {\n}\n`;
      const parsed = parseModule(text, "t", defaultRegistry);
      const printed = printModule(parsed.module!);
      expect(printed).toContain('dense<"0x');
      const again = parseModule(printed, "t", defaultRegistry);
      expect(Array.from((again.module!.attributes.get("w") as { data: Float64Array }).data)).toEqual([...values]);
    });
  }
});
