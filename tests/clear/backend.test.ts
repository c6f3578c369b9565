// Clear backend: overflow reports, p_error injection statistics, observers and calibration ranges.
import { describe, expect, it } from "vitest";
import { collectRanges, OverflowError, simulate, simulateWithStats } from "../../backends/clear/index.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { printModule } from "../../ir/printer.js";
import { verifyModule } from "../../ir/verifier.js";
import { analyzeBitwidths, applyBitwidths, setCalibrationRanges } from "../../passes/bitwidth.js";

function parse(text: string) {
  const r = parseModule(text, "t.mlir", defaultRegistry);
  if (!r.module) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  expect(verifyModule(r.module, defaultRegistry).hasErrors()).toBe(false);
  return r.module;
}

const overflowing = `module {
  func.func @main(%a: tensor<3x!fhe.eint<3>>, %b: tensor<3x!fhe.eint<3>>) -> tensor<3x!fhe.eint<3>> {
    %c = arith.constant {value = dense<1> : tensor<i2>} : () -> i2
    %s = fhe.add_eint %a, %b : (tensor<3x!fhe.eint<3>>, tensor<3x!fhe.eint<3>>) -> tensor<3x!fhe.eint<3>>
    %t = fhe.add_eint_int %s, %c : (tensor<3x!fhe.eint<3>>, i2) -> tensor<3x!fhe.eint<3>>
    return %t : tensor<3x!fhe.eint<3>>
  }
}
`;

