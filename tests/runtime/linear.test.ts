// Linear operations on encrypted tensors against clear computation (secure parameters; no
// evaluation keys needed).
import { randomInt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  add, addClear, ClientKey, conv2d, CONCRETE_P4, dot, LweCiphertextTensor, matmul, mulClear, negate, sub,
} from "../../runtime/index.js";
import { applyLinearPlan, conv2dPlan } from "../../ir/conv_geometry.js";

const P = 6; // message precision used for these checks
const MOD = 2 ** (P + 1);
const wrap = (x: number) => ((x % MOD) + MOD) % MOD;

describe("linear ops", () => {
  let client: ClientKey;
  beforeAll(() => {
    client = ClientKey.generate(CONCRETE_P4);
  });

  it("add, sub, negate, addClear, mulClear", () => {
    const a = [1, 5, 9, 30, 0, 63];
    const b = [2, 7, 1, 3, 63, 1];
    const ea = client.encrypt(a, P, { shape: [2, 3] });
    const eb = client.encrypt(b, P, { shape: [2, 3] });
    expect(client.decrypt(add(ea, eb), P)).toEqual(a.map((x, i) => wrap(x + b[i]!)));
    expect(client.decrypt(sub(ea, eb), P)).toEqual(a.map((x, i) => wrap(x - b[i]!)));
    expect(client.decrypt(negate(ea), P)).toEqual(a.map((x) => wrap(-x)));
    expect(client.decrypt(addClear(ea, [3], P), P)).toEqual(a.map((x) => wrap(x + 3)));
    expect(client.decrypt(addClear(ea, b, P), P)).toEqual(a.map((x, i) => wrap(x + b[i]!)));
    expect(client.decrypt(mulClear(ea, [-3]), P)).toEqual(a.map((x) => wrap(-3 * x)));
    expect(client.decrypt(mulClear(ea, b), P)).toEqual(a.map((x, i) => wrap(x * b[i]!)));
    expect(add(ea, eb).shape).toEqual([2, 3]);
  });

  it("rejects mismatched operands", () => {
    const ea = client.encrypt([1, 2], P);
    const eb = client.encrypt([1, 2, 3], P);
    const small = client.encrypt([1, 2], P, { key: "small" });
    expect(() => add(ea, eb)).toThrow(/shapes/);
    expect(() => add(ea, small)).toThrow(/different keys/);
    expect(() => mulClear(ea, [1, 2, 3])).toThrow(/weights/);
    expect(() => mulClear(ea, [1.5])).toThrow(/safe integer/);
  });

  it("matmul and dot with clear integer matrices", () => {
    const rows = 3, K = 5, M = 4;
    const x = Array.from({ length: rows * K }, () => randomInt(4));
    const w = Array.from({ length: K * M }, () => randomInt(-3, 4));
    const ex = client.encrypt(x, P, { shape: [rows, K] });
    const ey = matmul(ex, w, [K, M]);
    expect(ey.shape).toEqual([rows, M]);
    const want: number[] = [];
    for (let r = 0; r < rows; r++)
      for (let m = 0; m < M; m++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += x[r * K + k]! * w[k * M + m]!;
        want.push(wrap(s));
      }
    expect(client.decrypt(ey, P)).toEqual(want);
    const v = client.encrypt([3, 1, 2], P);
    expect(client.decrypt(dot(v, [2, -1, 5]), P)).toEqual([wrap(6 - 1 + 10)]);
  });

  /**
   * The clear result by the conv geometry every TypeScript user shares (ir/conv_geometry.ts): the
   * addon's own index arithmetic must agree with it on strides, pads, dilations and groups.
   */
  function clearConv(x: number[], xShape: number[], k: number[], kShape: number[],
    strides: [number, number], pads: [number, number, number, number], dilations: [number, number], group: number,
    bias?: number[]): { out: number[]; shape: number[] } {
    const plan = conv2dPlan(xShape, kShape, { strides, pads, dilations, group });
    return { out: Array.from(applyLinearPlan(plan, x, k, bias), wrap), shape: [...plan.outShape] };
  }

  const cases: { name: string; in: number[]; k: number[]; s: [number, number]; p: [number, number, number, number];
    d: [number, number]; g: number; bias?: boolean }[] = [
    { name: "3x3, stride 1, no pad", in: [1, 2, 5, 5], k: [3, 2, 3, 3], s: [1, 1], p: [0, 0, 0, 0], d: [1, 1], g: 1 },
    { name: "stride 2, asymmetric pads, bias", in: [2, 1, 6, 5], k: [2, 1, 3, 2], s: [2, 2], p: [1, 0, 2, 1], d: [1, 1], g: 1, bias: true },
    { name: "dilation 2", in: [1, 2, 7, 7], k: [2, 2, 3, 3], s: [1, 1], p: [1, 1, 1, 1], d: [2, 2], g: 1 },
    { name: "group 2 (depthwise-like)", in: [1, 4, 4, 4], k: [4, 2, 2, 2], s: [1, 2], p: [0, 1, 0, 1], d: [1, 1], g: 2 },
  ];
  for (const c of cases) {
    it(`conv2d NCHW: ${c.name}`, () => {
      const size = c.in.reduce((a, b) => a * b, 1);
      const x = Array.from({ length: size }, () => randomInt(3));
      const ksize = c.k.reduce((a, b) => a * b, 1);
      const k = Array.from({ length: ksize }, () => randomInt(-2, 3));
      const bias = c.bias ? Array.from({ length: c.k[0]! }, () => randomInt(-4, 5)) : undefined;
      const ex = client.encrypt(x, P, { shape: c.in });
      const ey = conv2d(ex, k, c.k as [number, number, number, number], {
        strides: c.s, pads: c.p, dilations: c.d, group: c.g,
        ...(bias ? { bias, biasPrecision: P } : {}),
      });
      const want = clearConv(x, c.in, k, c.k, c.s, c.p, c.d, c.g, bias);
      expect(ey.shape).toEqual(want.shape);
      expect(client.decrypt(ey, P)).toEqual(want.out);
    });
  }

  it("conv2d rejects inconsistent geometry", () => {
    const ex = client.encrypt(new Array<number>(16).fill(0), P, { shape: [1, 1, 4, 4] });
    expect(() => conv2d(ex, new Array<number>(9).fill(1), [1, 2, 3, 3])).toThrow(/input channels/);
    expect(() => conv2d(ex, new Array<number>(25 * 1).fill(1), [1, 1, 5, 5])).toThrow(/larger than the padded input/);
    expect(() => conv2d(ex, new Array<number>(9).fill(1), [1, 1, 3, 3], { strides: [0, 1] })).toThrow(/strides/);
  });

  it("tensor helpers: reshape, slice, concat", () => {
    const ex = client.encrypt([1, 2, 3, 4, 5, 6], P, { shape: [2, 3] });
    expect(ex.reshape([3, 2]).shape).toEqual([3, 2]);
    expect(client.decrypt(ex.slice(2, 5), P)).toEqual([3, 4, 5]);
    expect(client.decrypt(LweCiphertextTensor.concat([ex.slice(4, 6), ex.slice(0, 1)]), P)).toEqual([5, 6, 1]);
    expect(() => ex.reshape([4])).toThrow(/reshape/);
  });
});

