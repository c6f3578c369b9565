// End to end: fhe module → crypto-params (this optimizer) → lower-to-tfhe → tfhe-params → real
// TFHE execution, equal to the clear simulation.
import { describe, expect, it } from "vitest";
import { selectCryptoParameters } from "../../passes/params/pass.js";
import { TfheParameters } from "../../runtime/index.js";
import { batchOf, parse, parties, programFor, randomInts, runEncrypted, simulateModule } from "../tfhe/helpers.js";

const t = (n: number, f: (i: number) => number) => `dense<[${Array.from({ length: n }, (_, i) => f(i)).join(", ")}]> : tensor<${n}xi64>`;

// 4 inputs of 3 bits → weighted sum (6 bits, ν² = 1+4+1+1 = 7 fresh) → exact rounding to 4 bits →
// table → ×3 plus the first table's output → table; the last table's result is returned.
const MODULE = `func.func @main(%x: tensor<4x!fhe.eint<6>>) -> tensor<2x!fhe.eint<4>> {
  %w = arith.constant {value = dense<[[1, 0], [2, 1], [1, 1], [1, 1]]> : tensor<4x2xi3>} : () -> tensor<4x2xi3>
  %0 = fhe.matmul_eint_int %x, %w : (tensor<4x!fhe.eint<6>>, tensor<4x2xi3>) -> tensor<2x!fhe.eint<6>>
  %1 = fhe.round %0 {method = "exact"} : (tensor<2x!fhe.eint<6>>) -> tensor<2x!fhe.eint<4>>
  %2 = fhe.apply_lookup_table %1 {table = ${t(16, (i) => (i * 5) % 4)}} : (tensor<2x!fhe.eint<4>>) -> tensor<2x!fhe.eint<4>>
  %c = arith.constant {value = dense<3> : tensor<i3>} : () -> i3
  %3 = fhe.mul_eint_int %2, %c : (tensor<2x!fhe.eint<4>>, i3) -> tensor<2x!fhe.eint<4>>
  %4 = fhe.apply_lookup_table %3 {table = ${t(16, (i) => 15 - i)}} : (tensor<2x!fhe.eint<4>>) -> tensor<2x!fhe.eint<4>>
  return %4 : tensor<2x!fhe.eint<4>>
}`;

describe("optimizer → lowering → runtime", () => {
  it("a circuit with exact rounding runs encrypted at the chosen set, equal to the simulation", async () => {
    const m = parse(MODULE);
    const { params, constraints } = selectCryptoParameters(m, { pError: 2 ** -40 });
    expect(constraints.filter((c) => c.kind === "round-bit")).toHaveLength(2);
    const rt = new TfheParameters(params);
    rt.assertSecure();
    const party = await parties(programFor(m, rt));
    const batch = 12;
    const xs = randomInts(batch * 4, 0, 7, 7);
    const input = batchOf(batch, [4], xs);
    const out = await runEncrypted(party, [input]);
    const sim = simulateModule(MODULE, [input]);
    expect(Array.from(out[0]!.data)).toEqual(Array.from(sim[0]!.data));
  });
});
