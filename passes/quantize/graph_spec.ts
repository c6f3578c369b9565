// What the quantizer produces besides the circuit: the configuration it follows, the client's
// input quantizers and output de-quantizers, and the quantized graph as a whole.
import type { FuncOp } from "../../ir/core.js";
import type { RoundingConfig } from "./tables.js";

export interface NBits {
  readonly inputs: number;
  readonly weights: number;
  readonly activations: number;
  readonly outputs: number;
}

export interface QuantizeConfig {
  readonly nBits: NBits;
  /** One input quantizer per feature for tabular ([N, F]) inputs. */
  readonly perFeatureInputs: boolean;
  readonly symmetricWeights: boolean;
  readonly perChannelWeights: boolean;
  /** Round weights with their op's calibration Gram matrix where it has one. */
  readonly compensateWeights: boolean;
  /** MaxPool trees compute 2·max(a, b) = a + b + |b − a| (halved read errors, codes doubled per level). */
  readonly doubledPoolMaxima: boolean;
  readonly rounding: RoundingConfig;
}

/** The client's quantizer for one input: per tensor (one scale) or per element of a sample. */
export interface InputQuantizer {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly qmin: number;
  readonly qmax: number;
}

export interface InputSpec {
  readonly name: string;
  /** The ONNX input's shape (`null` for the dynamic batch dimension). */
  readonly shape: readonly (number | null)[];
  readonly quantizer: InputQuantizer;
}

export interface OutputSpec {
  /** Per-sample shape of the encrypted output (batch dimension 1). */
  readonly shape: readonly number[];
  /** Real value = scale · (q − zeroPoint); one value or one per element. */
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
}

export interface QuantizedGraph {
  readonly circuit: FuncOp;
  readonly postprocess: FuncOp;
  readonly inputs: InputSpec[];
  readonly outputs: OutputSpec[];
}

