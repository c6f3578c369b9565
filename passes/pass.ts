// What a pass is: a named transformation of a module with typed options.
import type { ModuleOp, Operation } from "../ir/core.js";
import type { DiagnosticEmitter } from "../ir/diagnostics.js";
import type { OpRegistry } from "../ir/registry.js";
import type { NDArray } from "../ir/tensor.js";

/**
 * Float semantics of one `onnx.*` op on concrete (batched) operands. Passes that need to evaluate
 * ONNX ops (quantize builds tables from them) receive it from the driver, which wires in the
 * reference interpreter: passes never import a backend.
 */
export type OnnxEvaluator = (op: Operation, operands: readonly NDArray[]) => NDArray[];

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
  readonly onnxEvaluator?: OnnxEvaluator;
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

/** A pass whose report is one count of rewritten ops (named `counted`); it changed the module when that is not 0. */
export function countingPass(def: {
  readonly name: string;
  readonly summary: string;
  readonly options?: Readonly<Record<string, PassOptionSpec>>;
  readonly counted: string;
  readonly rewrite: (module: ModuleOp, options: Readonly<Record<string, PassOptionValue>>) => number;
}): Pass {
  return {
    name: def.name,
    summary: def.summary,
    options: def.options ?? {},
    run(module, options): PassReport {
      const n = def.rewrite(module, options);
      return { changed: n > 0, details: { [def.counted]: n } };
    },
  };
}
