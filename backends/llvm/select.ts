// Which backend runs a clear (`disable`/`simulate`) batch: `clear`, `llvm`, or `auto`, which uses
// LLVM when it is available and the batch is large enough to repay compiling the circuit.
import type { FuncOp } from "../../ir/core.js";
import { shapeOf } from "../../ir/types.js";
import { isCompiled } from "./compiled.js";
import { llvmStatus } from "./load.js";
import type { LlvmRunOptions } from "./run.js";

export type BackendChoice = "clear" | "llvm" | "auto";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["clear", "llvm", "auto"];

// Cost model of `auto`. The clear backend spends about CLEAR_NS_PER_UNIT per unit of work (one
// multiply-add, or one element produced) in `disable` (fitted to `npm run bench -- simulate` on
// the mlp and CNN fixtures at a load average of 13.7: 39–58). Compiling costs COMPILE_MS_FIXED
// plus COMPILE_MS_PER_OP per op: least squares of the relative error over eight fixtures in both
// draw modes (mlp, CNNs, logreg_demo, qdq_mlp, sk_gbt, gemm_tree, regressor: 0.9–12.5 s at a load
// average of 12–14 on the 2-vCPU Xeon; the fit is within a factor 1.5 on 15 of the 16, and the
// load slows both sides alike). The LLVM run itself (0.3–1.5 ns per unit) is left out.
const CLEAR_NS_PER_UNIT = 48;
const COMPILE_MS_FIXED = 450;
const COMPILE_MS_PER_OP = 135;

const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Units of work of one sample: multiply-adds of the linear ops, elements produced by the others. */
export function workPerSample(func: FuncOp): number {
  let work = 0;
  for (const op of func.body.ops) {
    if (op.name === "func.return" || op.name === "arith.constant") continue;
    const out = elements(shapeOf(op.result.type) as number[]);
    if (op.name === "fhe.matmul_eint_int" || op.name === "fhe.matmul_int_eint" || op.name === "fhe.dot_eint_int") {
      const a = shapeOf(op.operands[0]!.type) as number[];
      work += out * (a.length === 0 ? 1 : a[a.length - 1]!);
    } else if (op.name === "fhe.conv2d") {
      const w = shapeOf(op.operands[1]!.type) as number[];
      work += out * elements(w.slice(1));
    } else if (op.name === "fhe.sum") {
      work += elements(shapeOf(op.operands[0]!.type) as number[]);
    } else work += out;
  }
  return work;
}

/** The estimated break-even: LLVM pays when the clear run would take longer than compiling. */
export function llvmPays(func: FuncOp, batch: number): boolean {
  const clearMs = (batch * workPerSample(func) * CLEAR_NS_PER_UNIT) / 1e6;
  const compileMs = COMPILE_MS_FIXED + COMPILE_MS_PER_OP * func.body.ops.length;
  return clearMs > compileMs;
}

/** Resolves a choice for one run. `llvm` is returned even when unavailable: running it then says how to enable it. */
export function resolveBackend(choice: BackendChoice, func: FuncOp, batch: number, opts: LlvmRunOptions): "clear" | "llvm" {
  if (choice !== "auto") return choice;
  // Probing LLVM starts two child processes (about 1 s): only when it would be used.
  if (!isCompiled(func, opts) && !llvmPays(func, batch)) return "clear";
  return llvmStatus().ok ? "llvm" : "clear";
}
