// The read noise recorded on exact rounding: one σ per removed bit and element, the same variance
// the `round-bit` constraints bound (norms.ts records bit i at precision 1 with ν²·4^(P−1−i), a
// quarter of what the bit's read really sees on the ciphertext's own noise).
import { describe, expect, it } from "vitest";
import type { DenseAttr } from "../../ir/attributes.js";
import { analyzeNorms } from "../../passes/params/norms.js";
import { readTerms, readVariance } from "../../passes/params/partitions.js";
import { annotateReadNoise, READ_OFFSET_ATTR, READ_STD_ATTR, selectCryptoParameters } from "../../passes/params/pass.js";
import { parse } from "../tfhe/helpers.js";

const MODULE = `func.func @main(%x: tensor<3x!fhe.esint<7>>) -> tensor<2x!fhe.esint<3>> {
  %w = arith.constant {value = dense<[[1, 2], [3, -1], [0, 2]]> : tensor<3x2xi3>} : () -> tensor<3x2xi3>
  %y = fhe.matmul_eint_int %x, %w : (tensor<3x!fhe.esint<7>>, tensor<3x2xi3>) -> tensor<2x!fhe.esint<7>>
  %r = fhe.round %y {method = "exact"} : (tensor<2x!fhe.esint<7>>) -> tensor<2x!fhe.esint<3>>
  return %r : tensor<2x!fhe.esint<3>>
}`;

describe("read noise of exact rounding", () => {
  it("records k σ per element, bit after bit, 4× the round-bit constraint's own-noise variance plus the keyswitch and modulus switch", () => {
    const m = parse(MODULE);
    const { params } = selectCryptoParameters(m, { pError: 2 ** -20 });
    const func = m.funcs[0]!;
    annotateReadNoise(func, [params]);
    const round = func.body.ops.find((op) => op.name === "fhe.round")!;
    const std = (round.attr(READ_STD_ATTR) as DenseAttr).data;
    const K = 4;
    const n = 2;
    expect(std.length).toBe(K * n);
    // Offset in units of the bit read (half the torus): half a rotation.
    expect((round.attr(READ_OFFSET_ATTR) as { value: number }).value).toBe(1 / (2 * params.polynomialSize));
    const t = readTerms({ source: 0, reader: 0 }, [params], []);
    const bits = analyzeNorms(func).constraints.filter((c) => c.kind === "round-bit");
    expect(bits.length).toBe(K);
    bits.forEach((c, i) => {
      // The constraint bounds every element: its variance is the largest element's.
      const recorded = Math.max(...Array.from({ length: n }, (_, e) => std[i * n + e]! ** 2));
      const ownNoise = readVariance(c, { source: 0, reader: 0 }, [params], []) - t.keyswitch - t.modulusSwitch;
      expect(recorded / (4 * ownNoise + t.keyswitch + t.modulusSwitch)).toBeCloseTo(1, 12);
    });
    // The two elements' weights differ (Σc² = 10 and 9), and so do their reads.
    expect(std[0]).not.toBe(std[1]);
  });
});
