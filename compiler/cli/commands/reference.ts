// `fhec reference`: runs an ONNX model in float with fhec's reference interpreter (on the imported
// IR), or with onnxruntime-node (--ort), or both and compares them (--check).
import { runReference } from "../../../backends/reference/interpreter.js";
import { fail } from "../../../ir/diagnostics.js";
import type { NDArray } from "../../../ir/tensor.js";
import { elementOf } from "../../../ir/types.js";
import { type NpyDtype, npyDtypeOf, writeNpy, writeNpz } from "../../data/npy.js";
import { importOnnx } from "../../onnx/index.js";
import { runOnnxRuntime } from "../../onnx/ort.js";
import { decodeModel } from "../../onnx/proto.js";
import { type Command, onlyPositional, stringOption, UsageError } from "../command.js";
import { bindInputs } from "../inputs.js";
import { readInputFile, writeFileAtomic } from "../io.js";
import { checkOutputPaths } from "../output_paths.js";

interface Outputs {
  readonly names: string[];
  readonly arrays: NDArray[];
  readonly dtypes: NpyDtype[];
}

function diffStats(a: NDArray, b: NDArray): { maxAbs: number; maxRel: number; worst: number } {
  let maxAbs = 0;
  let maxRel = 0;
  let worst = 0;
  for (let i = 0; i < b.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    const scale = Math.abs(b.data[i]!);
    maxAbs = Math.max(maxAbs, d);
    if (scale > 0) maxRel = Math.max(maxRel, d / scale);
    worst = Math.max(worst, d / Math.max(1, scale));
  }
  return { maxAbs, maxRel, worst };
}

function summary(name: string, a: NDArray, dtype: NpyDtype): string {
  const head = Array.from(a.data.subarray(0, 8), (v) => Number(v.toPrecision(6))).join(", ");
  return `${name}: ${dtype}[${a.shape.join(", ")}] = [${head}${a.data.length > 8 ? ", …" : ""}]`;
}

export const referenceCommand: Command = {
  name: "reference",
  summary: "Run an ONNX model in float (fhec's reference interpreter or onnxruntime)",
  help: `usage: fhec reference <model.onnx> --input x.npy [-o y.npy] [--ort | --check]

Runs the whole batch through the imported model with fhec's float reference interpreter.

options:
  -i, --input=FILE      input data: FILE.npy (single-input models), NAME=FILE.npy, or FILE.npz
                        whose arrays are named after the model inputs (repeatable)
  -o, --output=FILE     write the result: .npy (first or --output-name output) or .npz (all outputs)
  --output-name=NAME    which output to write to a .npy file
  --ort                 run the model with onnxruntime-node instead
  --check               run both and report the max abs / relative difference (exit 1 above --tolerance)
  --tolerance=T         tolerance of --check, on |diff| / max(1, |ort|) (default 1e-4)
`,
  options: {
    input: { type: "string", short: "i", multiple: true },
    output: { type: "string", short: "o" },
    "output-name": { type: "string" },
    ort: { type: "boolean" },
    check: { type: "boolean" },
    tolerance: { type: "string" },
  },
  async run(args, ctx) {
    const modelPath = onlyPositional(args, "ONNX model file");
    const inputSpecs = (args.values["input"] as string[] | undefined) ?? [];
    if (inputSpecs.length === 0) throw new UsageError("missing --input");
    const useOrt = Boolean(args.values["ort"]);
    const check = Boolean(args.values["check"]);
    if (useOrt && check) throw new UsageError("--ort and --check are exclusive (--check runs both)");
    const tolText = stringOption(args, "tolerance");
    const tolerance = tolText === undefined ? 1e-4 : Number(tolText);
    if (!(tolerance >= 0)) throw new UsageError(`--tolerance must be a non-negative number, got '${tolText}'`);

    const outPath = stringOption(args, "output");
    if (outPath) checkOutputPaths([outPath], [modelPath, ...inputSpecs]);
    const bytes = readInputFile(modelPath, "ONNX model");
    const module = importOnnx(bytes, { file: modelPath });
    const func = module.funcs[0]!;
    const proto = decodeModel(bytes, modelPath);
    const inits = new Set((proto.graph?.initializer ?? []).map((t) => t.name));
    const inputNames = (proto.graph?.input ?? []).map((v) => v.name ?? "").filter((n) => !inits.has(n));
    const outputNames = (proto.graph?.output ?? []).map((v) => v.name ?? "");
    const inputs = bindInputs(inputSpecs, inputNames);
    const dtypes = func.resultTypes.map((t) => npyDtypeOf(elementOf(t)));

    const runRef = (): Outputs => ({ names: outputNames, arrays: runReference(func, inputNames.map((n) => inputs.get(n)!)), dtypes });
    const runOrt = async (): Promise<Outputs> => ({ names: outputNames, arrays: await runOnnxRuntime(bytes, inputs, modelPath), dtypes });

    let result: Outputs;
    if (check) {
      const ref = runRef();
      const ort = await runOrt();
      let ok = true;
      ref.arrays.forEach((a, i) => {
        const b = ort.arrays[i]!;
        if (a.shape.join(",") !== b.shape.join(",")) {
          ok = false;
          ctx.stdout(`${outputNames[i]}: shape [${a.shape.join(", ")}] (fhec) vs [${b.shape.join(", ")}] (onnxruntime)\n`);
          return;
        }
        const s = diffStats(a, b);
        const pass = s.worst <= tolerance;
        ok &&= pass;
        ctx.stdout(`${outputNames[i]}: max abs diff ${s.maxAbs.toExponential(3)}, max rel diff ${s.maxRel.toExponential(3)} (${a.data.length} values) ${pass ? "ok" : `exceeds tolerance ${tolerance}`}\n`);
      });
      if (!ok) {
        ctx.stderr(`fhec reference: error: the reference interpreter and onnxruntime disagree beyond ${tolerance}\n`);
        return 1;
      }
      result = ref;
    } else result = useOrt ? await runOrt() : runRef();

    const out = stringOption(args, "output");
    if (out === undefined) {
      if (!check) result.arrays.forEach((a, i) => ctx.stdout(`${summary(result.names[i]!, a, result.dtypes[i]!)}\n`));
      return 0;
    }
    if (out.endsWith(".npz")) {
      writeFileAtomic(out, writeNpz(new Map(result.names.map((n, i) => [n, { array: result.arrays[i]!, dtype: result.dtypes[i]! }]))));
      return 0;
    }
    const wanted = stringOption(args, "output-name");
    const index = wanted === undefined ? 0 : result.names.indexOf(wanted);
    if (index < 0) throw new UsageError(`the model has no output '${wanted}' (outputs: ${result.names.join(", ")})`);
    if (wanted === undefined && result.names.length > 1) {
      ctx.stderr(`note: the model has ${result.names.length} outputs; writing '${result.names[0]}' (use --output-name or an .npz file)\n`);
    }
    const array = result.arrays[index]!;
    if (!array) fail("E0701", "no output produced");
    writeFileAtomic(out, writeNpy(array, result.dtypes[index]!));
    return 0;
  },
};