describe("overflow detection", () => {
  const f = parse(overflowing).funcs[0]!;
  const a = { batch: 2, shape: [3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) };
  const b = { batch: 2, shape: [3], data: Int32Array.from([1, 1, 1, 1, 1, 2]) };

  it("names the op, its location and the value", () => {
    expect(() => simulate(f, [a, b])).toThrow(OverflowError);
    try {
      simulate(f, [a, b]);
    } catch (e) {
      const err = e as OverflowError;
      expect(err.message).toContain("overflow in 'fhe.add_eint' at t.mlir:4:5: value 8 does not fit !fhe.eint<3> [0, 7] (sample 1, element 2)");
      expect(err.record).toMatchObject({ opName: "fhe.add_eint", value: 8, sample: 1, element: 2, count: 1 });
    }
  });

  it("records every overflowing op when checking is off", () => {
    const r = simulateWithStats(f, [a, b], { checkOverflow: false });
    expect(r.stats.overflows.map((o) => [o.opName, o.value, o.count])).toEqual([
      ["fhe.add_eint", 8, 1],
      ["fhe.add_eint_int", 9, 1],
    ]);
    expect(Array.from(r.outputs[0]!.data)).toEqual([3, 4, 5, 6, 7, 9]);
    expect(r.stats.maxAbs.get(f.body.ops[2]!)).toBe(9);
  });

  it("passes when the values fit", () => {
    const small = { batch: 1, shape: [3], data: Float64Array.from([0, 1, 2]) };
    expect(Array.from(simulate(f, [small, small])[0]!.data)).toEqual([1, 3, 5]);
  });

  it("rejects inputs outside the argument type", () => {
    const bad = { batch: 1, shape: [3], data: Float64Array.from([0, 8, 2]) };
    expect(() => simulate(f, [bad, bad])).toThrow(/input #0 'a' holds 8 at flat index 1, outside !fhe.eint<3> \[0, 7\]/);
  });
});

const identity = `module {
  func.func @main(%x: tensor<100x!fhe.eint<4>>) -> tensor<100x!fhe.eint<4>> {
    %y = fhe.apply_lookup_table %x {table = dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]> : tensor<16xi64>} : (tensor<100x!fhe.eint<4>>) -> tensor<100x!fhe.eint<4>>
    return %y : tensor<100x!fhe.eint<4>>
  }
}
`;

describe("p_error injection", () => {
  const f = parse(identity).funcs[0]!;
  const batch = 200;
  const data = new Float64Array(100 * batch);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 16;
  const x = { batch, shape: [100], data };
  const changed = (out: Float64Array) => out.reduce((n, v, i) => n + (v !== data[i] ? 1 : 0), 0);

  it("changes about pError of the table reads, to a neighbouring entry", () => {
    const n = data.length; // 20000 reads
    for (const p of [0.01, 0.1, 0.3]) {
      const r = simulateWithStats(f, [x], { pError: p, seed: 42 });
      const c = changed(r.outputs[0]!.data as Float64Array);
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(c - n * p)).toBeLessThan(5 * sigma);
      expect(r.stats.tluErrors).toBe(c);
      expect(r.stats.tluReads).toBe(n);
      r.outputs[0]!.data.forEach((v, i) => {
        const d = (v - data[i]! + 16) % 16;
        expect(d === 0 || d === 1 || d === 15).toBe(true);
      });
    }
  });

  it("changes nothing with pError 0 and is deterministic per seed", () => {
    expect(changed(simulate(f, [x], { pError: 0, seed: 1 })[0]!.data as Float64Array)).toBe(0);
    const a = simulate(f, [x], { pError: 0.2, seed: 7 })[0]!.data;
    const b = simulate(f, [x], { pError: 0.2, seed: 7 })[0]!.data;
    const c = simulate(f, [x], { pError: 0.2, seed: 8 })[0]!.data;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});

const calib = `module {
  func.func @main(%x: tensor<4x!fhe.eint<6>>) -> tensor<4x!fhe.eint<6>> {
    %w = arith.constant {value = dense<[[1, 2, 0, 1], [0, 1, 3, 1], [2, 0, 1, 1], [1, 1, 1, 1]]> : tensor<4x4xi3>} : () -> tensor<4x4xi3>
    %acc = fhe.matmul_eint_int %x, %w : (tensor<4x!fhe.eint<6>>, tensor<4x4xi3>) -> tensor<4x!fhe.eint<6>>
    return %acc : tensor<4x!fhe.eint<6>>
  }
}
`;

describe("observer and calibration bounds", () => {
  it("collects min/max per value over the batch", () => {
    const m = parse(calib);
    const f = m.funcs[0]!;
    const x = { batch: 3, shape: [4], data: Float64Array.from([0, 1, 2, 3, 1, 1, 1, 1, 2, 0, 0, 0]) };
    const ranges = collectRanges(f, [x]);
    expect(ranges.get(f.args[0]!)).toEqual([0, 3]);
    // acc per sample: [0+0+4+3, 0+1+0+3, 0+3+2+3, 1+1+1+... ] computed by hand below
    const acc = [
      [0 * 1 + 1 * 0 + 2 * 2 + 3 * 1, 0 * 2 + 1 * 1 + 2 * 0 + 3 * 1, 0 * 0 + 1 * 3 + 2 * 1 + 3 * 1, 0 + 1 + 2 + 3],
      [1 + 0 + 2 + 1, 2 + 1 + 0 + 1, 0 + 3 + 1 + 1, 4],
      [2, 4, 0, 2],
    ].flat();
    expect(ranges.get(f.body.ops[1]!.result)).toEqual([Math.min(...acc), Math.max(...acc)]);
  });

  it("calibration bounds give narrower types than static ones, and can overflow on unseen inputs", () => {
    const m = parse(calib);
    const f = m.funcs[0]!;
    const x = { batch: 2, shape: [4], data: Float64Array.from([0, 1, 1, 0, 1, 0, 1, 1]) };
    setCalibrationRanges(f, collectRanges(f, [x]));
    expect(printModule(m)).toContain("fhec.calib_range = [1, 4]");
    const staticBits = analyzeBitwidths(f).maxWidth;
    applyBitwidths(f, { bounds: "calibration" });
    expect(verifyModule(m, defaultRegistry).hasErrors()).toBe(false);
    expect(analyzeBitwidths(f, { bounds: "calibration" }).maxWidth).toBeLessThan(staticBits);
    expect(Array.from(simulate(f, [x])[0]!.data)).toEqual([2, 1, 4, 2, 4, 3, 2, 3]);
    const unseen = { batch: 1, shape: [4], data: Float64Array.from([40, 40, 40, 40]) };
    expect(() => simulate(f, [unseen])).toThrow(/overflow in 'fhe.matmul_eint_int'/);
  });
});

describe("analyzeBitwidths report", () => {
  it("reports intervals, precisions and table inputs", () => {
    const m = parse(`module {
  func.func @main(%x: tensor<2x!fhe.eint<8>>) -> tensor<2x!fhe.eint<8>> {
    %c = arith.constant {value = dense<-3> : tensor<i3>} : () -> i3
    %m = fhe.mul_eint_int %x, %c : (tensor<2x!fhe.eint<8>>, i3) -> tensor<2x!fhe.eint<8>>
    return %m : tensor<2x!fhe.eint<8>>
  }
}
`);
    const r = analyzeBitwidths(m.funcs[0]!);
    expect(r.values.map((v) => [v.name, v.interval.lo, v.interval.hi, v.type.width, v.type.signed])).toEqual([
      ["x", 0, 255, 11, true],
      ["m", -765, 0, 11, true],
    ]);
    expect(r.tluCount).toBe(0);
    expect(r.maxAccumulatorWidth).toBe(11);
  });
});
