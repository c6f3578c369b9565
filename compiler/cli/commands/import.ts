// `fhec import`: ONNX model → textual IR of the `onnx` dialect.
import { importOnnx } from "../../onnx/index.js";
import { MAX_OPSET, MIN_OPSET } from "../../onnx/graph.js";
import { renderOnnxOpList } from "../../docs/onnx_ops.js";
import { printModule } from "../../../ir/printer.js";
import { type Command, onlyPositional, stringOption, UsageError } from "../command.js";
import { readInputFile, writeFileAtomic } from "../io.js";
import { checkOutputPaths } from "../output_paths.js";

export const importCommand: Command = {
  name: "import",
  summary: "Import an ONNX model and print it as IR (onnx dialect)",
  help: `usage: fhec import <model.onnx> [-o out.mlir] [options]
       fhec import --list-ops

Reads an ONNX model (opsets ${MIN_OPSET}–${MAX_OPSET}), validates it, folds shape computations and prints
the verified module in the IR's textual form.

options:
  -o, --output=FILE     write the IR to FILE (default: standard output)
  --batch-size=N        replace the dynamic batch dimension by N (default: keep '?')
  --func-name=NAME      name of the generated function (default: main)
  --print-generic       print ops in the quoted generic form
  --list-ops            list the supported ONNX operators
`,
  options: {
    output: { type: "string", short: "o" },
    "batch-size": { type: "string" },
    "func-name": { type: "string" },
    "print-generic": { type: "boolean" },
    "list-ops": { type: "boolean" },
  },
  async run(args, ctx) {
    if (args.values["list-ops"]) {
      ctx.stdout(renderOnnxOpList());
      return 0;
    }
    const input = onlyPositional(args, "ONNX model file");
    const output = stringOption(args, "output");
    if (output) checkOutputPaths([output], [input]);
    const batchText = stringOption(args, "batch-size");
    let batchSize: number | undefined;
    if (batchText !== undefined) {
      batchSize = Number(batchText);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a positive integer, got '${batchText}'`);
    }
    const funcName = stringOption(args, "func-name");
    if (funcName !== undefined && !/^[A-Za-z_][A-Za-z0-9_.$]*$/.test(funcName)) throw new UsageError(`--func-name '${funcName}' is not a valid function name`);
    const bytes = readInputFile(input, "ONNX model");
    const module = importOnnx(bytes, { file: input, ...(batchSize !== undefined ? { batchSize } : {}), ...(funcName ? { funcName } : {}) });
    const text = printModule(module, { generic: Boolean(args.values["print-generic"]) });
    const out = stringOption(args, "output");
    if (out === undefined) ctx.stdout(text);
    else writeFileAtomic(out, text);
    return 0;
  },
};
