// Reading user data arrays from the command line: `--input FILE.npy`, `--input NAME=FILE.npy`,
// or `--input FILE.npz` whose arrays are named after the model inputs.
import { basename } from "node:path";
import type { NDArray } from "../../ir/tensor.js";
import { readArrays } from "../data/npy.js";
import { UsageError } from "./command.js";
import { readInputFile } from "./io.js";

export /** Maps `--input` values (`file`, or `name=file`; .npy or .npz) onto the graph inputs. */
function bindInputs(specs: readonly string[], names: readonly string[]): Map<string, NDArray> {
  const out = new Map<string, NDArray>();
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    const named = eq > 0 && !spec.slice(0, eq).includes("/") ? spec.slice(0, eq) : undefined;
    const path = named !== undefined ? spec.slice(eq + 1) : spec;
    const arrays = readArrays(readInputFile(path, "input data"), path);
    if (arrays.has("")) {
      const target = named ?? (names.length === 1 ? names[0]! : undefined);
      if (target === undefined) throw new UsageError(`the model has ${names.length} inputs (${names.join(", ")}); name them: --input NAME=${basename(path)}`);
      if (!names.includes(target)) throw new UsageError(`the model has no input '${target}' (inputs: ${names.join(", ")})`);
      out.set(target, arrays.get("")!);
      continue;
    }
    if (arrays.size === 1 && names.length === 1 && !arrays.has(names[0]!)) {
      out.set(names[0]!, [...arrays.values()][0]!);
      continue;
    }
    for (const [key, a] of arrays) {
      if (names.includes(key)) out.set(key, a);
    }
  }
  const missing = names.filter((n) => !out.has(n));
  if (missing.length > 0) throw new UsageError(`no data for model input(s) ${missing.map((m) => `'${m}'`).join(", ")}; pass --input FILE.npy or --input NAME=FILE.npy`);
  return out;
}
