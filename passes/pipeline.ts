// Pipelines: parse `name{opt=value,…},name2` against the pass registry, then run the passes with
// optional verification and IR dumps between them.
import type { ModuleOp } from "../ir/core.js";
import { CompileError, type Diagnostic, DiagnosticEmitter, fail } from "../ir/diagnostics.js";
import { printModule } from "../ir/printer.js";
import type { OpRegistry } from "../ir/registry.js";
import { verifyModule } from "../ir/verifier.js";
import type { OnnxEvaluator, Pass, PassOptionValue, PassReport } from "./pass.js";
import type { PassRegistry } from "./registry.js";

export interface PipelineStep {
  readonly pass: Pass;
  readonly options: Readonly<Record<string, PassOptionValue>>;
}

function parseOptionValue(pass: Pass, key: string, raw: string): PassOptionValue {
  const spec = pass.options[key];
  if (!spec) {
    const known = Object.keys(pass.options);
    return fail("E0301", `pass '${pass.name}' has no option '${key}'${known.length ? ` (options: ${known.join(", ")})` : " (it takes no options)"}`);
  }
  switch (spec.type) {
    case "int": {
      const v = Number(raw);
      if (!Number.isInteger(v)) return fail("E0301", `option '${pass.name}.${key}' needs an integer, got '${raw}'`);
      return v;
    }
    case "float": {
      const v = Number(raw);
      if (raw.trim() === "" || Number.isNaN(v)) return fail("E0301", `option '${pass.name}.${key}' needs a number, got '${raw}'`);
      return v;
    }
    case "bool":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      return fail("E0301", `option '${pass.name}.${key}' needs true or false, got '${raw}'`);
    case "string":
      if (spec.choices && !spec.choices.includes(raw)) {
        return fail("E0301", `option '${pass.name}.${key}' must be one of ${spec.choices.join(", ")}, got '${raw}'`);
      }
      return raw;
  }
}

/** Splits on commas that are not inside braces. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "{") depth++;
    if (ch === "}") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function parsePipeline(text: string, passes: PassRegistry): PipelineStep[] {
  return splitTopLevel(text).map((item) => {
    const m = /^([A-Za-z0-9_-]+)(?:\{(.*)\})?$/.exec(item);
    if (!m) return fail("E0301", `cannot read pipeline element '${item}' (expected name or name{option=value,…})`);
    const pass = passes.get(m[1]!);
    if (!pass) {
      return fail("E0300", `unknown pass '${m[1]}' (passes: ${passes.all().map((p) => p.name).join(", ")})`);
    }
    const options: Record<string, PassOptionValue> = {};
    for (const [k, spec] of Object.entries(pass.options)) options[k] = spec.default;
    for (const kv of (m[2] ?? "").split(/[,\s]+/).filter(Boolean)) {
      const eq = kv.indexOf("=");
      if (eq < 0) return fail("E0301", `pass option '${kv}' needs a value (option=value)`);
      const key = kv.slice(0, eq);
      options[key] = parseOptionValue(pass, key, kv.slice(eq + 1));
    }
    return { pass, options };
  });
}

export interface RunPipelineOptions {
  readonly registry: OpRegistry;
  /** Run the verifier after every pass (the input is always expected to be valid). */
  readonly verifyEach?: boolean;
  /** Pass names after which to dump the IR, or "all". */
  readonly printAfter?: "all" | ReadonlySet<string>;
  /** Receives IR dumps (defaults to nothing). */
  readonly onDump?: (passName: string, ir: string, report: PassReport) => void;
  readonly emitter?: DiagnosticEmitter;
  /** Float semantics of onnx ops, for passes that evaluate them (quantize). */
  readonly onnxEvaluator?: OnnxEvaluator;
}

export interface PipelineResult {
  readonly reports: readonly { readonly pass: string; readonly report: PassReport }[];
  readonly diagnostics: readonly Diagnostic[];
}

export function runPipeline(module: ModuleOp, steps: readonly PipelineStep[], opts: RunPipelineOptions): PipelineResult {
  const emitter = opts.emitter ?? new DiagnosticEmitter();
  const reports: { pass: string; report: PassReport }[] = [];
  for (const step of steps) {
    const ctx = { registry: opts.registry, emitter, ...(opts.onnxEvaluator ? { onnxEvaluator: opts.onnxEvaluator } : {}) };
    const report = step.pass.run(module, step.options, ctx);
    reports.push({ pass: step.pass.name, report });
    if (opts.verifyEach) {
      const v = verifyModule(module, opts.registry);
      if (v.hasErrors()) {
        throw new CompileError([
          { code: "E0302", severity: "error", message: `the IR is invalid after pass '${step.pass.name}'`, loc: { kind: "unknown" } },
          ...v.diagnostics,
        ]);
      }
    }
    const dump = opts.printAfter === "all" || opts.printAfter?.has(step.pass.name);
    if (dump && opts.onDump) opts.onDump(step.pass.name, printModule(module), report);
  }
  return { reports, diagnostics: emitter.diagnostics };
}
