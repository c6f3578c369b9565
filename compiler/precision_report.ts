// What choosing table precisions from data reports (compiler/precision.ts computes it; a
// compiled circuit carries it), in a module of its own so the circuit need not import the search.
export interface TablePrecision {
  readonly op: string;
  readonly location: string;
  readonly bits: number;
  readonly previousBits: number;
  /** The narrowest width the search could give it: below this, calibration loss does not vouch for a table (compiler/precision.ts, descentFloor). */
  readonly floor: number;
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
  /** The loss the search accepted at most: the worse of baselineLoss and referenceLoss, plus the tolerance. */
  readonly budget: number;
  /**
   * The check of the search's choice on seeds the search never used: how many accepted steps it
   * undid because their loss there was over the budget, and the loss of the widths kept (undefined
   * when it stepped back to the widest windows, which are not checked).
   */
  readonly check?: { readonly loss: number | undefined; readonly stepsBack: number };
  /**
   * `loss` measured again once the parameters are chosen (compile sets it): every read drawn with
   * the noise its partition gives (at most what the search assumed, the parameters' bound). Mean
   * over a few seeds, with its seed-to-seed standard error.
   */
  readonly withParameters?: { readonly loss: number; readonly standardError: number };
  /**
   * Set when the widest tables' evaluation keys did not fit the key budget and compile searched
   * again with every table at most `bits` wide: the first search's loss and budget, for the report.
   */
  readonly keyBudgetCap?: { readonly bits: number; readonly uncappedLoss: number; readonly uncappedBudget: number };
  /**
   * How many tables compile set wider than the search chose, to the precision of the partition
   * whose keys read them (compiler/partition_widths.ts): the same PBS, finer window cells.
   */
  readonly widenedToPartitions?: number;
  readonly metric: "expected accuracy loss" | "mean |error| / range";
}
