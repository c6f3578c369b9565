// What the per-concern lowerings (linear, movement, univariate, bivariate) need from the quantizer
// driver. They depend on this interface rather than on the driver class, so imports flow one way:
// the driver imports the lowerings, never the reverse.
import type { Builder } from "../../ir/builder.js";
import type { Operation, Value } from "../../ir/core.js";
import type { Location } from "../../ir/diagnostics.js";
import type { NDArray } from "../../ir/tensor.js";
import type { OnnxEvaluator } from "../pass.js";
import type { ChainStep, DeferredRepr, EncRepr, Repr } from "./repr.js";
import type { QuantizeConfig } from "./graph_spec.js";

export interface LoweringContext {
  /** Appends to the integer `fhe` function the server runs. */
  readonly builder: Builder;
  readonly cfg: QuantizeConfig;
  /** Evaluates one `onnx` op on concrete arrays (constant folding, tables, index maps). */
  readonly evaluate: OnnxEvaluator;
  /** The calibrated (or static) real range of a value. */
  range(v: Value, loc: Location): { lo: number; hi: number; integer: boolean };
  /** The representation a value was lowered to; an error if it was not lowered yet. */
  reprOf(v: Value, loc: Location): Repr;
  /** Records the representation of an op's (first) result. */
  set(op: Operation, r: Repr): void;
  enc(value: Value, shape: readonly number[], scale: Float64Array, zeroPoint: Float64Array, lo: number, hi: number, fresh: boolean): EncRepr;
  intConstant(values: Float64Array, shape: readonly number[], name?: string): Value;
  runSteps(steps: readonly ChainStep[], x: NDArray): NDArray;
  materializeInteger(d: DeferredRepr, loc: Location): EncRepr;
  linearInput(v: Value, loc: Location, mode: "perK" | "uniform"): EncRepr;
}
