// What a simulated run of an `fhe` function takes and gives, whichever backend runs it: the clear
// interpreter (backends/clear) or its native twin (backends/llvm), which must agree bit for bit.
import type { Operation, Value } from "../../ir/core.js";
import { formatLocation, type Location } from "../../ir/diagnostics.js";
import { elementOf, type EncryptedIntType, intRange, type Type, typeToString } from "../../ir/types.js";

/** A batch of tensors: `batch` samples of per-sample `shape`, stored sample after sample. */
export interface BatchTensor {
  readonly batch: number;
  readonly shape: readonly number[];
  readonly data: Float64Array | Int32Array;
}

export interface SimulateOptions {
  /** Throw on the first value outside its encrypted type (default true); otherwise record it. */
  readonly checkOverflow?: boolean;
  /** Probability, per table read, of reading a neighbouring entry (idx ± 1, wrapping) instead. */
  readonly pError?: number;
  /**
   * Approximate rounding at an exact tie: "random" (as FHE may do; default) or "up" (the exact
   * semantics, for the clear quantized model).
   */
  readonly approximateTies?: "random" | "up";
  /**
   * Where a read carries `fhec.read_std` (the noise std its parameter set gives there, written after
   * parameter selection): "parameters" (default) draws the read from that noise — approximate
   * rounding goes up with probability Φ((f − 1/2)/σ), exact reads land in a neighbouring entry when
   * the noise passes half a step — instead of the `pError` bound and exact-tie coin flips; "bound"
   * ignores it. `disable` (pError 0, ties "up") never draws.
   */
  readonly noise?: "parameters" | "bound";
  /**
   * Seed of every draw (default 0): p_error redirections, approximate-rounding ties, read noise.
   * It keys each read's own draws (rng.ts), so a sample's results depend on the seed, its index in
   * the batch and its inputs, not on the other samples.
   */
  readonly seed?: number;
  /**
   * Arrays to write the results into instead of new ones: one per result, batch × its per-sample
   * size long, sharing no memory with the inputs or with each other (simulation/outputs.ts). The
   * returned tensors' data are these arrays, so the next run given them overwrites the results:
   * for a loop over batches that consumes each batch's results before the next.
   */
  readonly outputs?: readonly Float64Array[];
  /** Called with the min/max over the whole batch of every argument and op result. */
  readonly observe?: (value: Value, min: number, max: number) => void;
  /** Called with the per-element min/max over the batch of every encrypted op result. */
  readonly observeElements?: (value: Value, mins: Float64Array, maxs: Float64Array) => void;
}

export interface OverflowRecord {
  readonly opName: string;
  readonly loc: Location;
  /** The first offending value seen, its sample and flat element index. */
  readonly value: number;
  readonly sample: number;
  readonly element: number;
  /** How many elements (over the batch) overflowed at this op. */
  readonly count: number;
}

export interface SimulationStats {
  /** Table reads performed (elements × samples over all table lookups). */
  tluReads: number;
  /** Reads redirected to a neighbouring entry by p_error injection. */
  tluErrors: number;
  /** Largest |value| seen per op producing an encrypted result. */
  readonly maxAbs: Map<Operation, number>;
  /** Overflows seen (only when checkOverflow is false; otherwise the first one throws). */
  readonly overflows: OverflowRecord[];
  /** Elements (over the batch) outside their `fhe.rescale` window, per op: read modulo 2^(q+1). */
  readonly outOfWindow: Map<Operation, number>;
}

export function emptyStats(): SimulationStats {
  return { tluReads: 0, tluErrors: 0, maxAbs: new Map(), overflows: [], outOfWindow: new Map() };
}

export interface SimulationResult {
  readonly outputs: BatchTensor[];
  readonly stats: SimulationStats;
}

/** The integers an encrypted type holds. */
export function rangeOf(t: Type): { min: number; max: number } {
  const e = elementOf(t) as EncryptedIntType;
  return intRange(e.width, e.signed);
}

/** An overflow found while simulating: names the op, its location and the offending value. */
export class OverflowError extends Error {
  constructor(readonly record: OverflowRecord, type: Type) {
    const { min, max } = rangeOf(type);
    super(
      `overflow in '${record.opName}' at ${formatLocation(record.loc)}: value ${record.value} does not fit ${typeToString(elementOf(type))} ` +
        `[${min}, ${max}] (sample ${record.sample}, element ${record.element})`,
    );
    this.name = "OverflowError";
  }
}
