// End-to-end: hand-written fhe functions covering every op, lowered to tfhe and run encrypted; the
// decrypted integers must equal the clear simulation exactly. Tables are at most 4 bits so the
// fast INSECURE_TEST_P2 set (tests only) is far from its error rate; one case reruns on a secure set.
import { describe, expect, it } from "vitest";
import type { BatchTensor } from "../../backends/clear/index.js";
import type { ExecuteOptions } from "../../backends/tfhe/index.js";
import { CONCRETE_P4 } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";
import { batchOf, parties, programFor, randomInts, runEncrypted, simulateModule } from "./helpers.js";

async function expectSameAsSimulation(text: string, inputs: BatchTensor[], params = INSECURE_TEST_P2, opts: ExecuteOptions = {}): Promise<BatchTensor[]> {
  const expected = simulateModule(text, inputs);
  const p = await parties(programFor(text, params));
  const got = await runEncrypted(p, inputs, opts);
  expect(got.length).toBe(expected.length);
  got.forEach((g, i) => {
    expect(g.shape).toEqual(expected[i]!.shape);
    expect(Array.from(g.data, (v) => v + 0)).toEqual(Array.from(expected[i]!.data, (v) => v + 0));
  });
  return got;
}

const S = (p: number) => `!fhe.esint<${p}>`;
const U = (p: number) => `!fhe.eint<${p}>`;

