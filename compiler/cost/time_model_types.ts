// The fitted coefficients of the time model, in a module of their own: both the model
// (time_model.ts) and its generated built-in values (time_model_coefficients.ts) use them.
export interface TimeModelCoefficients {
  /** Milliseconds per FFT operation of the blind rotation (`pbsWork(…).fft`). */
  readonly msPerFftWork: number;
  /** Milliseconds per key product (multiply-add) of the blind rotation (`pbsWork(…).mac`): it streams the bootstrapping key. */
  readonly msPerMacWork: number;
  /**
   * Milliseconds per key product of a multi-bit blind rotation (`pbsWork(…).multiBitMac`). Absent
   * in calibrations without multi-bit timings: those products are then priced at `msPerMacWork`
   * and the optimizer searches classic sets only.
   */
  readonly msPerMultiBitMacWork?: number;
  /** Milliseconds per unit of `keyswitchCost`. */
  readonly msPerKeyswitchWork: number;
  /** Fixed milliseconds per table lookup (modulus switch, sample extraction, call overhead). */
  readonly msFixed: number;
  /** Where the coefficients were measured (CPU, threads, kernel, date). */
  readonly machine: string;
}
