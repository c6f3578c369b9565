// Unit tests of the tfhe backend's encoding, the parametrization pass and execution control.
import { describe, expect, it } from "vitest";
import { decodeAt, deltaOf, encodeAt, encodeOne, TfheProgram } from "../../backends/tfhe/index.js";
import { lowerToTfhe, signedTable } from "../../passes/lower_tfhe.js";
import { CRYPTO_ATTR, parametrizeTfhe, readCryptoParams } from "../../passes/tfhe_params.js";
import { delta, encode } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";
import { tableIndex } from "../../ir/dialects/fhe.js";
import { batchOf, parse, parties, programFor } from "./helpers.js";

describe("per-value encoding", () => {
  it("matches the runtime's Δ = 2^(63−p) where both exist, and extends to wide accumulators", () => {
    for (const p of [1, 4, 8, 16]) {
      expect(deltaOf(p)).toBe(delta(p));
      expect(Array.from(encodeAt([0, 1, -1, 2 ** (p - 1) - 1], p))).toEqual(Array.from(encode([0, 1, -1, 2 ** (p - 1) - 1], p)));
    }
    expect(deltaOf(40)).toBe(1n << 23n);
    expect(encodeOne(-3, 40)).toBe(BigInt.asUintN(64, -3n << 23n));
    expect(() => deltaOf(63)).toThrow(/\[1, 62\]/);
  });

  it("decodes to the nearest message, signed in [−2^p, 2^p), unsigned in [0, 2^(p+1))", () => {
    const p = 5;
    const d = deltaOf(p);
    const phases = BigUint64Array.from([0n, 3n * d + d / 2n - 1n, BigInt.asUintN(64, -7n * d + d / 3n), 31n * d, BigInt.asUintN(64, -d / 2n + 1n)]);
    expect(Array.from(decodeAt(phases, p, true))).toEqual([0, 3, -7, 31, 0]);
    expect(Array.from(decodeAt(phases, p, false))).toEqual([0, 3, 57, 31, 0]);
  });

  it("signed tables are rotated so index j reads the entry of the p-bit pattern of j − 2^(p−1)", () => {
    const t = [10, 11, 12, 13, 14, 15, 16, 17];
    const r = signedTable(t, 3);
    for (let v = -4; v < 4; v++) expect(r[v + 4]).toBe(t[tableIndex(v, 3)]);
  });
});

const TEXT = `module {
  func.func @main(%x: tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<2>> {
    %y = fhe.apply_lookup_table %x {table = dense<[3, 2, 1, 0]> : tensor<4xi64>} : (tensor<2x!fhe.eint<2>>) -> tensor<2x!fhe.eint<2>>
    return %y : tensor<2x!fhe.eint<2>>
  }
}`;

