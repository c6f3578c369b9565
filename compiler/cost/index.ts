// What a parameter set costs: key and ciphertext sizes, estimated latency, memory warnings.
// Everything takes one parameter set and counts, so it can be called per partition.
import { availableParallelism } from "node:os";
import type { NoiseParameters } from "../../crypto-model/index.js";
import { keySizes, type KeySizes } from "./key_sizes.js";
import { estimateLatency, type LatencyEstimate } from "./latency.js";
import { loadTimeModel, type TimeModel } from "./time_model.js";

export { combineKeySizes, keySizes, type KeySizes, sampleSizes, type SampleSizes } from "./key_sizes.js";
export { estimateLatency, type LatencyEstimate, lookupsPerOp } from "./latency.js";
export { costWeights, loadTimeModel, lookupTimeMs, lookupWork, parseTimeModel, TIME_MODEL_ENV, type TimeModel, type TimeModelCoefficients } from "./time_model.js";
export { KEYGEN_OVERHEAD_BYTES, keygenPeakBound, keyMemory, type KeyMemory, keyMemoryWarning, type MachineMemory } from "./memory.js";

export interface CostOptions {
  /** Threads for the parallel estimate (default: os.availableParallelism()). */
  readonly threads?: number;
  /** Time model (default: FHEC_TIME_MODEL, else the built-in one). */
  readonly timeModel?: TimeModel;
}

export interface CostSummary {
  readonly keySizes: KeySizes;
  readonly latency: LatencyEstimate;
}

/** Key sizes and latency of one parameter set running `lookupsPerOp` lookups per sample. */
export function costSummary(p: NoiseParameters, lookupsPerOp: readonly number[], opts: CostOptions = {}): CostSummary {
  return {
    keySizes: keySizes(p),
    latency: estimateLatency(opts.timeModel ?? loadTimeModel(), p, lookupsPerOp, opts.threads ?? availableParallelism()),
  };
}
