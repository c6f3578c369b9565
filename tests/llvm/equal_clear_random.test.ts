// The LLVM backend against the clear backend, bit for bit, on random fhe graphs (and the mlp fixture
// for the kernel's own noise draws): the fast matmul and table forms, blocks of samples, exact
// rounding with misread bits. The bundled fixtures: equal_clear_fixtures.
import { describe, expect, it } from "vitest";
import { type BatchTensor, type SimulateOptions, simulateWithStats } from "../../backends/clear/index.js";
import { CHUNK, planKernel } from "../../backends/llvm/plan.js";
import { compile } from "../../compiler/compile.js";
import { denseAttr, stringAttr } from "../../ir/attributes.js";
import type { FuncOp } from "../../ir/core.js";
import { elementOf, type EncryptedIntType, f64, i64, shapeOf, tensor } from "../../ir/types.js";
import { ROUND_LAST_STEP_ATTR, roundDigits } from "../../ir/dialects/fhe.js";
import { repeatSamples } from "../../bench/fixtures.js";
import { loadFixture } from "../helpers/fixtures.js";
import { Gen, genGraph, prng } from "../clear/gen.js";
import { addReadNoise, bytes, expectSame, randomInputs, status, tick } from "./helpers.js";

describe.skipIf(!status.ok)("LLVM backend's native noise draws", () => {
  // The kernel draws read noise with its own log and cos and hands the reads it cannot settle to
  // fhec. Tolerance 1 hands every read back (the exact path alone); tolerance 0 hands none back,
  // so the kernel's own draws must reproduce every read: over thousands of reads near their tie
  // this fails unless its Box–Muller values are as close to JavaScript's as emit_draws.ts states.
  // The tolerance is a run-time option: both cases run the same circuits, compiled once.
  let made: { circuit: ReturnType<typeof compile>; q: BatchTensor[]; graphs: { func: FuncOp; inputs: BatchTensor[] }[] } | undefined;
  const setup = () => {
    if (made) return made;
    const f = loadFixture("mlp");
    const circuit = compile(f.model, { calibration: f.calib });
    const graphs = Array.from({ length: 10 }, (_, i) => {
      const seed = i + 1;
      const { func, argRanges } = genGraph(seed);
      addReadNoise(func, seed * 13);
      return { func, inputs: randomInputs(func, argRanges, 64, seed * 7) };
    });
    made = { circuit, q: circuit.quantizeInputs([repeatSamples(f.x, 1000)]), graphs };
    return made;
  };
  for (const drawTolerance of [1, 0]) {
    it(`give the clear backend's results with tolerance ${drawTolerance}: mlp fixture (1000 samples) and random graphs`, async () => {
      const { circuit, q, graphs } = setup();
      for (const seed of [0, 1]) {
        await tick();
        await expectSame(circuit.func, q, { pError: circuit.pError, approximateTies: "random", seed, checkOverflow: false }, `mlp seed ${seed}, tolerance ${drawTolerance}`, { drawTolerance });
      }
      for (const [i, { func, inputs }] of graphs.entries()) {
        await tick();
        const seed = i + 1;
        await expectSame(func, inputs, { approximateTies: "random", seed, pError: 0.1, checkOverflow: false }, `graph ${seed}, tolerance ${drawTolerance}`, { drawTolerance });
      }
    }, 300_000);
  }
});

