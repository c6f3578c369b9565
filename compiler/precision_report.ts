// What choosing table precisions from data reports (compiler/precision.ts computes it; a
// compiled circuit carries it), in a module of its own so the circuit need not import the search.
export interface TablePrecision {
  readonly op: string;
  readonly location: string;
  readonly bits: number;
  readonly previousBits: number;
  readonly elements: number;
}

export interface PrecisionReport {
  readonly tables: readonly TablePrecision[];
  /**
   * Loss against the float model on the calibration set, by the metric of `tolerance`: of the
   * chosen circuit and of the widest windows (both under FHE noise, the tolerance counts from the
   * latter), and of the exact unwindowed circuit.
   */
  readonly loss: number;
  readonly referenceLoss: number;
  readonly baselineLoss: number;
  readonly metric: "expected accuracy loss" | "mean |error| / range";
}