describe("native linear ops reject inconsistent sizes without reading out of bounds", () => {
  it("matmul, conv2d, ciphertext serialization with overflowing dimensions", async () => {
    const { native } = await import("../../runtime/native.js");
    const ct = new BigUint64Array(3 * 2); // 2 ciphertexts of dimension 2
    const big = 2 ** 32;
    expect(() => native().matmul(ct, 2, big, big, new BigInt64Array(1), 1)).toThrow(/too large|must equal/);
    expect(() => native().matmul(ct, 2, 1, 2, new BigInt64Array(3), 1)).toThrow(/weights must have/);
    const geometry = [2 ** 20, 2 ** 20, 2 ** 20, 2 ** 20, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1];
    expect(() => native().conv2d(ct, 2, geometry, new BigInt64Array(1))).toThrow(/too large|does not match/);
    expect(() => native().conv2d(ct, 2, [1, 1, 1, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1], new BigInt64Array(7)))
      .toThrow(/kernel size/);
    expect(() => native().conv2d(ct, 2, [1, 1, 1, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1e7], new BigInt64Array(1)))
      .toThrow(/geometry/);
    expect(() => native().ciphertextsSerialize(0n, 2, [big, big, big], ct)).toThrow(/too large/);
    expect(() => native().ciphertextsSerialize(0n, 2, [-1], ct)).toThrow(/non-negative/);
  });
});