describe("tfhe backend = clear simulation", () => {
  it("conv2d with groups, pads, strides, dilations and bias", async () => {
    const T = `tensor<1x4x5x5x${S(10)}>`;
    const O = `tensor<1x4x2x4x${S(10)}>`;
    const text = `module {
  func.func @main(%x: ${T}) -> ${O} {
    %w = arith.constant {value = dense<${JSON.stringify(chunk(randomInts(4 * 2 * 3 * 2, -3, 3, 5), [4, 2, 3, 2]))}> : tensor<4x2x3x2xi3>} : () -> tensor<4x2x3x2xi3>
    %b = arith.constant {value = dense<[5, -7, 0, 3]> : tensor<4xi4>} : () -> tensor<4xi4>
    %y = fhe.conv2d %x, %w, %b {strides = [2, 1], pads = [1, 0, 0, 1], dilations = [1, 2], group = 2} : (${T}, tensor<4x2x3x2xi3>, tensor<4xi4>) -> ${O}
    return %y : ${O}
  }
}`;
    await expectSameAsSimulation(text, [batchOf(3, [1, 4, 5, 5], randomInts(300, -8, 8, 11))]);
  });

  it("linear ops split into several native calls (tiny maxSyncWords) give the same result", async () => {
    const text = `module {
  func.func @main(%x: tensor<2x1x3x3x${S(9)}>, %y: tensor<3x4x${S(9)}>) -> (tensor<2x2x2x2x${S(9)}>, tensor<3x2x${S(9)}>) {
    %w = arith.constant {value = dense<[[[[1, -1], [2, 0]]], [[[0, 1], [-2, 1]]]]> : tensor<2x1x2x2xi3>} : () -> tensor<2x1x2x2xi3>
    %b = arith.constant {value = dense<[3, -2]> : tensor<2xi3>} : () -> tensor<2xi3>
    %c = fhe.conv2d %x, %w, %b {strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 1} : (tensor<2x1x3x3x${S(9)}>, tensor<2x1x2x2xi3>, tensor<2xi3>) -> tensor<2x2x2x2x${S(9)}>
    %m = arith.constant {value = dense<[[1, 2], [0, -1], [3, 1], [-2, 2]]> : tensor<4x2xi3>} : () -> tensor<4x2xi3>
    %r = fhe.matmul_eint_int %y, %m : (tensor<3x4x${S(9)}>, tensor<4x2xi3>) -> tensor<3x2x${S(9)}>
    return %c, %r : tensor<2x2x2x2x${S(9)}>, tensor<3x2x${S(9)}>
  }
}`;
    const inputs = [batchOf(5, [2, 1, 3, 3], randomInts(90, -9, 9, 41)), batchOf(5, [3, 4], randomInts(60, -9, 9, 42))];
    // One image (9 ciphertexts) or one row (4 ciphertexts) per native call.
    await expectSameAsSimulation(text, inputs, INSECURE_TEST_P2, { maxSyncWords: 1 });
  });

  it("matmul both ways (with broadcast batch dims), dot and sum", async () => {
    const text = `module {
  func.func @main(%x: tensor<2x3x4x${S(11)}>, %v: tensor<4x${S(11)}>) -> (tensor<2x3x2x${S(11)}>, tensor<2x5x4x${S(11)}>, ${S(11)}, tensor<2x4x${S(11)}>, tensor<3x1x${S(11)}>) {
    %w = arith.constant {value = dense<[[1, -2], [3, 0], [-1, 1], [2, 2]]> : tensor<4x2xi3>} : () -> tensor<4x2xi3>
    %a = fhe.matmul_eint_int %x, %w : (tensor<2x3x4x${S(11)}>, tensor<4x2xi3>) -> tensor<2x3x2x${S(11)}>
    %l = arith.constant {value = dense<[[[1, 0, 2], [0, 1, -1], [3, 1, 1], [-2, 0, 1], [1, 1, 1]], [[0, 0, 1], [2, -1, 0], [1, 3, 0], [0, 0, 0], [-1, -1, -1]]]> : tensor<2x5x3xi3>} : () -> tensor<2x5x3xi3>
    %b = fhe.matmul_int_eint %l, %x : (tensor<2x5x3xi3>, tensor<2x3x4x${S(11)}>) -> tensor<2x5x4x${S(11)}>
    %u = arith.constant {value = dense<[3, -1, 0, 2]> : tensor<4xi3>} : () -> tensor<4xi3>
    %d = fhe.dot_eint_int %v, %u : (tensor<4x${S(11)}>, tensor<4xi3>) -> ${S(11)}
    %s = fhe.sum %x {axes = [1], keep_dims = false} : (tensor<2x3x4x${S(11)}>) -> tensor<2x4x${S(11)}>
    %vv = arith.constant {value = dense<[[2], [0], [-1], [1]]> : tensor<4x1xi3>} : () -> tensor<4x1xi3>
    %x0 = fhe.slice %x {starts = [1, 0, 0], ends = [2, 3, 4], steps = [1, 1, 1]} : (tensor<2x3x4x${S(11)}>) -> tensor<1x3x4x${S(11)}>
    %x1 = fhe.reshape %x0 : (tensor<1x3x4x${S(11)}>) -> tensor<3x4x${S(11)}>
    %m = fhe.matmul_eint_int %x1, %vv : (tensor<3x4x${S(11)}>, tensor<4x1xi3>) -> tensor<3x1x${S(11)}>
    return %a, %b, %d, %s, %m : tensor<2x3x2x${S(11)}>, tensor<2x5x4x${S(11)}>, ${S(11)}, tensor<2x4x${S(11)}>, tensor<3x1x${S(11)}>
  }
}`;
    await expectSameAsSimulation(text, [batchOf(4, [2, 3, 4], randomInts(96, -20, 20, 3)), batchOf(4, [4], randomInts(16, -30, 30, 4))]);
  });

  it("elementwise add/sub/neg/mul with clear and encrypted operands, broadcasting", async () => {
    const text = `module {
  func.func @main(%x: tensor<2x3x${S(9)}>, %y: tensor<3x${S(9)}>) -> (tensor<2x3x${S(9)}>, tensor<2x3x${S(9)}>, tensor<2x3x${S(9)}>) {
    %c = arith.constant {value = dense<[4, -3, 7]> : tensor<3xi4>} : () -> tensor<3xi4>
    %k = arith.constant {value = dense<-3> : tensor<i3>} : () -> i3
    %a = fhe.add_eint %x, %y : (tensor<2x3x${S(9)}>, tensor<3x${S(9)}>) -> tensor<2x3x${S(9)}>
    %b = fhe.sub_eint %y, %x : (tensor<3x${S(9)}>, tensor<2x3x${S(9)}>) -> tensor<2x3x${S(9)}>
    %d = fhe.add_eint_int %a, %c : (tensor<2x3x${S(9)}>, tensor<3xi4>) -> tensor<2x3x${S(9)}>
    %e = fhe.sub_eint_int %b, %c : (tensor<2x3x${S(9)}>, tensor<3xi4>) -> tensor<2x3x${S(9)}>
    %f = fhe.sub_int_eint %c, %d : (tensor<3xi4>, tensor<2x3x${S(9)}>) -> tensor<2x3x${S(9)}>
    %g = fhe.mul_eint_int %e, %k : (tensor<2x3x${S(9)}>, i3) -> tensor<2x3x${S(9)}>
    %h = fhe.mul_eint_int %f, %c : (tensor<2x3x${S(9)}>, tensor<3xi4>) -> tensor<2x3x${S(9)}>
    %n = fhe.neg_eint %h : (tensor<2x3x${S(9)}>) -> tensor<2x3x${S(9)}>
    return %g, %n, %a : tensor<2x3x${S(9)}>, tensor<2x3x${S(9)}>, tensor<2x3x${S(9)}>
  }
}`;
    await expectSameAsSimulation(text, [batchOf(5, [2, 3], randomInts(30, -9, 9, 21)), batchOf(5, [3], randomInts(15, -9, 9, 22))]);
  });

  it("data movement: transpose, reshape, slice (negative step), gather, concat, pad with a constant", async () => {
    const E = S(6);
    const text = `module {
  func.func @main(%x: tensor<2x3x${E}>) -> (tensor<5x4x${E}>, tensor<3x2x${E}>) {
    %t = fhe.transpose %x {perm = [1, 0]} : (tensor<2x3x${E}>) -> tensor<3x2x${E}>
    %r = fhe.reshape %t : (tensor<3x2x${E}>) -> tensor<2x3x${E}>
    %s = fhe.slice %r {starts = [1, 2], ends = [-1, 0], steps = [-1, -2]} : (tensor<2x3x${E}>) -> tensor<2x1x${E}>
    %g = fhe.gather %x {indices = dense<[2, 0, 2]> : tensor<3xi64>, axis = 1} : (tensor<2x3x${E}>) -> tensor<2x3x${E}>
    %c = fhe.concat %g, %s {axis = 1} : (tensor<2x3x${E}>, tensor<2x1x${E}>) -> tensor<2x4x${E}>
    %p = fhe.pad %c {pads = [2, 0, 1, 0], value = -5} : (tensor<2x4x${E}>) -> tensor<5x4x${E}>
    return %p, %t : tensor<5x4x${E}>, tensor<3x2x${E}>
  }
}`;
    await expectSameAsSimulation(text, [batchOf(3, [2, 3], randomInts(18, -32, 31, 8))]);
  });

  it("unsigned and signed tables, exhaustive over the inputs (negative outputs, mixed widths)", async () => {
    const text = `module {
  func.func @main(%u: tensor<16x${U(4)}>, %s: tensor<8x${S(3)}>) -> (tensor<16x${S(5)}>, tensor<8x${U(2)}>, tensor<8x${S(7)}>) {
    %a = fhe.apply_lookup_table %u {table = dense<[0, -16, 15, 3, -1, 7, 9, -9, 2, 11, -5, 14, 1, 0, -2, 13]> : tensor<16xi64>} : (tensor<16x${U(4)}>) -> tensor<16x${S(5)}>
    %b = fhe.apply_lookup_table %s {table = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi64>} : (tensor<8x${S(3)}>) -> tensor<8x${U(2)}>
    %c = fhe.apply_lookup_table %s {table = dense<[-64, 63, 5, -7, 1, 2, -3, 0]> : tensor<8xi64>} : (tensor<8x${S(3)}>) -> tensor<8x${S(7)}>
    return %a, %b, %c : tensor<16x${S(5)}>, tensor<8x${U(2)}>, tensor<8x${S(7)}>
  }
}`;
    const u = Array.from({ length: 32 }, (_, i) => i % 16);
    const s = Array.from({ length: 16 }, (_, i) => (i % 8) - 4);
    await expectSameAsSimulation(text, [batchOf(2, [16], u), batchOf(2, [8], s)]);
  });

  it("mapped tables (per-channel), signed and unsigned inputs", async () => {
    const text = `module {
  func.func @main(%u: tensor<2x4x${U(2)}>, %s: tensor<3x${S(2)}>) -> (tensor<2x4x${U(3)}>, tensor<3x${S(4)}>) {
    %a = fhe.apply_mapped_lookup_table %u {tables = dense<[[0, 1, 2, 3], [7, 6, 5, 4], [1, 1, 0, 0]]> : tensor<3x4xi64>, map = dense<[[0, 1, 2, 0], [2, 2, 1, 0]]> : tensor<2x4xi64>} : (tensor<2x4x${U(2)}>) -> tensor<2x4x${U(3)}>
    %b = fhe.apply_mapped_lookup_table %s {tables = dense<[[0, 1, -2, -1], [-8, 7, 3, -3]]> : tensor<2x4xi64>, map = dense<[1, 0, 1]> : tensor<3xi64>} : (tensor<3x${S(2)}>) -> tensor<3x${S(4)}>
    return %a, %b : tensor<2x4x${U(3)}>, tensor<3x${S(4)}>
  }
}`;
    await expectSameAsSimulation(text, [batchOf(4, [2, 4], randomInts(32, 0, 3, 5)), batchOf(4, [3], [-2, -1, 0, 1, -2, 1, 0, -1, 1, 1, -2, 0])]);
  });

  it("accumulator → approximate round → table, inputs without ties (low bits zero or small)", async () => {
    const text = `module {
  func.func @main(%x: tensor<3x${S(9)}>) -> tensor<2x${S(4)}> {
    %w = arith.constant {value = dense<[[4, 8], [4, -4], [8, 0]]> : tensor<3x2xi5>} : () -> tensor<3x2xi5>
    %acc = fhe.matmul_eint_int %x, %w : (tensor<3x${S(9)}>, tensor<3x2xi5>) -> tensor<2x${S(9)}>
    %c = arith.constant {value = dense<[1, -2]> : tensor<2xi3>} : () -> tensor<2xi3>
    %acc2 = fhe.add_eint_int %acc, %c : (tensor<2x${S(9)}>, tensor<2xi3>) -> tensor<2x${S(9)}>
    %r = fhe.round %acc2 {method = "approximate"} : (tensor<2x${S(9)}>) -> tensor<2x${S(4)}>
    %y = fhe.apply_lookup_table %r {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1]> : tensor<16xi64>} : (tensor<2x${S(4)}>) -> tensor<2x${S(4)}>
    return %y : tensor<2x${S(4)}>
  }
}`;
    // Inputs are multiples of 8, so acc = 4·(x0 + x1 + 2·x2) and 4·(2·x0 − x1) are multiples of 32 and
    // acc + [1, −2] keeps the 5 removed bits within 2/32 of a multiple of 32: far from any tie.
    const xs: number[] = [];
    for (const [a, b, c] of [[0, 0, 0], [8, 0, 0], [-8, 8, 0], [8, 16, 0], [8, -8, 4], [0, 8, -4], [-8, 0, 4], [8, 8, -8]]) xs.push(a!, b!, c!);
    await expectSameAsSimulation(text, [batchOf(8, [3], xs)]);
  });

  it("approximate round read by a linear op (cleaned by an identity lookup) and returned directly", async () => {
    const text = `module {
  func.func @main(%x: tensor<6x${S(6)}>) -> (tensor<6x${S(3)}>, tensor<6x${S(3)}>) {
    %r = fhe.round %x {method = "approximate"} : (tensor<6x${S(6)}>) -> tensor<6x${S(3)}>
    %c = arith.constant {value = dense<-2> : tensor<i3>} : () -> i3
    %m = fhe.mul_eint_int %r, %c : (tensor<6x${S(3)}>, i3) -> tensor<6x${S(3)}>
    %t = fhe.reshape %r : (tensor<6x${S(3)}>) -> tensor<6x${S(3)}>
    return %m, %t : tensor<6x${S(3)}>, tensor<6x${S(3)}>
  }
}`;
    // Removed bits (x mod 8) in {0, 1, 7}: far from the tie at 4; rounded values in [−1, 1].
    await expectSameAsSimulation(text, [batchOf(3, [6], [-9, -8, -7, -1, 0, 1, 7, 8, 9, 1, 0, 8, -8, -9, 1, 7, -7, -1])]);
  });

  it("exact round (one PBS per removed bit), signed and unsigned, every input including ties", async () => {
    const text = `module {
  func.func @main(%x: tensor<64x${U(7)}>, %y: tensor<64x${S(7)}>) -> (tensor<64x${U(4)}>, tensor<64x${S(4)}>) {
    %a = fhe.round %x {method = "exact"} : (tensor<64x${U(7)}>) -> tensor<64x${U(4)}>
    %b = fhe.round %y {method = "exact"} : (tensor<64x${S(7)}>) -> tensor<64x${S(4)}>
    return %a, %b : tensor<64x${U(4)}>, tensor<64x${S(4)}>
  }
}`;
    // Unsigned 0..123 (beyond rounds to 16, which overflows eint<4>); signed −64..59.
    const x = Array.from({ length: 128 }, (_, i) => Math.min(i, 123));
    const y = Array.from({ length: 128 }, (_, i) => Math.min(i - 64, 59));
    await expectSameAsSimulation(text, [batchOf(2, [64], x), batchOf(2, [64], y)]);
  });

  it("sign casts lower to re-encoding table lookups", async () => {
    const text = `module {
  func.func @main(%x: tensor<8x${U(3)}>, %y: tensor<8x${S(3)}>) -> (tensor<8x${S(3)}>, tensor<8x${U(3)}>) {
    %s = fhe.to_signed %x : (tensor<8x${U(3)}>) -> tensor<8x${S(3)}>
    %u = fhe.to_unsigned %y : (tensor<8x${S(3)}>) -> tensor<8x${U(3)}>
    return %s, %u : tensor<8x${S(3)}>, tensor<8x${U(3)}>
  }
}`;
    await expectSameAsSimulation(text, [batchOf(1, [8], [0, 1, 2, 3, 4, 5, 6, 7]), batchOf(1, [8], [-4, -3, -2, -1, 0, 1, 2, 3])]);
  });

  it("signed table on a secure parameter set (CONCRETE_P4)", async () => {
    const text = `module {
  func.func @main(%x: tensor<16x${S(4)}>) -> tensor<16x${S(4)}> {
    %y = fhe.apply_lookup_table %x {table = dense<[0, 1, 4, -7, 3, 2, 1, 0, -8, 7, -1, -2, 5, 6, -3, -4]> : tensor<16xi64>} : (tensor<16x${S(4)}>) -> tensor<16x${S(4)}>
    return %y : tensor<16x${S(4)}>
  }
}`;
    await expectSameAsSimulation(text, [batchOf(1, [16], Array.from({ length: 16 }, (_, i) => i - 8))], CONCRETE_P4);
  });
});

function chunk(values: number[], shape: number[]): unknown {
  if (shape.length === 1) return values;
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => chunk(values.slice(i * inner, (i + 1) * inner), shape.slice(1)));
}