describe.skipIf(!status.ok)("LLVM backend equals the clear backend on random fhe graphs", () => {
  const BATCH = 16;
  const STEPS = 18;
  const linear = ["conv", "matmul", "rmatmul", "dot", "sum", "tlu", "reshape", "transpose", "mulc", "slice", "pad", "gather", "concat"];
  // Each graph costs a native compilation per draw mode, mostly fixed costs: a few large graphs
  // rather than many small ones. These 17 graphs of 18 steps hold every op kind at least as often
  // as 45 graphs of genGraph's default 3–8 steps (seeds 1–30, and 31–45 from the linear ops) do,
  // and 318 ops in all against 249, constants aside (the seeds were picked to meet that, kind by kind).
  const graphs = [
    ...[1, 2, 3, 4, 5, 6, 7, 8, 24, 31, 50, 51, 78, 95].map((seed) => ({ seed, ops: undefined })),
    ...[10, 26, 70].map((seed) => ({ seed, ops: linear })),
  ];
  // Groups of 3 graphs per test, so that no test blocks the worker for long.
  for (let first = 0; first < graphs.length; first += 3) {
    const group = graphs.slice(first, first + 3);
    // "linear N": graph N drawn from the linear ops and data movement only.
    const names = group.map((g) => `${g.ops ? "linear " : ""}${g.seed}`).join(", ");
    it(`graphs ${names} (${STEPS} steps) × ${BATCH} samples: disable, simulate with fixed seeds`, async () => {
      for (const { seed, ops } of group) {
        await tick();
        const { func, argRanges } = genGraph(seed, { steps: STEPS, ...(ops ? { ops } : {}) });
        addReadNoise(func, seed * 13);
        const inputs = randomInputs(func, argRanges, BATCH, seed * 7);
        await expectSame(func, inputs, { approximateTies: "up" }, `graph ${seed} disable`);
        await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, `graph ${seed} disable, overflows recorded`);
        for (const s of [0, 5]) {
          await expectSame(func, inputs, { approximateTies: "random", seed: s, pError: 0.1, checkOverflow: false }, `graph ${seed} simulate seed ${s}`);
          await expectSame(func, inputs, { approximateTies: "random", seed: s, pError: 0.1, noise: "bound", checkOverflow: false }, `graph ${seed} simulate bound seed ${s}`);
        }
      }
    }, 300_000);
  }
});

