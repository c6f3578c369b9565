import { describe, expect, it } from "vitest";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { simulate } from "../../backends/clear/index.js";

describe("smoke", () => {
  it("runs", () => {
    const text = `module {
  func.func @main(%x: tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.eint<4>> {
    %w = arith.constant {value = dense<[1, 2]> : tensor<2xi3>} : () -> tensor<2xi3>
    %a = fhe.mul_eint_int %x, %w : (tensor<2x!fhe.eint<3>>, tensor<2xi3>) -> tensor<2x!fhe.eint<3>>
    %b = fhe.apply_lookup_table %a {table = dense<[0, 1, 2, 3, 4, 5, 6, 15]> : tensor<8xi64>} : (tensor<2x!fhe.eint<3>>) -> tensor<2x!fhe.eint<4>>
    return %b : tensor<2x!fhe.eint<4>>
  }
}`;
    const m = parseModule(text, "t.mlir", defaultRegistry).module!;
    const out = simulate(m.funcs[0]!, [{ batch: 2, shape: [2], data: Float64Array.from([1, 2, 3, 3]) }]);
    expect(Array.from(out[0]!.data)).toEqual([1, 4, 3, 6]);
    expect(() => simulate(m.funcs[0]!, [{ batch: 1, shape: [2], data: Float64Array.from([1, 7]) }])).toThrow(/overflow in 'fhe.mul_eint_int' at t.mlir:4/);
  });
});
