#!/usr/bin/env node
// `fhec`: the command-line driver. Each subcommand lives in compiler/cli/commands/.
import { parseArgs } from "node:util";
import { statSync } from "node:fs";
import { CompileError, renderDiagnostics } from "../../ir/diagnostics.js";
import { InvalidDataError } from "../../backends/tfhe/index.js";
import { type CommandContext, UsageError } from "./command.js";
import { commands } from "./commands/index.js";
import { isEntryPoint } from "../entry_point.js";

const VERSION = "0.1.0";

function globalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `fhec ${VERSION} — compile ONNX models into fully homomorphic encryption circuits

usage: fhec <command> [options]
       fhec <model.onnx> [compile options]     (the same as fhec compile <model.onnx> ...)

commands:
${lines.join("\n")}

options:
  -h, --help     this help ('fhec <command> --help' for a command's options)
  -V, --version  print the version

Run 'fhec <command> --help' for a command's options.
`;
}

export async function runCli(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  // `fhec help CMD` is `fhec CMD --help`.
  if (name === "help" && rest.length > 0) return runCli([rest[0]!, "--help"], ctx);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    ctx.stdout(globalHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    ctx.stdout(`${VERSION}\n`);
    return 0;
  }
  // `fhec model.onnx -o circuit.fhe` is `fhec compile model.onnx -o circuit.fhe`.
  if (!commands.some((c) => c.name === name) && isModelPath(name)) return runCli(["compile", name, ...rest], ctx);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    ctx.stderr(`fhec: error: unknown command '${name}' (commands: ${commands.map((c) => c.name).join(", ")})\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    ctx.stdout(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return 0;
  }
  try {
    const parsed = parseArgs({ args: joinNegativeValues(rest, command), options: command.options, allowPositionals: true, strict: true });
    return await command.run({ values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals }, ctx);
  } catch (err) {
    return reportError(err, command.name, ctx);
  }
}

/**
 * `--opt -3` → `--opt=-3` for options that take a value: a negative number is the option's value
 * (which the command then judges with its own message), not an unknown flag.
 */
function joinNegativeValues(args: readonly string[], command: { options: Record<string, { type: string; short?: string }> }): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const long = a.startsWith("--") ? a.slice(2) : undefined;
    const short = /^-[A-Za-z]$/.test(a) ? Object.keys(command.options).find((k) => command.options[k]!.short === a.slice(1)) : undefined;
    const option = long ?? short;
    if (option !== undefined && command.options[option]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${option}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** A first argument that names a model rather than a command: a .onnx path, or an existing file. */
function isModelPath(arg: string): boolean {
  if (arg.startsWith("-")) return false;
  if (arg.toLowerCase().endsWith(".onnx")) return true;
  try {
    return statSync(arg).isFile();
  } catch {
    return false;
  }
}

function reportError(err: unknown, command: string, ctx: CommandContext): number {
  if (err instanceof CompileError) {
    ctx.stderr(`${renderDiagnostics(err.diagnostics, err.sources)}\n`);
    return 1;
  }
  // The data given was at fault (tampered or mismatched files, insecure parameters): not a bug.
  if (err instanceof InvalidDataError) {
    ctx.stderr(`fhec ${command}: error: ${err.message}\n`);
    return 1;
  }
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    ctx.stderr(`fhec ${command}: error: ${(err as Error).message}\nRun 'fhec ${command} --help' for usage.\n`);
    return 2;
  }
  const e = err as Error;
  ctx.stderr(`fhec ${command}: internal error: ${e.message ?? String(err)}\n`);
  if (process.env["FHEC_DEBUG"]) ctx.stderr(`${e.stack}\n`);
  else ctx.stderr("Set FHEC_DEBUG=1 for a stack trace, and please report this.\n");
  return 70;
}

const processContext: CommandContext = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: Boolean(process.stderr.isTTY),
};

if (isEntryPoint(import.meta.url)) {
  runCli(process.argv.slice(2), processContext).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`fhec: internal error: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
