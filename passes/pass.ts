// What a pass is: a named transformation of a module with typed options.
import type { ModuleOp } from "../ir/core.js";
import type { DiagnosticEmitter } from "../ir/diagnostics.js";
import type { OpRegistry } from "../ir/registry.js";

export type PassOptionValue = number | boolean | string;

export interface PassOptionSpec {
  readonly type: "int" | "float" | "bool" | "string";
  readonly default: PassOptionValue;
  readonly doc: string;
  /** Allowed values for string options. */
  readonly choices?: readonly string[];
}

export interface PassContext {
  readonly registry: OpRegistry;
  /** Warnings and remarks go here; errors are thrown as CompileError. */
  readonly emitter: DiagnosticEmitter;
}

/** What a pass reports back (shown by --print-after and in compile reports). */
export interface PassReport {
  readonly changed: boolean;
  readonly details?: Readonly<Record<string, PassOptionValue>>;
}

export interface Pass {
  readonly name: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, PassOptionSpec>>;
  run(module: ModuleOp, options: Readonly<Record<string, PassOptionValue>>, ctx: PassContext): PassReport;
}
