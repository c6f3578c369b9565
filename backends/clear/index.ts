// Public surface of the clear backend.
export {
  type BatchTensor,
  OverflowError,
  type OverflowRecord,
  type SimulateOptions,
  type SimulationResult,
  type SimulationStats,
} from "../simulation/contract.js";
export { collectElementRanges, collectRanges, foldConstantOp, simulate, simulateWithStats } from "./simulate.js";
