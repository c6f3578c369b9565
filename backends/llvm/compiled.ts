// Compiled kernels, cached per circuit function and draw mode: the first run of a circuit in a
// mode pays planning and native compilation, later runs (any batch size) reuse the object.
import type { FuncOp } from "../../ir/core.js";
import type { BatchTensor, SimulationResult } from "../simulation/contract.js";
import { buildKernelModule } from "./kernel_module.js";
import { requireLlvm } from "./load.js";
import { compileNative, type NativeKernel } from "./native_object.js";
import { type KernelPlan, modeKey, planKernel } from "./plan.js";
import { drawModeOf, type LlvmRunOptions, runKernel } from "./run.js";

interface Compiled {
  readonly plan: KernelPlan;
  readonly native: NativeKernel;
  /** Wall time of planning and compiling, ms. */
  readonly compileMs: number;
}

const cache = new WeakMap<FuncOp, Map<string, Compiled>>();

function compiled(func: FuncOp, opts: LlvmRunOptions): Compiled {
  const mode = drawModeOf(opts);
  const key = modeKey(mode);
  let perFunc = cache.get(func);
  if (!perFunc) cache.set(func, (perFunc = new Map()));
  let c = perFunc.get(key);
  if (!c) {
    const tc = requireLlvm();
    const t = performance.now();
    const plan = planKernel(func, mode, tc);
    const native = compileNative(tc, buildKernelModule(tc.llvm, plan));
    c = { plan, native, compileMs: performance.now() - t };
    perFunc.set(key, c);
  }
  return c;
}

/** Whether `func` already has compiled code for the draw mode of `opts` (a run then costs no compilation). */
export function isCompiled(func: FuncOp, opts: LlvmRunOptions): boolean {
  return cache.get(func)?.has(modeKey(drawModeOf(opts))) ?? false;
}

/** Compiles `func` for the draw mode of `opts` now (no-op when cached); returns the compile time in ms. */
export function compileLlvm(func: FuncOp, opts: LlvmRunOptions = {}): number {
  return compiled(func, opts).compileMs;
}

/**
 * The clear backend's simulateWithStats, run as native code: the same outputs bit for bit, the same
 * statistics, the same errors (observers are not supported: use the clear backend for those).
 */
export function simulateLlvm(func: FuncOp, inputs: readonly BatchTensor[], opts: LlvmRunOptions = {}): SimulationResult {
  const c = compiled(func, opts);
  return runKernel(c.plan, c.native, func, inputs, opts);
}
