// Public surface of the clear backend.
export {
  type BatchTensor,
  collectElementRanges,
  collectRanges,
  HANDLERS,
  OverflowError,
  type OverflowRecord,
  simulate,
  type SimulateOptions,
  simulateWithStats,
  type SimulationResult,
  type SimulationStats,
} from "./simulate.js";
export { Rng } from "./rng.js";
