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
  /** Loss of the chosen circuit and of the unwindowed one, by the metric of `tolerance`. */
  readonly loss: number;
  readonly baselineLoss: number;
  readonly metric: "argmax disagreement" | "mean |error| / range";
}
