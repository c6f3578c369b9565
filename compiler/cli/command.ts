// A CLI subcommand: its name, help text, options (node:util parseArgs format) and its run function.
import type { ParseArgsConfig } from "node:util";

export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

export interface CommandContext {
  /** Write to standard output (results). */
  stdout(text: string): void;
  /** Write to standard error (diagnostics, progress). */
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  readonly stderrIsTTY: boolean;
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

export interface Command {
  readonly name: string;
  /** One line for `fhec --help`. */
  readonly summary: string;
  /** Usage line(s) and option descriptions for `fhec NAME --help`. */
  readonly help: string;
  readonly options: OptionSpecs;
  /** Returns the process exit code. Throwing a CompileError or UsageError also exits non-zero. */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}

/** Bad command-line usage: printed as one line plus a hint to use --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new UsageError(`--${name} needs a value`);
  return v;
}

export function requiredPositional(args: ParsedArgs, index: number, what: string): string {
  const v = args.positionals[index];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

/** The command's one positional argument (a second one is a usage error). */
export function onlyPositional(args: ParsedArgs, what: string): string {
  const v = requiredPositional(args, 0, what);
  if (args.positionals.length > 1) throw new UsageError(`unexpected argument '${args.positionals[1]}'`);
  return v;
}
