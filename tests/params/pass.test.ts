// The crypto-params pass: fhe module in, `fhec.crypto` module attribute out.
import { describe, expect, it } from "vitest";
import type { ModuleOp } from "../../ir/core.js";
import { firstDiagnosticOf } from "../helpers/compile_error.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { printModule } from "../../ir/printer.js";
import { chooseParameters } from "../../passes/params/optimizer.js";
import { CRYPTO_ATTR, cryptoParametersFromAttr, selectCryptoParameters } from "../../passes/params/pass.js";
import { perPbsFromGlobal } from "../../crypto-model/index.js";
import { parsePipeline, runPipeline } from "../../passes/pipeline.js";
import { defaultPassRegistry } from "../../passes/registry.js";
import { readCryptoParams } from "../../passes/tfhe_params.js";

function parse(text: string, file = "m.mlir"): ModuleOp {
  const r = parseModule(text, file, defaultRegistry);
  if (!r.module) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.module;
}

const t16 = `dense<[${Array.from({ length: 16 }, (_, i) => i % 8).join(", ")}]> : tensor<16xi64>`;
const MODEL = `func.func @main(%x: tensor<4x!fhe.eint<4>>) -> tensor<2x!fhe.eint<3>> {
  %w = arith.constant {value = dense<[[1, 0], [1, 1], [0, 1], [1, -1]]> : tensor<4x2xi2>} : () -> tensor<4x2xi2>
  %0 = fhe.matmul_eint_int %x, %w : (tensor<4x!fhe.eint<4>>, tensor<4x2xi2>) -> tensor<2x!fhe.eint<4>>
  %1 = fhe.apply_lookup_table %0 {table = ${t16}} : (tensor<2x!fhe.eint<4>>) -> tensor<2x!fhe.eint<3>>
  return %1 : tensor<2x!fhe.eint<3>>
}`;

function run(module: ModuleOp, pipeline: string) {
  return runPipeline(module, parsePipeline(pipeline, defaultPassRegistry), { registry: defaultRegistry, verifyEach: true });
}

