// The fitted coefficients of the time model, in a module of their own: both the model
// (time_model.ts) and its generated built-in values (time_model_coefficients.ts) use them.
export interface TimeModelCoefficients {
  /** Milliseconds per unit of `pbsCost` (blind rotation: FFTs and products). */
  readonly msPerPbsWork: number;
  /** Milliseconds per unit of `keyswitchCost`. */
  readonly msPerKeyswitchWork: number;
  /** Fixed milliseconds per table lookup (modulus switch, sample extraction, call overhead). */
  readonly msFixed: number;
  /** Where the coefficients were measured (CPU, threads, kernel, date). */
  readonly machine: string;
}
