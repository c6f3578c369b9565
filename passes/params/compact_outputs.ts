// Compact outputs: a circuit that runs PBS returns its results under the small key of their
// partition, one keyswitch (the partition's own key) after the last operation: n + 1 words per
// value instead of kN + 1, and the decryption reads that keyswitch's noise (no modulus switch).
// A circuit without any PBS keeps big-key results: its big key is the smallest one whose fresh
// noise lets the outputs decrypt, and a small key that survived the keyswitch would need n > kN.
//
// The decision is made here only, once from the fhe ops (for the lowering) and once from the
// noise constraints (for the optimizer and the read-noise reports); norms.ts emits a `table` or
// `round-bit` constraint for exactly the ops `runsPbs` looks for, so the two always agree.
import type { FuncOp } from "../../ir/core.js";
import { elementOf } from "../../ir/types.js";
import { PBS_OPS } from "./classes.js";
import type { NoiseConstraint } from "./norms.js";

/** Whether the function runs a PBS: a table, a sign cast, or an exact rounding that removes bits. */
export function runsPbs(func: FuncOp): boolean {
  return func.body.ops.some((op) => {
    if (PBS_OPS.has(op.name)) return true;
    if (op.name !== "fhe.round" || (op.attr("method") as { value: string } | undefined)?.value !== "exact") return false;
    const width = (v: typeof op.result) => (elementOf(v.type) as { width: number }).width;
    return width(op.operands[0]!) > width(op.result);
  });
}

/** The same decision from the function's noise constraints. */
export function compactsOutputs(constraints: readonly NoiseConstraint[]): boolean {
  return constraints.some((c) => c.kind !== "output");
}