describe("crypto-params pass", () => {
  it("records the chosen set as fhec.crypto (ints and floats) and reports it", () => {
    const m = parse(MODEL);
    const res = run(m, "crypto-params{p-error=6.3e-5}");
    const attr = m.attributes.get(CRYPTO_ATTR);
    expect(attr?.kind).toBe("dict");
    const p = cryptoParametersFromAttr(attr)!;
    // ν² of the table input: columns of w² sum to 3 and 3.
    const direct = chooseParameters({ constraints: [
      { kind: "table", precision: 4, norm2: 3, freshNorm2: 3, pbsNorm2: 0, count: 2 },
      { kind: "output", precision: 3, norm2: 1, pbsNorm2: 1, freshNorm2: 0, count: 2 },
    ], pError: 6.3e-5 });
    expect(p).toEqual(direct);
    expect(Object.keys(p).sort()).toEqual([
      "cost", "glweDimension", "glweNoiseStd", "ksBaseLog", "ksLevel", "lweDimension", "lweNoiseStd", "maxNorm2",
      "pError", "pErrorPerPbs", "pbsBaseLog", "pbsLevel", "polynomialSize", "precision",
    ]);
    if (attr?.kind === "dict") {
      expect(attr.entries.get("lweDimension")?.kind).toBe("int");
      expect(attr.entries.get("lweNoiseStd")?.kind).toBe("float");
    }
    expect(res.reports[0]!.report.changed).toBe(true);
    expect(res.reports[0]!.report.details).toMatchObject({ constraints: 2, precision: p.precision, lweDimension: p.lweDimension });
    // Idempotent.
    expect(run(m, "crypto-params{p-error=6.3e-5}").reports[0]!.report.changed).toBe(false);
  });

  it("the attribute survives print → parse, and tfhe-params reads it", () => {
    const m = parse(MODEL);
    run(m, "crypto-params");
    const text = printModule(m);
    expect(text).toContain("fhec.crypto = {");
    const again = parse(text);
    expect(cryptoParametersFromAttr(again.attributes.get(CRYPTO_ATTR))).toEqual(cryptoParametersFromAttr(m.attributes.get(CRYPTO_ATTR)));
    expect(printModule(again)).toBe(text);
    const read = readCryptoParams(again)!;
    const p = cryptoParametersFromAttr(m.attributes.get(CRYPTO_ATTR))!;
    expect(read.lweDimension).toBe(p.lweDimension);
    expect(read.glweNoiseStd).toBe(p.glweNoiseStd);
  });

  it("p-error defaults to 2^-40; global-p-error spreads over every PBS and decryption", () => {
    const a = parse(MODEL);
    run(a, "crypto-params");
    expect(cryptoParametersFromAttr(a.attributes.get(CRYPTO_ATTR))!.pError).toBe(2 ** -40);
    const b = parse(MODEL);
    run(b, "crypto-params{global-p-error=0.001}");
    expect(cryptoParametersFromAttr(b.attributes.get(CRYPTO_ATTR))!.pError).toBeCloseTo(perPbsFromGlobal(0.001, 4), 18);
    expect(() => run(parse(MODEL), "crypto-params{p-error=2}")).toThrow(/must be a probability/);
  });

  it("one set for every function of the module", () => {
    const two = `${MODEL}

func.func @wide(%x: !fhe.eint<7>) -> !fhe.eint<7> {
  %0 = fhe.apply_lookup_table %x {table = dense<[${Array.from({ length: 128 }, (_, i) => i).join(", ")}]> : tensor<128xi64>} : (!fhe.eint<7>) -> !fhe.eint<7>
  return %0 : !fhe.eint<7>
}`;
    const { params, constraints } = selectCryptoParameters(parse(two));
    expect(constraints.map((c) => c.precision)).toEqual([4, 3, 7, 7]);
    expect(params.polynomialSize).toBeGreaterThanOrEqual(chooseParameters({ constraints: [{ kind: "table", precision: 7, norm2: 1 }] }).polynomialSize);
  });

  it("fails with E0602 at the offending table when nothing fits", () => {
    const text = `func.func @main(%x: tensor<64x!fhe.eint<11>>) -> !fhe.eint<2> {
  %w = arith.constant {value = dense<[${Array.from({ length: 64 }, () => 100).join(", ")}]> : tensor<64xi8>} : () -> tensor<64xi8>
  %0 = fhe.dot_eint_int %x, %w : (tensor<64x!fhe.eint<11>>, tensor<64xi8>) -> !fhe.eint<11>
  %1 = fhe.apply_lookup_table %0 {table = dense<[${Array.from({ length: 2048 }, (_, i) => i % 4).join(", ")}]> : tensor<2048xi64>} : (!fhe.eint<11>) -> !fhe.eint<2>
  return %1 : !fhe.eint<2>
}`;
    const d = firstDiagnosticOf(() => run(parse(text, "big.mlir"), "crypto-params"));
    expect(d.code).toBe("E0602");
    expect(d.opName).toBe("fhe.apply_lookup_table");
    expect(d.loc).toMatchObject({ kind: "file", file: "big.mlir", line: 4 });
    expect(d.message).toMatch(/11-bit table input at big\.mlir:4:\d+ \(reading 11 bits with ν² = 640000/);
  });

  it("feeds lower-to-tfhe and tfhe-params: every keyswitch/bootstrap gets the chosen decompositions", () => {
    const text = `func.func @main(%x: tensor<3x!fhe.esint<5>>) -> tensor<3x!fhe.eint<3>> {
  %c = arith.constant {value = dense<[2, -1, 1]> : tensor<3xi3>} : () -> tensor<3xi3>
  %0 = fhe.mul_eint_int %x, %c : (tensor<3x!fhe.esint<5>>, tensor<3xi3>) -> tensor<3x!fhe.esint<5>>
  %1 = fhe.round %0 {method = "exact"} : (tensor<3x!fhe.esint<5>>) -> tensor<3x!fhe.esint<3>>
  %2 = fhe.to_unsigned %1 : (tensor<3x!fhe.esint<3>>) -> tensor<3x!fhe.eint<3>>
  return %2 : tensor<3x!fhe.eint<3>>
}`;
    const m = parse(text);
    const res = run(m, "crypto-params,lower-to-tfhe,tfhe-params");
    const p = cryptoParametersFromAttr(m.attributes.get(CRYPTO_ATTR))!;
    // 2 rounding bits + 1 sign cast (tensor ops), all parametrized.
    // 3 before the bootstraps, 1 compacting the result.
    expect(res.reports[2]!.report.details).toMatchObject({ keyswitches: 4, bootstraps: 3 });
    for (const op of m.funcs[0]!.body.ops) {
      if (op.name === "tfhe.bootstrap") {
        const pbs = op.attr("pbs");
        expect(pbs?.kind === "dict" && pbs.entries.get("level")).toEqual({ kind: "int", value: p.pbsLevel });
      }
    }
    // tfhe-params keeps the optimizer's extra fields.
    expect(p.pErrorPerPbs).toBeLessThanOrEqual(p.pError);
  });

  it("rejects modules that are not in the fhe dialect", () => {
    const onnx = `func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = onnx.Relu %x : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}`;
    expect(() => run(parse(onnx), "crypto-params")).toThrow(/fhe dialect, found 'onnx.Relu'/);
  });
});

describe("explainParameters", () => {
  it("summarises the set, its security and the tightest constraints", async () => {
    const { explainParameters } = await import("../../passes/params/report.js");
    const { params, constraints } = selectCryptoParameters(parse(MODEL), { pError: 6.3e-5 });
    const text = explainParameters(params, constraints);
    expect(text).toContain(`n = ${params.lweDimension}`);
    expect(text).toContain("SECURE");
    expect(text).toMatch(/2 constraints; closest to the bound:\n {4}4-bit table input at m\.mlir:4:\d+: 4 bits, ν² = 3, p_error/);
  });
});
