// The state of one simulated run, opened the same way by every backend that simulates: the batch
// size its inputs give, its draw streams, and the statistics it gathers.
import type { FuncOp } from "../../ir/core.js";
import { type BatchTensor, emptyStats, type SimulateOptions, type SimulationStats } from "./contract.js";
import { type DrawStreams, openDraws } from "./draws.js";
import { batchSizeOf } from "./inputs.js";

export interface RunState extends DrawStreams {
  readonly batch: number;
  readonly stats: SimulationStats;
}

/** Checks the input count and p_error, then opens the run's streams. */
export function openRun(func: FuncOp, inputs: readonly BatchTensor[], opts: SimulateOptions): RunState {
  const batch = batchSizeOf(func, inputs);
  return { batch, ...openDraws(opts), stats: emptyStats() };
}
