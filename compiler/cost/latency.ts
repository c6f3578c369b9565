// Estimated latency of one sample: every table op runs its keyswitch + PBS in parallel over the
// runtime's threads (backends/tfhe/execute.ts), so an op of e lookups takes ≈ ceil(e / threads)
// lookup times; ops run one after the other. Linear ops are not counted (they are much cheaper).
import type { FuncOp, Operation } from "../../ir/core.js";
import { shapeOf } from "../../ir/types.js";
import type { NoiseParameters } from "../../crypto-model/index.js";
import { lookupTimeMs, type TimeModel } from "./time_model.js";

export interface LatencyEstimate {
  /** Estimated ms per sample on one thread. */
  readonly singleThreadMs: number;
  /** Estimated ms per sample with `threads` threads. */
  readonly allCoresMs: number;
  readonly threads: number;
  /** Estimated ms of one keyswitch + PBS on one thread. */
  readonly msPerLookup: number;
  /** Where the time model comes from ("built-in" or a calibration file) and its machine. */
  readonly model: string;
}

/** `lookupsPerOp`: the number of table lookups of each table op, for one sample. */
export function estimateLatency(model: TimeModel, p: NoiseParameters, lookupsPerOp: readonly number[], threads: number): LatencyEstimate {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const t = lookupTimeMs(model, p);
  let single = 0;
  let parallel = 0;
  for (const e of lookupsPerOp) {
    single += e * t;
    parallel += Math.ceil(e / threads) * t;
  }
  return { singleThreadMs: single, allCoresMs: parallel, threads, msPerLookup: t, model: `${model.source} (${model.machine})` };
}

/**
 * Table lookups of each keyswitch+PBS op of a lowered program, per sample, in program order
 * (`select`: only some ops, e.g. one partition's).
 */
export function lookupsPerOp(func: FuncOp, select: (op: Operation) => boolean = () => true): number[] {
  return func.body.ops
    .filter((op) => (op.name === "tfhe.bootstrap" || op.name === "tfhe.mapped_bootstrap") && select(op))
    .map((op) => (shapeOf(op.result.type) as number[]).reduce((a, b) => a * b, 1));
}
