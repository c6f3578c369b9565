// The state of one simulated run, opened the same way by every backend that simulates: the batch
// size its inputs give, its draw streams, and the statistics it gathers.
import type { FuncOp, Operation } from "../../ir/core.js";
import { type BatchTensor, emptyStats, type SimulateOptions, type SimulationStats } from "./contract.js";
import { type DrawStreams, openDraws } from "./draws.js";
import { batchSizeOf } from "./inputs.js";
import { fail } from "../../ir/diagnostics.js";

export interface RunState extends DrawStreams {
  readonly batch: number;
  readonly stats: SimulationStats;
  /** An op's position in the function's body: with a stream key, it keys the op's draws (rng.ts). */
  readonly opIndex: (op: Operation) => number;
}

/** Checks the input count and p_error, then opens the run's streams. */
export function openRun(func: FuncOp, inputs: readonly BatchTensor[], opts: SimulateOptions): RunState {
  const batch = batchSizeOf(func, inputs);
  // Made on first use: a run without draws asks for none, and a fast native run (the mlp's takes
  // ~50 µs) would spend a microsecond on it.
  let index: Map<Operation, number> | undefined;
  const opIndex = (op: Operation): number => (index ??= new Map(func.body.ops.map((o, i) => [o, i]))).get(op) ?? fail("E0701", `op ${op.name} is not in @${func.name}'s body`);
  return { batch, ...openDraws(opts), stats: emptyStats(), opIndex };
}
