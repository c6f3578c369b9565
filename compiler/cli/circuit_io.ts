// Loading a circuit artifact and its inputs for the run commands.
import type { FheCircuit } from "../circuit.js";
import type { NDArray } from "../../ir/tensor.js";
import type { NpyDtype } from "../data/npy.js";
import { writeNpy, writeNpz } from "../data/npy.js";
import { bindInputs } from "./inputs.js";
import { writeFileAtomic } from "./io.js";

export function circuitInputs(circuit: FheCircuit, specs: readonly string[]): NDArray[] {
  const names = circuit.inputs.map((q) => q.name);
  const bound = bindInputs(specs, names);
  return names.map((n) => bound.get(n)!);
}

/** `.npz`: every output (out0, out1, …); otherwise the first output as `.npy`. */
export function writeOutputs(path: string, outputs: readonly NDArray[], dtype: NpyDtype = "float32"): void {
  if (path.endsWith(".npz")) {
    writeFileAtomic(path, writeNpz(new Map(outputs.map((a, i) => [`out${i}`, { array: a, dtype }]))));
  } else {
    writeFileAtomic(path, writeNpy(outputs[0]!, dtype));
  }
}
