// The LLVM backend against the clear backend, bit for bit: its own noise draws (mlp fixture and
// random graphs), the fast matmul and table-read forms, and batches run in blocks of samples.
// Random graphs of every op kind: equal_clear_random. The bundled fixtures: equal_clear_fixtures.
import { describe, expect, it } from "vitest";
import type { BatchTensor } from "../../backends/clear/index.js";
import { CHUNK, type FastMatmul, planKernel } from "../../backends/llvm/plan.js";
import { compile } from "../../compiler/compile.js";
import { denseAttr } from "../../ir/attributes.js";
import type { FuncOp } from "../../ir/core.js";
import { elementOf, type EncryptedIntType } from "../../ir/types.js";
import { repeatSamples } from "../../bench/fixtures.js";
import { loadFixture } from "../helpers/fixtures.js";
import { genGraph } from "../clear/gen.js";
import { parse } from "../tfhe/helpers.js";
import { addReadNoise, expectSame, randomInputs, status, tick } from "./helpers.js";

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

/** @main: one row of k encrypted `width`-bit inputs by constant weights w (k rows of n) of integer type `wType`. */
function oneRowMatmul(w: number[][], width: number, wType: string): FuncOp {
  const [k, n] = [w.length, w[0]!.length];
  return parse(`func.func @main(%x: tensor<${k}x!fhe.esint<${width}>>) -> tensor<${n}x!fhe.esint<${width}>> {
  %w = arith.constant {value = dense<[${w.map((r) => `[${r.join(", ")}]`).join(", ")}]> : tensor<${k}x${n}x${wType}>} : () -> tensor<${k}x${n}x${wType}>
  %y = fhe.matmul_eint_int %x, %w : (tensor<${k}x!fhe.esint<${width}>>, tensor<${k}x${n}x${wType}>) -> tensor<${n}x!fhe.esint<${width}>>
  return %y : tensor<${n}x!fhe.esint<${width}>>
}`).funcs[0]!;
}

/** The fast forms of the matmuls of `func`'s disable-mode plan (plan.ts FastMatmul) on a host with or without VNNI. */
function disableFastForms(func: FuncOp, vnni: boolean): FastMatmul[] {
  const plan = planKernel(func, { randomTies: false, readNoise: false, tableErrors: false }, { vnni, avx512: vnni });
  return plan.stages.flatMap((s) => s.steps).flatMap((s) => (s.kind === "matmul" && s.fast ? [s.fast] : []));
}

/** `inputs` with one bad value in the last block (not an integer, past the type, NaN): the clear backend's error. */
async function expectBadInputsSame(func: FuncOp, inputs: BatchTensor[], what: string): Promise<void> {
  for (const bad of [0.5, 2 ** 45, NaN]) {
    const data = Float64Array.from(inputs[0]!.data);
    data[data.length - 3] = bad;
    await expectSame(func, [{ ...inputs[0]!, data }], { approximateTies: "up", checkOverflow: false }, `${what}, input ${bad} in the last block`);
  }
}