describe.skipIf(!status.ok)("LLVM backend's fast forms and chunks equal the clear backend", () => {
  // Matmuls by constant integer weights run with f32 fused multiply-adds when the call's inputs are
  // small enough for every order of sums to be exact, else in the clear backend's order. 60-bit
  // graphs with inputs of three magnitudes take both forms (2^30: beyond f32's bound; 2^57: where
  // products and sums round in f64 and only the clear order gives its bits). The weights are made
  // odd (2w + 1), so that products of large inputs round.
  const ops = ["matmul", "rmatmul", "dot", "sum", "transpose", "mulc"];
  const oddWeights = (func: FuncOp, scale = 1): void => {
    for (const op of func.body.ops) {
      if (!["fhe.matmul_eint_int", "fhe.matmul_int_eint", "fhe.dot_eint_int"].includes(op.name)) continue;
      for (const v of op.operands) {
        const c = v.definingOp;
        if (c?.name !== "arith.constant") continue;
        const value = c.attr("value") as ReturnType<typeof denseAttr>;
        c.attributes.set("value", denseAttr(value.type, Array.from(value.data, (w) => (2 * w + 1) * scale)));
      }
    }
  };
  it("matmuls in f32 and in order, on 60-bit random graphs", async () => {
    for (let seed = 1; seed <= 12; seed++) {
      await tick();
      const { func, argRanges } = genGraph(seed, { ops, width: 60 });
      oddWeights(func);
      for (const magnitude of [0, 2 ** 30, 2 ** 57]) {
        const ranges = argRanges.map(([lo, hi]): [number, number] => (magnitude === 0 ? [lo, hi] : [lo < 0 ? -magnitude : 0, magnitude]));
        const inputs = randomInputs(func, ranges, 40, seed * 11);
        await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, `60-bit graph ${seed}, inputs up to ${magnitude || "their range"}`);
      }
    }
  }, 300_000);

  // With AVX-512 VNNI, a one-row matmul whose weights' column sums of |w| pass 512 runs as i16 pairs
  // summed into i32 (its bound, 2^15 − 1, is then above f32's): weights made (2w + 1)·1000 take that
  // form, inputs up to 2^12 and up to 2^15 − 1 stay within it, inputs up to 2^15 pass it by one
  // (the clear backend's order), 2^30 pass it far.
  it("matmuls as VNNI i16 pairs (when the host has them) and in order, on 60-bit random graphs with large weights", async () => {
    const vnni = status.ok && status.toolchain.vnni;
    let i16 = 0;
    for (let seed = 1; seed <= 12; seed++) {
      await tick();
      const { func, argRanges } = genGraph(seed, { ops, width: 60 });
      oddWeights(func, 1000);
      const plan = planKernel(func, { randomTies: false, readNoise: false, tableErrors: false }, { vnni, avx512: vnni });
      i16 += plan.stages.flatMap((s) => s.steps).filter((s) => s.kind === "matmul" && s.fast?.form === "i16").length;
      for (const magnitude of [2 ** 12, 2 ** 15 - 1, 2 ** 15, 2 ** 30]) {
        const ranges = argRanges.map(([lo]): [number, number] => [lo < 0 ? -magnitude : 0, magnitude]);
        const inputs = randomInputs(func, ranges, 40, seed * 13);
        await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, `60-bit graph ${seed}, weights ×1000, inputs up to ${magnitude}`);
      }
    }
    // The comparison has power where the host has VNNI: some matmuls took the i16 form.
    if (vnni) expect(i16).toBeGreaterThan(3);
  }, 300_000);

  // Tables of 16 and 32 entries are read without draws by in-register permutes (AVX-512):
  // graphs of 4- and 5-bit values, inputs over their whole type's range, then sums and products
  // that carry them out of the tables' domain, so that reads wrap (mod m) and negate (odd periods).
  it("table reads by permutes (tables of 16 and 32 entries, when the host has AVX-512), inside and outside the domain", async () => {
    const avx512 = status.ok && status.toolchain.avx512;
    let permutes = 0;
    for (const width of [4, 5]) {
      for (let seed = 1; seed <= 10; seed++) {
        await tick();
        const { func } = genGraph(seed, { width, steps: 8, ops: ["tlu", "mapped", "addc", "subc", "rsubc", "mulc", "neg"] });
        const plan = planKernel(func, { randomTies: false, readNoise: false, tableErrors: false }, { vnni: false, avx512 });
        permutes += plan.stages.flatMap((s) => s.steps).filter((s) => s.kind === "lookup" && s.permute !== undefined).length;
        const ranges = func.args.map((a): [number, number] => {
          const { signed } = elementOf(a.type) as EncryptedIntType;
          return signed ? [-(2 ** (width - 1)), 2 ** (width - 1) - 1] : [0, 2 ** width - 1];
        });
        const inputs = randomInputs(func, ranges, 2 * CHUNK + 9, seed * 17);
        await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, `${width}-bit graph ${seed}`);
      }
    }
    // The comparison has power where the host has AVX-512: lookups took the permute form.
    if (avx512) expect(permutes).toBeGreaterThan(10);
  }, 300_000);

  // The kernel runs the batch in blocks of CHUNK samples, the last one partly filled (with draws:
  // every stage on a block before the next block): statistics and the first overflow must carry
  // across blocks, the lanes past the batch's end must count nowhere and draw as the last sample
  // (their values must raise no maximum), each block's reads must draw as their samples do in the
  // clear backend, and an input out of range in the last block must give the clear backend's error.
  it(`batches of ${2 * CHUNK + 76} samples (${Math.ceil((2 * CHUNK + 76) / CHUNK)} blocks, the last partly filled): outputs, statistics, first overflow, input errors; disable and simulate`, async () => {
    const batch = 2 * CHUNK + 76;
    for (let seed = 1; seed <= 12; seed++) {
      await tick();
      const { func, argRanges } = genGraph(seed);
      const inputs = randomInputs(func, argRanges, batch, seed * 5);
      await expectSame(func, inputs, { approximateTies: "up" }, `graph ${seed} × ${batch}, overflows thrown`);
      await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, `graph ${seed} × ${batch}, overflows recorded`);
      await expectSame(func, inputs, { approximateTies: "random", seed: 3, pError: 0.1, checkOverflow: false }, `graph ${seed} × ${batch}, simulate, p_error and ties`);
      // One sample: a block of lanes past the batch's end, whose draws, if they were their own, would raise maxima.
      await expectSame(func, randomInputs(func, argRanges, 1, seed * 11), { approximateTies: "random", seed: 3, pError: 0.5, checkOverflow: false }, `graph ${seed} × 1, simulate, p_error and ties`);
      // The same graph with read noise (a new instance: compiled code is cached per function and mode).
      const noisy = genGraph(seed).func;
      addReadNoise(noisy, seed * 13);
      await expectSame(noisy, inputs, { approximateTies: "random", seed: 4, pError: 0.1, checkOverflow: false }, `graph ${seed} × ${batch}, simulate with read noise`);
      for (const bad of [0.5, 2 ** 40, NaN]) {
        const data = Float64Array.from(inputs[0]!.data);
        data[data.length - 3] = bad;
        await expectSame(func, [{ ...inputs[0]!, data }, ...inputs.slice(1)], { approximateTies: "up" }, `graph ${seed} × ${batch}, input ${bad} in the last block`);
      }
    }
  }, 300_000);
});