describe("tfhe-params", () => {
  it("needs a parameter set from the module or the caller", () => {
    const m = parse(TEXT);
    lowerToTfhe(m);
    expect(() => parametrizeTfhe(m)).toThrow(/no parameter set \(the module has no 'fhec.crypto' attribute/);
    parametrizeTfhe(m, INSECURE_TEST_P2.raw());
    expect(readCryptoParams(m)).toEqual(INSECURE_TEST_P2.raw());
    expect(m.attributes.get(CRYPTO_ATTR)?.kind).toBe("dict");
  });

  it("keeps a multi-bit set's grouping factor in fhec.crypto (and a classic set without one)", () => {
    const m = parse(TEXT);
    lowerToTfhe(m);
    const multiBit = { ...INSECURE_TEST_P2.raw(), pbsGroupingFactor: 4 };
    parametrizeTfhe(m, multiBit);
    expect(readCryptoParams(m)).toEqual(multiBit);
    parametrizeTfhe(m, INSECURE_TEST_P2.raw());
    expect(readCryptoParams(m)).toEqual(INSECURE_TEST_P2.raw());
    expect(() => parametrizeTfhe(m, { ...INSECURE_TEST_P2.raw(), pbsGroupingFactor: 3 })).toThrow(/pbsGroupingFactor' = 3 is invalid/);
  });

  it("rejects malformed sets", () => {
    const m = parse(TEXT);
    lowerToTfhe(m);
    expect(() => parametrizeTfhe(m, { ...INSECURE_TEST_P2.raw(), polynomialSize: 300 })).toThrow(/not a power of two/);
    expect(() => parametrizeTfhe(m, { ...INSECURE_TEST_P2.raw(), lweNoiseStd: 0 })).toThrow(/'lweNoiseStd' = 0 is invalid/);
  });
});

describe("execution control", () => {
  it("an abort signal stops the run", async () => {
    const p = await parties(programFor(TEXT, INSECURE_TEST_P2));
    const ac = new AbortController();
    ac.abort();
    await expect(p.server.run(p.client.encrypt([batchOf(1, [2], [1, 2])]), { signal: ac.signal })).rejects.toThrow(/aborted/);
  });

  it("progress counts every PBS, in chunks", async () => {
    const p = await parties(programFor(TEXT, INSECURE_TEST_P2));
    const seen: number[] = [];
    const out = await p.server.run(p.client.encrypt([batchOf(5, [2], [0, 1, 2, 3, 3, 2, 1, 0, 1, 1])]), {
      chunkSize: 3,
      onProgress: (done, total) => {
        expect(total).toBe(10);
        seen.push(done);
      },
    });
    expect(seen).toEqual([0, 3, 6, 9, 10]);
    expect(Array.from(p.client.decrypt(out)[0]!.data)).toEqual([3, 2, 1, 0, 0, 1, 2, 3, 2, 2]);
  });
});

describe("tracing", () => {
  it("hands every big-key intermediate to `trace`, decryptable by the client at its precision", async () => {
    const text = `module {
  func.func @main(%x: tensor<3x!fhe.esint<6>>) -> tensor<3x!fhe.esint<6>> {
    %c = arith.constant {value = dense<[2, -3, 1]> : tensor<3xi3>} : () -> tensor<3xi3>
    %m = fhe.mul_eint_int %x, %c : (tensor<3x!fhe.esint<6>>, tensor<3xi3>) -> tensor<3x!fhe.esint<6>>
    %n = fhe.neg_eint %m : (tensor<3x!fhe.esint<6>>) -> tensor<3x!fhe.esint<6>>
    return %n : tensor<3x!fhe.esint<6>>
  }
}`;
    const p = await parties(programFor(text, INSECURE_TEST_P2));
    const seen: [string, number[]][] = [];
    await p.server.run(p.client.encrypt([batchOf(2, [3], [1, 2, 3, -4, 5, -6])]), {
      trace: (op, v) => seen.push([op.name, Array.from(p.client.decryptAt(v.ciphertexts, v.width, true))]),
    });
    expect(seen).toEqual([
      ["tfhe.mul_lwe_int", [2, -6, 3, -8, -15, -6]],
      ["tfhe.neg_lwe", [-2, 6, -3, 8, 15, 6]],
    ]);
  });
});

describe("clear arithmetic left in the function", () => {
  it("runs arith ops on constants (not folded) feeding encrypted ops", async () => {
    const text = `module {
  func.func @main(%x: tensor<3x!fhe.esint<6>>) -> tensor<3x!fhe.esint<6>> {
    %a = arith.constant {value = dense<[1, 2, 3]> : tensor<3xi4>} : () -> tensor<3xi4>
    %b = arith.constant {value = dense<2> : tensor<i4>} : () -> i4
    %c = arith.mul %a, %b : (tensor<3xi4>, i4) -> tensor<3xi4>
    %d = arith.neg %c : (tensor<3xi4>) -> tensor<3xi4>
    %e = arith.sub %d, %b : (tensor<3xi4>, i4) -> tensor<3xi4>
    %y = fhe.add_eint_int %x, %e : (tensor<3x!fhe.esint<6>>, tensor<3xi4>) -> tensor<3x!fhe.esint<6>>
    return %y : tensor<3x!fhe.esint<6>>
  }
}`;
    const p = await parties(programFor(text, INSECURE_TEST_P2));
    const out = await p.server.run(p.client.encrypt([batchOf(1, [3], [10, 11, 12])]));
    expect(Array.from(p.client.decrypt(out)[0]!.data)).toEqual([6, 5, 4]);
  });
});

describe("program checks", () => {
  it("refuses an unlowered fhe function and reads snake_case fhec.crypto", () => {
    const m = parse(TEXT);
    parametrizeTfhe(m, INSECURE_TEST_P2.raw());
    expect(() => TfheProgram.fromModule(m, { insecureTestSets: [INSECURE_TEST_P2] })).toThrow(/cannot run 'fhe.apply_lookup_table' \(lower the function with lower-to-tfhe first\)/);
    const snake = parse(TEXT.replace("module {", `module attributes {fhec.crypto = {lwe_dimension = 64, glwe_dimension = 1, polynomial_size = 256, pbs_base_log = 12, pbs_level = 2, ks_base_log = 4, ks_level = 5, lwe_noise_std = 9.313225746154785e-10, glwe_noise_std = 8.881784197001252e-16}} {`));
    lowerToTfhe(snake);
    parametrizeTfhe(snake);
    expect(TfheProgram.fromModule(snake, { insecureTestSets: [INSECURE_TEST_P2] }).params.equals(INSECURE_TEST_P2)).toBe(true);
  });
});
