// `fhec opt`: runs passes on textual IR, like mlir-opt.
import { defaultRegistry } from "../../../ir/dialects/index.js";
import { CompileError, renderDiagnostics } from "../../../ir/diagnostics.js";
import { parseModule } from "../../../ir/parser/index.js";
import { printModule } from "../../../ir/printer.js";
import { verifyModule } from "../../../ir/verifier.js";
import { parsePipeline, runPipeline } from "../../../passes/pipeline.js";
import { defaultPassRegistry } from "../../../passes/registry.js";
import { onnxEvaluator } from "../../evaluate.js";
import { type Command, onlyPositional, stringOption } from "../command.js";
import { readTextFile, writeFileAtomic } from "../io.js";

function passList(): string {
  return defaultPassRegistry
    .all()
    .map((p) => {
      const opts = Object.entries(p.options).map(([k, o]) => `\n      ${k}=<${o.type}> (default ${String(o.default)}): ${o.doc}`);
      return `  ${p.name.padEnd(16)} ${p.summary}${opts.join("")}`;
    })
    .join("\n");
}

export const optCommand: Command = {
  name: "opt",
  summary: "Run passes on textual IR (like mlir-opt)",
  get help() {
    return `usage: fhec opt <input.mlir|-> [--passes=a,b{opt=v}] [-o out.mlir] [options]

Parses and verifies the input, runs the passes in order and prints the result.

options:
  --passes=LIST         comma-separated pipeline, e.g. canonicalize{max-iterations=5}
  -o, --output=FILE     write the result to FILE (default: standard output)
  --verify-each         run the verifier after every pass
  --print-after-all     print the IR to stderr after every pass
  --print-after=NAME    print the IR to stderr after pass NAME (comma-separated list allowed)
  --print-generic       print ops in the quoted generic form
  --list-passes         list the available passes and their options

passes:
${passList()}
`;
  },
  options: {
    passes: { type: "string" },
    output: { type: "string", short: "o" },
    "verify-each": { type: "boolean" },
    "print-after-all": { type: "boolean" },
    "print-after": { type: "string" },
    "print-generic": { type: "boolean" },
    "list-passes": { type: "boolean" },
  },
  async run(args, ctx) {
    if (args.values["list-passes"]) {
      ctx.stdout(`${passList()}\n`);
      return 0;
    }
    const input = onlyPositional(args, "input file (use - for standard input)");
    const steps = parsePipeline(stringOption(args, "passes") ?? "", defaultPassRegistry);
    const fileName = input === "-" ? "<stdin>" : input;
    const text = input === "-" ? await readStdin() : readTextFile(input);
    const sources = new Map([[fileName, text]]);

    const parsed = parseModule(text, fileName, defaultRegistry);
    if (!parsed.module) throw new CompileError(parsed.diagnostics, sources);
    const verified = verifyModule(parsed.module, defaultRegistry);
    if (verified.hasErrors()) throw new CompileError(verified.diagnostics, sources);

    const printAfter = args.values["print-after-all"] ? ("all" as const) : new Set((stringOption(args, "print-after") ?? "").split(",").filter(Boolean));
    const generic = Boolean(args.values["print-generic"]);
    const result = runPipeline(parsed.module, steps, {
      registry: defaultRegistry,
      verifyEach: Boolean(args.values["verify-each"]),
      printAfter,
      onDump: (pass, ir) => ctx.stderr(`// ----- IR after ${pass} -----\n${ir}`),
      onnxEvaluator,
    });
    if (result.diagnostics.length > 0) ctx.stderr(`${renderDiagnostics(result.diagnostics, sources)}\n`);

    const out = printModule(parsed.module, { generic });
    const output = stringOption(args, "output");
    if (output) writeFileAtomic(output, out);
    else ctx.stdout(out);
    return 0;
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
