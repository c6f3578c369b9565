// Loading a circuit artifact and its inputs for the run commands.
import type { FheCircuit } from "../circuit.js";
import type { OutputLayout } from "../codec.js";
import type { NDArray } from "../../ir/tensor.js";
import { type NpyDtype, writeNpy, writeNpz } from "../data/npy.js";
import { bindInputs } from "./inputs.js";
import { writeFileAtomic } from "./io.js";

export function circuitInputs(circuit: FheCircuit, specs: readonly string[]): NDArray[] {
  const names = circuit.inputs.map((q) => q.name);
  const bound = bindInputs(specs, names);
  return names.map((n) => bound.get(n)!);
}

/** `.npz`: every output under the model's output names and types; otherwise the first output as `.npy`. */
export function writeOutputs(path: string, outputs: readonly NDArray[], layout: OutputLayout): void {
  const dtype = (i: number): NpyDtype => layout.dtypes[i] ?? "float32";
  if (path.endsWith(".npz")) {
    writeFileAtomic(path, writeNpz(new Map(outputs.map((a, i) => [layout.names[i] ?? `out${i}`, { array: a, dtype: dtype(i) }]))));
  } else {
    writeFileAtomic(path, writeNpy(outputs[0]!, dtype(0)));
  }
}
