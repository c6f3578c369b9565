// Loading a circuit artifact and its inputs for the run commands.
import type { FheCircuit } from "../circuit.js";
import type { NDArray } from "../../ir/tensor.js";
import { type NpyDtype, npyDtypeOf, writeNpy, writeNpz } from "../data/npy.js";
import type { OutputSignature } from "../codec.js";
import { bindInputs } from "./inputs.js";
import { writeFileAtomic } from "./io.js";

export function circuitInputs(circuit: FheCircuit, specs: readonly string[]): NDArray[] {
  const names = circuit.inputs.map((q) => q.name);
  const bound = bindInputs(specs, names);
  return names.map((n) => bound.get(n)!);
}

/**
 * `.npz`: every output under its ONNX name and dtype (labels stay int64); otherwise the first
 * output as `.npy`. Without a signature: out0, out1, … in float32.
 */
export function writeOutputs(path: string, outputs: readonly NDArray[], signature?: readonly OutputSignature[]): void {
  const nameOf = (i: number) => signature?.[i]?.name ?? `out${i}`;
  const dtypeOf = (i: number): NpyDtype => (signature?.[i] ? npyDtypeOf(signature[i]!.element) : "float32");
  if (path.endsWith(".npz")) {
    writeFileAtomic(path, writeNpz(new Map(outputs.map((a, i) => [nameOf(i), { array: a, dtype: dtypeOf(i) }]))));
  } else {
    writeFileAtomic(path, writeNpy(outputs[0]!, dtypeOf(0)));
  }
}
