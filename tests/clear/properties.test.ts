// Property tests on random small fhe graphs: the clear backend against an independent
// brute-force evaluator, and the bitwidth / rounding / tlu-fusion passes never changing results.
import { describe, expect, it } from "vitest";
import { type BatchTensor, collectRanges, OverflowError, simulate } from "../../backends/clear/index.js";
import type { FuncOp } from "../../ir/core.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { asInts } from "../../ir/attributes.js";
import { printModule } from "../../ir/printer.js";
import { elementOf, type EncryptedIntType, shapeOf, type Type } from "../../ir/types.js";
import { verifyModule } from "../../ir/verifier.js";
import { analyzeBitwidths, applyBitwidths, setCalibrationRanges } from "../../passes/bitwidth.js";
import { roundFunc } from "../../passes/rounding.js";
import { fuseFunc } from "../../passes/tlu_fusion.js";
import { BruteOverflow, bruteEval, type T } from "./brute.js";
import { cloneModule, Gen, genGraph, prng, randomInputs } from "./gen.js";

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const argShape = (f: FuncOp, i: number) => shapeOf(f.args[i]!.type) as number[];
const enc = (t: Type) => elementOf(t) as EncryptedIntType;

function sample(inputs: BatchTensor[], s: number): T[] {
  return inputs.map((t) => {
    const n = size(t.shape);
    return { shape: [...t.shape], data: Array.from(t.data.subarray(s * n, (s + 1) * n)) };
  });
}

function outputsOf(outs: BatchTensor[], s: number): number[][] {
  return outs.map((t) => {
    const n = size(t.shape);
    return Array.from(t.data.subarray(s * n, (s + 1) * n));
  });
}

/** Brute-force results per sample, or the op of the first overflow. */
function bruteAll(func: FuncOp, inputs: BatchTensor[]): { outs?: number[][][]; overflow?: { sample: number; op: string } } {
  const outs: number[][][] = [];
  for (let s = 0; s < inputs[0]!.batch; s++) {
    try {
      outs.push(bruteEval(func, sample(inputs, s)).map((t) => t.data));
    } catch (e) {
      if (e instanceof BruteOverflow) return { overflow: { sample: s, op: e.op.name } };
      throw e;
    }
  }
  return { outs };
}

const GRAPHS = 70;
const BATCH = 12;