describe.skipIf(!status.ok)("LLVM backend's fast forms and chunks equal the clear backend", () => {
  // Matmuls by constant integer weights run with f32 fused multiply-adds when the call's inputs are
  // small enough for every order of sums to be exact, else in the clear backend's order. 60-bit
  // graphs with inputs of three magnitudes take both forms (2^30: beyond f32's bound; 2^57: where
  // products and sums round in f64 and only the clear order gives its bits). The weights are made
  // odd (2w + 1), so that products of large inputs round.
  const ops = ["matmul", "rmatmul", "dot", "sum", "transpose", "mulc"];
  // Each graph costs a native compilation (~0.35 s of it fixed): 4 graphs of 18 steps rather than
  // 12 of 3–8 (seeds 1–12). They hold every op kind, and every planned form (f32, clear order; with
  // weights ×1000 also i16), at least as often as seeds 1–12 did: 72 ops against 65.
  const matmulGraphs = [1, 6, 34, 35];
  const MATMUL_STEPS = 18;
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
    for (const seed of matmulGraphs) {
      await tick();
      const { func, argRanges } = genGraph(seed, { ops, width: 60, steps: MATMUL_STEPS });
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
    for (const seed of matmulGraphs) {
      await tick();
      const { func, argRanges } = genGraph(seed, { ops, width: 60, steps: MATMUL_STEPS });
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

  // An i16 matmul whose input is a function input read by nothing else takes its i16 pairs from
  // the input copy itself (FastMatmul.fromInput; k a multiple of 8): inputs within the bound run the
  // VNNI kernel, inputs past it (by one, and far) make the f64 copy for the clear backend's order,
  // in a batch whose last block is partly filled, and inputs out of range give the clear backend's error.
  // Its output's range is scanned while the i32 sums are widened (or after the clear order's sums):
  // 40-bit values stay inside, 26-bit ones overflow (counted and the first found by the check).
  it("matmuls as VNNI i16 pairs packed by the input copy, within and past the bound, and bad inputs", async () => {
    const vnni = status.ok && status.toolchain.vnni;
    const [k, n] = [16, 12];
    const w = Array.from({ length: k }, (_, t) => Array.from({ length: n }, (_, j) => ((t * 7 + j * 5) % 11 - 5) * 600 + 1));
    for (const width of [40, 26]) {
      const func = oneRowMatmul(w, width, "i14");
      // The comparison has power where the host has VNNI: the matmul took the packed form.
      if (vnni) expect(disableFastForms(func, vnni).filter((f) => f.fromInput !== undefined).length).toBe(1);
      const batch = 2 * CHUNK + 9;
      for (const magnitude of [2 ** 12, 2 ** 15 - 1, 2 ** 15, 2 ** 24]) {
        await tick();
        const inputs = randomInputs(func, [[-magnitude, magnitude]], batch, magnitude % 97);
        await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, `${width} bits, inputs up to ${magnitude}`);
        await expectSame(func, inputs, { approximateTies: "up" }, `${width} bits, inputs up to ${magnitude}, overflows thrown`);
      }
      await expectBadInputsSame(func, randomInputs(func, [[-(2 ** 12), 2 ** 12]], batch, 5), `${width} bits`);
    }
  }, 300_000);

  // A packed matmul whose weights fit s8 also gets the inputs as u8 quads from the input copy
  // (FastMatmul.fromInput.quads): a call whose inputs are all in [0, 255] (−0 included) runs
  // vpdpbusd, one with a negative input or one past 255 the i16 pairs (or, past their bound, the
  // clear order). 40-bit outputs stay inside their type, 17-bit ones overflow.
  it("matmuls as VNNI u8 quads packed by the input copy, and the fallbacks of inputs that do not fit u8", async () => {
    const vnni = status.ok && status.toolchain.vnni;
    const [k, n] = [32, 12];
    const w = Array.from({ length: k }, (_, t) => Array.from({ length: n }, (_, j) => ((t * 7 + j * 5) % 11 - 5) * 25 + 1));
    for (const width of [40, 17]) {
      const func = oneRowMatmul(w, width, "i8");
      // The comparison has power where the host has VNNI: the matmul took the quads.
      if (vnni) expect(disableFastForms(func, vnni).filter((f) => f.fromInput?.quads !== undefined).length).toBe(1);
      const batch = 2 * CHUNK + 9;
      const cases: [string, [number, number], (d: Float64Array) => void][] = [
        ["inputs in [0, 255]", [0, 255], () => {}],
        ["one 255 in the last block", [0, 200], (d) => (d[d.length - 2] = 255)],
        ["one 256 in the last block", [0, 255], (d) => (d[d.length - 2] = 256)],
        ["one −1", [0, 255], (d) => (d[5] = -1)],
        ["one −0", [0, 255], (d) => (d[7] = -0)],
        ["inputs in [−255, 255]", [-255, 255], () => {}],
        ["inputs past the i16 bound", [0, 2 ** 20], () => {}],
      ];
      for (const [what, range, edit] of cases) {
        await tick();
        const inputs = randomInputs(func, [range], batch, range[1] % 89);
        const data = Float64Array.from(inputs[0]!.data);
        edit(data);
        await expectSame(func, [{ ...inputs[0]!, data }], { approximateTies: "up", checkOverflow: false }, `${width} bits, ${what}`);
        await expectSame(func, [{ ...inputs[0]!, data }], { approximateTies: "up" }, `${width} bits, ${what}, overflows thrown`);
      }
      await expectBadInputsSame(func, randomInputs(func, [[0, 255]], batch, 3), `${width} bits`);
    }
  }, 300_000);

  // A rescale of a fast matmul's result (its range scanned while the i32 sums are widened) runs in
  // integers when the block's inputs are within 2^51 (plan.ts RescaleShifts): per-element shifts
  // 0–9 and offsets, windows of 3 bits wrapping often; the matmul's inputs within its bound (u8
  // and i16 forms) and past it (the clear order), up to 2^44 (sums past 2^51: the f64 rescale).
  // In simulate mode (ties drawn) the rescale keeps its f64 form.
  it("rescales of fast matmul results in integers, within and past 2^51, wrapping", async () => {
    const vnni = status.ok && status.toolchain.vnni;
    const [k, n] = [32, 10];
    const w = Array.from({ length: k }, (_, t) => Array.from({ length: n }, (_, j) => ((t * 5 + j * 3) % 13 - 6) * 19 + 1));
    const shifts = Array.from({ length: n }, (_, j) => j);
    const offsets = Array.from({ length: n }, (_, j) => (j * 7919) % 3001 - 1500);
    const func = parse(`func.func @main(%x: tensor<${k}x!fhe.esint<60>>) -> tensor<${n}x!fhe.eint<3>> {
  %w = arith.constant {value = dense<[${w.map((r) => `[${r.join(", ")}]`).join(", ")}]> : tensor<${k}x${n}xi9>} : () -> tensor<${k}x${n}xi9>
  %y = fhe.matmul_eint_int %x, %w : (tensor<${k}x!fhe.esint<60>>, tensor<${k}x${n}xi9>) -> tensor<${n}x!fhe.esint<60>>
  %r = fhe.rescale %y {offset = dense<[${offsets.join(", ")}]> : tensor<${n}xi64>, shift = dense<[${shifts.join(", ")}]> : tensor<${n}xi64>} : (tensor<${n}x!fhe.esint<60>>) -> tensor<${n}x!fhe.eint<3>>
  return %r : tensor<${n}x!fhe.eint<3>>
}`).funcs[0]!;
    const plan = planKernel(func, { randomTies: false, readNoise: false, tableErrors: false }, { vnni, avx512: vnni });
    expect(plan.stages.flatMap((s) => s.steps).filter((s) => s.kind === "rescale" && s.shifts !== undefined).length).toBe(1);
    const batch = 2 * CHUNK + 9;
    for (const magnitude of [255, 2 ** 12, 2 ** 20, 2 ** 44]) {
      await tick();
      const inputs = randomInputs(func, [[magnitude === 255 ? 0 : -magnitude, magnitude]], batch, magnitude % 83);
      await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, `inputs up to ${magnitude}`);
      await expectSame(func, inputs, { approximateTies: "random", seed: 3, checkOverflow: false }, `inputs up to ${magnitude}, random ties`);
    }
  }, 300_000);

  // Tables of 16, 32 and 64 entries are read without draws by in-register permutes (AVX-512):
  // graphs of 4-, 5- and 6-bit values, inputs over their whole type's range, then sums and products
  // that carry them out of the tables' domain, so that reads wrap (mod m) and negate (odd periods).
  // Per width, 3 graphs of 24 steps rather than 7 of 8 (seeds 1–7): each op kind and permuted
  // read at least as often as those held (72 ops against 56 per width), in fewer compilations.
  const permuteGraphs: Record<number, number[]> = { 4: [1, 3, 22], 5: [1, 2, 3], 6: [1, 3, 15] };
  it("table reads by permutes (tables of 16, 32 and 64 entries, when the host has AVX-512), inside and outside the domain", async () => {
    const avx512 = status.ok && status.toolchain.avx512;
    let permutes = 0;
    for (const width of [4, 5, 6]) {
      for (const seed of permuteGraphs[width]!) {
        await tick();
        const { func } = genGraph(seed, { width, steps: 24, ops: ["tlu", "mapped", "addc", "subc", "rsubc", "mulc", "neg"] });
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

  // An unsigned read of a rescale's result (integers in [0, 2m)) takes its index and sign from the
  // integer's bits: 14-bit inputs over their whole range, rescaled by 2^2 into 4- to 7-bit
  // windows (permutes for 16, 32 and 64 entries, else the general read), wrap often, so that reads land
  // in both halves of [0, 2m); one table and mapped tables (per element). The four windows are
  // four rescales of one input in one function: two compilations rather than eight.
  it("table reads of a rescale's results (wrapped windows), one table and mapped tables", async () => {
    const avx512 = status.ok && status.toolchain.avx512;
    const windows = [4, 5, 6, 7];
    const map = Array.from({ length: 12 }, (_, e) => e % 2);
    const reads = windows.map((q, i) => {
      const m = 2 ** q;
      const table = Array.from({ length: m }, (_, t) => 3 * t - m);
      const tables = [table, table.map((t) => 7 - t)];
      return `  %w${i} = fhe.rescale %x {offset = dense<[-5]> : tensor<1xi64>, shift = dense<[2]> : tensor<1xi64>} : (tensor<12x!fhe.esint<14>>) -> tensor<12x!fhe.eint<${q}>>
  %t${i} = fhe.apply_lookup_table %w${i} {table = dense<[${table.join(", ")}]> : tensor<${m}xi64>} : (tensor<12x!fhe.eint<${q}>>) -> tensor<12x!fhe.esint<10>>
  %m${i} = fhe.apply_mapped_lookup_table %w${i} {tables = dense<[[${tables[0]!.join(", ")}], [${tables[1]!.join(", ")}]]> : tensor<2x${m}xi64>, map = dense<[${map.join(", ")}]> : tensor<12xi64>} : (tensor<12x!fhe.eint<${q}>>) -> tensor<12x!fhe.esint<10>>`;
    });
    const results = windows.flatMap((_, i) => [`%t${i}`, `%m${i}`]);
    const types = results.map(() => "tensor<12x!fhe.esint<10>>").join(", ");
    const func = parse(`func.func @main(%x: tensor<12x!fhe.esint<14>>) -> (${types}) {
${reads.join("\n")}
  return ${results.join(", ")} : ${types}
}`).funcs[0]!;
    const plan = planKernel(func, { randomTies: false, readNoise: false, tableErrors: false }, { vnni: false, avx512 });
    const wrapped = plan.stages.flatMap((s) => s.steps).filter((s) => s.kind === "lookup" && s.wrapped).length;
    await tick();
    const inputs = randomInputs(func, [[-(2 ** 13), 2 ** 13 - 1]], 2 * CHUNK + 9, 4);
    await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, "4- to 7-bit windows");
    await expectSame(func, inputs, { approximateTies: "random", seed: 2, checkOverflow: false }, "4- to 7-bit windows, random ties");
    expect(wrapped).toBe(8);
  }, 300_000);

  // The kernel runs the batch in blocks of CHUNK samples, the last one partly filled (with draws:
  // every stage on a block before the next block): statistics and the first overflow must carry
  // across blocks, the lanes past the batch's end must count nowhere and draw as the last sample
  // (their values must raise no maximum), each block's reads must draw as their samples do in the
  // clear backend, and an input out of range in the last block must give the clear backend's error.
  // Three compilations per graph: 5 graphs of 18 steps rather than 12 of 3–8 (seeds 1–12). They
  // hold every op kind at least as often as seeds 1–12 did (93 ops against 67).
  const batchGraphs = [1, 3, 5, 9, 35];
  it(`batches of ${2 * CHUNK + 76} samples (${Math.ceil((2 * CHUNK + 76) / CHUNK)} blocks, the last partly filled): outputs, statistics, first overflow, input errors; disable and simulate`, async () => {
    const batch = 2 * CHUNK + 76;
    for (const seed of batchGraphs) {
      await tick();
      const { func, argRanges } = genGraph(seed, { steps: 18 });
      const inputs = randomInputs(func, argRanges, batch, seed * 5);
      await expectSame(func, inputs, { approximateTies: "up" }, `graph ${seed} × ${batch}, overflows thrown`);
      await expectSame(func, inputs, { approximateTies: "up", checkOverflow: false }, `graph ${seed} × ${batch}, overflows recorded`);
      await expectSame(func, inputs, { approximateTies: "random", seed: 3, pError: 0.1, checkOverflow: false }, `graph ${seed} × ${batch}, simulate, p_error and ties`);
      // One sample: a block of lanes past the batch's end, whose draws, if they were their own, would raise maxima.
      await expectSame(func, randomInputs(func, argRanges, 1, seed * 11), { approximateTies: "random", seed: 3, pError: 0.5, checkOverflow: false }, `graph ${seed} × 1, simulate, p_error and ties`);
      // The same graph with read noise (a new instance: compiled code is cached per function and mode).
      const noisy = genGraph(seed, { steps: 18 }).func;
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
