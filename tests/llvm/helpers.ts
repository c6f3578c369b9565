// Shared by the LLVM-against-clear test files: both backends on the same inputs, compared as bytes,
// and the random inputs and read noise that make random fhe graphs exercise every draw path.
import { expect } from "vitest";
import { type BatchTensor, type SimulateOptions, type SimulationResult, simulateWithStats } from "../../backends/clear/index.js";
import { llvmStatus, simulateLlvm } from "../../backends/llvm/index.js";
import { denseAttr, stringAttr } from "../../ir/attributes.js";
import type { FuncOp } from "../../ir/core.js";
import { elementOf, type EncryptedIntType, f64, shapeOf, tensor } from "../../ir/types.js";
import { Gen, prng, randomInputs as genRandomInputs } from "../clear/gen.js";

export const status = llvmStatus();
if (!status.ok) console.warn(`LLVM backend tests skipped: ${status.reason}`);

/** Lets the worker answer vitest's RPC between long synchronous cases (it times out after 60 s otherwise). */
export const tick = () => new Promise((r) => setImmediate(r));

export const bytes = (a: Float64Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function run(f: () => SimulationResult): SimulationResult | { error: string } {
  try {
    return f();
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Both backends on the same inputs and options: the same bytes out, the same statistics, or the same error. */
export async function expectSame(func: FuncOp, inputs: BatchTensor[], opts: SimulateOptions, what: string, llvmOpts: { drawTolerance?: number } = {}): Promise<void> {
  const clear = run(() => simulateWithStats(func, inputs, opts));
  await tick();
  const llvm = run(() => simulateLlvm(func, inputs, { ...opts, ...llvmOpts }));
  if ("error" in clear || "error" in llvm) {
    expect("error" in llvm ? llvm.error : "no error", what).toBe("error" in clear ? clear.error : "no error");
    return;
  }
  expect(llvm.outputs.length, what).toBe(clear.outputs.length);
  clear.outputs.forEach((o, i) => {
    const l = llvm.outputs[i]!;
    expect(l.shape, what).toEqual(o.shape);
    expect(bytes(l.data).equals(bytes(o.data)), `${what}: output ${i} differs`).toBe(true);
  });
  expect(llvm.stats.tluReads, what).toBe(clear.stats.tluReads);
  expect(llvm.stats.tluErrors, what).toBe(clear.stats.tluErrors);
  expect([...llvm.stats.maxAbs.entries()], what).toEqual([...clear.stats.maxAbs.entries()]);
  expect(llvm.stats.overflows, what).toEqual(clear.stats.overflows);
  expect([...llvm.stats.outOfWindow.entries()], what).toEqual([...clear.stats.outOfWindow.entries()]);
}

/** Random inputs within the argument ranges, every sample drawn (no corner samples). */
export const randomInputs = (func: FuncOp, ranges: [number, number][], batch: number, seed: number): BatchTensor[] => genRandomInputs(func, ranges, batch, seed, false);

/**
 * Read noise on some table reads and rounds (as parameter selection writes it: k·n values for an
 * exact rounding of k bits), some rounds made approximate, so that random graphs exercise every
 * draw path.
 */
export function addReadNoise(func: FuncOp, seed: number): void {
  const g = new Gen(prng(seed));
  for (const op of func.body.ops) {
    if (op.name === "fhe.round" && g.bool()) op.attributes.set("method", stringAttr("approximate"));
    const reads = op.name === "fhe.apply_lookup_table" || op.name === "fhe.apply_mapped_lookup_table" || op.name === "fhe.round";
    if (!reads || !g.bool(0.7)) continue;
    const n = (shapeOf(op.result.type) as number[]).reduce((x, y) => x * y, 1);
    const exact = op.name === "fhe.round" && (op.attr("method") as { value: string }).value === "exact";
    // An exact rounding's k bit reads per element, noisy enough that bits are often misread.
    const k = exact ? (elementOf(op.operands[0]!.type) as EncryptedIntType).width - (elementOf(op.result.type) as EncryptedIntType).width : 1;
    const std = exact ? () => (g.bool(0.3) ? 0.001 : 0.05 + 0.2 * g.rand()) : () => 0.002 + 0.05 * g.rand();
    op.attributes.set("fhec.read_std", denseAttr(tensor([k * n], f64), Array.from({ length: k * n }, std)));
    if (g.bool()) {
      op.attributes.set("fhec.read_shared_std", { kind: "float", value: 0.001, type: f64 } as never);
      op.attributes.set("fhec.read_key", stringAttr(g.bool() ? "k0" : "k1"));
    }
    if (g.bool()) op.attributes.set("fhec.read_offset", { kind: "float", value: 0.25 * g.rand(), type: f64 } as never);
  }
}
