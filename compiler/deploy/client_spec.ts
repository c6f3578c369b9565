// The client spec's fields (`circuit.client`): artifacts.ts writes and reads it,
// client_spec_schema.ts checks a parsed one; both import the shape from here.
import type { ConversionParameters, CryptoParameters } from "../../passes/params/index.js";
import type { InputQuantizer, OutputDequantizer } from "../codec.js";

/** How one encrypted argument or result is encoded. */
export interface EncryptedSignature {
  /** Per-sample shape in the circuit (batch dimension 1). */
  readonly shape: readonly number[];
  readonly width: number;
  readonly signed: boolean;
  /** Partitioned circuits: the partition whose big key encrypts (or decrypts) the value. */
  readonly partition?: number;
}

export interface ClientSpec {
  /** sha256 of the circuit's program: binds keys and ciphertexts to one circuit. */
  readonly circuitId: string;
  /** The set of partition 0 (the only one for a one-set circuit). */
  readonly parameters: CryptoParameters;
  /** Partitioned circuits: every partition's set and the conversion keys the client generates. */
  readonly partitions?: readonly CryptoParameters[];
  readonly conversions?: readonly ConversionParameters[];
  /** The partition that only receives the results (the last), when the circuit has an output key. */
  readonly outputKey?: number;
  readonly inputs: readonly (InputQuantizer & { readonly encrypted: EncryptedSignature })[];
  readonly outputs: readonly (OutputDequantizer & { readonly encrypted: EncryptedSignature })[];
  /** The client's float post-processing, as `onnx`-dialect IR text. */
  readonly postprocess: string;
}