describe("clear backend equals the brute-force evaluator on random graphs", () => {
  it(`${GRAPHS} graphs × ${BATCH} samples`, () => {
    let compared = 0;
    let overflowed = 0;
    for (let seed = 1; seed <= GRAPHS + 40; seed++) {
      // The last 40 graphs stress the linear ops (conv2d, matmul, dot, sum) and data movement.
      const linear = ["conv", "matmul", "rmatmul", "dot", "sum", "tlu", "reshape", "transpose", "mulc"];
      const { module, func, argRanges } = genGraph(seed, seed > GRAPHS ? { ops: linear } : {});
      const inputs = randomInputs(func, argRanges, BATCH, seed * 7);
      const ref = bruteAll(func, inputs);
      if (ref.overflow) {
        // The backend must report the same op (the first overflow in program order, any sample).
        let err: unknown;
        try {
          simulate(func, inputs);
        } catch (e) {
          err = e;
        }
        expect(err, `seed ${seed}`).toBeInstanceOf(OverflowError);
        expect((err as OverflowError).record.opName).toBe(ref.overflow.op);
        overflowed++;
        continue;
      }
      const outs = simulate(func, inputs);
      for (let s = 0; s < BATCH; s++) {
        if (JSON.stringify(outputsOf(outs, s)) !== JSON.stringify(ref.outs![s])) {
          expect.fail(`seed ${seed} sample ${s}: ${JSON.stringify(outputsOf(outs, s))} != ${JSON.stringify(ref.outs![s])}\n${printModule(module)}`);
        }
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(GRAPHS / 2);
    expect(overflowed + compared).toBe(GRAPHS + 40);
  });
});

describe("bitwidth pass", () => {
  it("never changes results, leaves no overflow on inputs in range, and is idempotent", () => {
    let checked = 0;
    for (let seed = 101; seed < 101 + GRAPHS; seed++) {
      const { module, func, argRanges } = genGraph(seed);
      const inputs = randomInputs(func, argRanges, BATCH, seed);
      const before = bruteAll(func, inputs);
      const m2 = cloneModule(module);
      const f2 = m2.funcs[0]!;
      applyBitwidths(f2);
      expect(verifyModule(m2, defaultRegistry).hasErrors(), printModule(m2)).toBe(false);
      // No overflow after the pass: static bounds hold for every input in the argument ranges.
      const after = simulate(f2, inputs);
      if (before.outs) {
        for (let s = 0; s < BATCH; s++) expect(outputsOf(after, s), `seed ${seed}`).toEqual(before.outs[s]);
        checked++;
      }
      const once = printModule(m2);
      applyBitwidths(f2);
      expect(printModule(m2)).toBe(once);
      // Every value's interval fits its type.
      for (const v of analyzeBitwidths(f2).values) {
        const lo = v.type.signed ? -(2 ** (v.type.width - 1)) : 0;
        const hi = v.type.signed ? 2 ** (v.type.width - 1) - 1 : 2 ** v.type.width - 1;
        expect(v.interval.lo).toBeGreaterThanOrEqual(lo);
        expect(v.interval.hi).toBeLessThanOrEqual(hi);
      }
    }
    expect(checked).toBeGreaterThan(GRAPHS / 2);
  });

  it("with calibration bounds, reproduces the calibration set exactly and without overflow", () => {
    let narrower = 0;
    for (let seed = 301; seed < 301 + 40; seed++) {
      const { module, func, argRanges } = genGraph(seed);
      const inputs = randomInputs(func, argRanges, BATCH, seed);
      const before = bruteAll(func, inputs);
      if (!before.outs) continue;
      const totalBits = (f: FuncOp) => analyzeBitwidths(f).values.reduce((n, v) => n + v.type.width, 0);
      const staticBits = totalBits(cloneModule(module).funcs[0]!);
      setCalibrationRanges(func, collectRanges(func, inputs));
      applyBitwidths(func, { bounds: "calibration" });
      expect(verifyModule(module, defaultRegistry).hasErrors(), printModule(module)).toBe(false);
      const after = simulate(func, inputs);
      for (let s = 0; s < BATCH; s++) expect(outputsOf(after, s), `seed ${seed}`).toEqual(before.outs[s]);
      if (totalBits(func) < staticBits) narrower++;
    }
    expect(narrower).toBeGreaterThan(0);
  });

  it("shrinks precisions (the pass does something)", () => {
    const { func } = genGraph(5);
    const r = applyBitwidths(func);
    expect(r.maxWidth).toBeLessThan(12);
  });
});

describe("rounding pass", () => {
  it("exact rounding computes t[clamp(2^k · round(acc / 2^k))] (brute-force reference)", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const g = new Gen(prng(seed + 500));
      const { module, func, argRanges } = genGraph(seed + 500, { ops: ["matmul", "conv", "sum", "tlu", "mapped"], steps: g.int(2, 4) });
      applyBitwidths(func);
      const ref = cloneModule(module).funcs[0]!;
      const bits = g.int(2, 4);
      roundFunc(func, { bits, method: "exact" });
      expect(verifyModule(module, defaultRegistry).hasErrors(), printModule(module)).toBe(false);
      const inputs = randomInputs(func, argRanges, 16, seed);
      // Reference: evaluate the unrounded graph op by op, replacing each table read by the rounded read.
      const rounds = func.body.ops.filter((o) => o.name === "fhe.round");
      const out = simulate(func, inputs);
      for (const r of rounds) expect(enc(r.result.type).width).toBeLessThanOrEqual(bits);
      const ks = rounds.map((r) => enc(r.operands[0]!.type).width - enc(r.result.type).width);
      // Patch the reference: each table op reads its input rounded to a multiple of 2^k and clamped.
      let t = 0;
      for (const op of ref.body.ops) {
        if (op.name !== "fhe.apply_lookup_table" && op.name !== "fhe.apply_mapped_lookup_table") continue;
        const p = enc(op.operands[0]!.type);
        if (p.width <= bits) continue;
        const k = ks[t++]!;
        const key = op.name === "fhe.apply_lookup_table" ? "table" : "tables";
        const old = (op.attr(key) as { data: Float64Array }).data;
        const m = 2 ** p.width;
        const lo = p.signed ? -m / 2 : 0;
        const hi = p.signed ? m / 2 - 1 : m - 1;
        const patched = new Float64Array(old.length);
        for (let v = lo; v <= hi; v++) {
          const r = Math.floor((v + 2 ** (k - 1)) / 2 ** k) * 2 ** k;
          const c = Math.min(Math.max(r, lo), hi);
          for (let row = 0; row < old.length / m; row++) patched[row * m + (((v % m) + m) % m)] = old[row * m + (((c % m) + m) % m)]!;
        }
        (op.attr(key) as { data: Float64Array }).data.set(patched);
      }
      expect(t).toBe(rounds.length);
      const want = bruteAll(ref, inputs);
      expect(want.outs, `seed ${seed}`).toBeDefined();
      for (let s = 0; s < 16; s++) expect(outputsOf(out, s), `seed ${seed} sample ${s}`).toEqual(want.outs![s]);
    }
  });

  it("approximate rounding differs from exact only on ties, by one, both ways, deterministically", () => {
    const { module, func, argRanges } = genGraph(77, { ops: ["matmul"], steps: 1 });
    applyBitwidths(func);
    const text = printModule(module);
    const exact = cloneModule(module).funcs[0]!;
    roundFunc(exact, { bits: 2, method: "exact", outputs: true });
    roundFunc(func, { bits: 2, method: "approximate", outputs: true });
    const inputs = randomInputs(func, argRanges, 400, 3);
    const a = simulate(func, inputs, { seed: 1 });
    const a2 = simulate(func, inputs, { seed: 1 });
    const e = simulate(exact, inputs);
    expect(Array.from(a[0]!.data)).toEqual(Array.from(a2[0]!.data));
    let down = 0;
    for (let i = 0; i < e[0]!.data.length; i++) {
      const d = e[0]!.data[i]! - a[0]!.data[i]!;
      expect(d === 0 || d === 1).toBe(true);
      down += d;
    }
    expect(down).toBeGreaterThan(0);
    expect(text).not.toBe(printModule(module));
  });
});