describe.skipIf(!status.ok)("LLVM backend equals the clear backend on exact rounding with misread bits", () => {
  it("random graphs whose exact roundings read every bit with noise of 0.1–0.5 bit (units of the bit read): same bytes for seeds 0 and 5, and the draws change results", async () => {
    let changed = 0;
    let rounds = 0;
    for (let seed = 1; seed <= 30; seed++) {
      await tick();
      const { func, argRanges } = genGraph(seed);
      // Graphs without a rounding have no bit reads: the other random-graph tests cover them.
      if (!func.body.ops.some((op) => op.name === "fhe.round")) continue;
      const g = new Gen(prng(seed * 31));
      for (const op of func.body.ops) {
        if (op.name !== "fhe.round") continue;
        const n = (shapeOf(op.result.type) as number[]).reduce((x, y) => x * y, 1);
        const k = (elementOf(op.operands[0]!.type) as EncryptedIntType).width - (elementOf(op.result.type) as EncryptedIntType).width;
        op.attributes.set("fhec.read_std", denseAttr(tensor([k * n], f64), Array.from({ length: k * n }, () => 0.05 + 0.2 * g.rand())));
        if (g.bool()) op.attributes.set("fhec.read_offset", { kind: "float", value: 0.01 * g.rand(), type: f64 } as never);
        rounds++;
      }
      const inputs = randomInputs(func, argRanges, 64, seed * 7);
      const exact = simulateWithStats(func, inputs, { approximateTies: "up", checkOverflow: false }).outputs;
      for (const s of [0, 5]) {
        const opts: SimulateOptions = { approximateTies: "random", seed: s, checkOverflow: false };
        await expectSame(func, inputs, opts, `graph ${seed} exact-rounding bits seed ${s}`);
        const drawn = simulateWithStats(func, inputs, opts).outputs;
        if (drawn.some((o, i) => !bytes(o.data).equals(bytes(exact[i]!.data)))) changed++;
      }
    }
    // The comparison has power: the drawn bit reads did change results.
    expect(rounds).toBeGreaterThan(5);
    expect(changed).toBeGreaterThan(2);
  }, 300_000);

  it("random graphs whose exact roundings end with a multi-bit step (last_step_bits), every step read with noise of 0.1–0.5 of its unit: same bytes for seeds 0 and 5, and the draws change results", async () => {
    let changed = 0;
    let rounds = 0;
    for (let seed = 1; seed <= 60; seed++) {
      await tick();
      const { func, argRanges } = genGraph(seed);
      const g = new Gen(prng(seed * 37));
      let multi = false;
      for (const op of func.body.ops) {
        if (op.name !== "fhe.round") continue;
        const q = (elementOf(op.result.type) as EncryptedIntType).width;
        const k = (elementOf(op.operands[0]!.type) as EncryptedIntType).width - q;
        if (k < 2) continue;
        op.attributes.set("method", stringAttr("exact"));
        const d = 2 + Math.floor(g.rand() * (k - 1));
        op.attributes.set(ROUND_LAST_STEP_ATTR, { kind: "int", value: d, type: i64 } as never);
        const digits = roundDigits(op);
        const n = (shapeOf(op.result.type) as number[]).reduce((x, y) => x * y, 1);
        // Each step's σ in its own unit: half the torus for a 1-bit step, 2^−(d+q+1) for the last.
        const unit = (s: number) => (digits[s] === 1 ? 2 : 2 ** (digits[s]! + q + 1));
        op.attributes.set("fhec.read_std", denseAttr(tensor([digits.length * n], f64), Array.from({ length: digits.length * n }, (_, i) => (0.1 + 0.4 * g.rand()) / unit(Math.floor(i / n)))));
        op.attributes.set("fhec.read_offset", denseAttr(tensor([digits.length], f64), digits.map(() => 0.01 * g.rand())));
        multi = true;
        rounds++;
      }
      if (!multi) continue;
      const inputs = randomInputs(func, argRanges, 64, seed * 7);
      const exact = simulateWithStats(func, inputs, { approximateTies: "up", checkOverflow: false }).outputs;
      for (const s of [0, 5]) {
        const opts: SimulateOptions = { approximateTies: "random", seed: s, checkOverflow: false };
        await expectSame(func, inputs, opts, `graph ${seed} multi-bit exact-rounding steps seed ${s}`);
        const drawn = simulateWithStats(func, inputs, opts).outputs;
        if (drawn.some((o, i) => !bytes(o.data).equals(bytes(exact[i]!.data)))) changed++;
      }
    }
    // The comparison has power: multi-bit steps were drawn and changed results.
    expect(rounds).toBeGreaterThan(5);
    expect(changed).toBeGreaterThan(3);
  }, 300_000);
});