describe("tlu-fusion pass", () => {
  it("never changes results, evaluated on every input of small domains", () => {
    let fused = 0;
    let graphs = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const { module, func } = genGraph(seed + 900, { width: 4, ops: ["tlu", "mapped", "addc", "subc", "rsubc", "mulc", "neg", "add", "sub", "reshape", "sum"], steps: 6 });
      // Every value of x0's range appears in some sample (as element 0); other elements at random.
      applyBitwidths(func);
      const attr = func.attributes.get("fhec.arg_ranges");
      const ranges = attr?.kind === "array" ? attr.items.map((r) => asInts(r) as [number, number]) : [];
      const g = new Gen(prng(seed));
      const batch = 64;
      const inputs = func.args.map((_, i) => {
        const shape = argShape(func, i);
        const n = size(shape);
        const [lo, hi] = ranges[i]!;
        const data = new Float64Array(n * batch);
        for (let s = 0; s < batch; s++) for (let j = 0; j < n; j++) data[s * n + j] = i === 0 && j === 0 && s <= hi - lo ? lo + s : g.int(lo, hi);
        return { batch, shape, data };
      });
      const before = simulate(func, inputs);
      const r = fuseFunc(func);
      fused += r.fused + r.composed;
      expect(verifyModule(module, defaultRegistry).hasErrors(), printModule(module)).toBe(false);
      const after = simulate(func, inputs);
      expect(after.map((t) => Array.from(t.data)), `seed ${seed}`).toEqual(before.map((t) => Array.from(t.data)));
      graphs++;
    }
    expect(graphs).toBe(80);
    expect(fused).toBeGreaterThan(10);
  });
});

