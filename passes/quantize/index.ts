// quantize: `onnx` dialect (float, annotated with calibration ranges) → `fhe` dialect (integers).
// The module's first function becomes the circuit; the client's side of the contract is recorded
// as attributes: `fhec.inputs` (input quantizers), `fhec.outputs` (output de-quantizers) on the
// circuit, and `fhec.postprocess` (a float `onnx` module run after decryption) on the module.
import { type Attribute, arrayAttr, dictAttr, floatsAttr, intAttr, intsAttr, stringAttr } from "../../ir/attributes.js";
import type { ModuleOp } from "../../ir/core.js";
import { ModuleOp as Module } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { OUTPUT_NAMES_ATTR } from "../../ir/dialects/onnx_decls.js";
import { printModule } from "../../ir/printer.js";
import { applyBitwidths, ARG_RANGES_ATTR } from "../bitwidth.js";
import type { Pass, PassOptionValue, PassReport } from "../pass.js";
import { GraphQuantizer, type InputSpec, type OutputSpec, type QuantizeConfig } from "./lower.js";

export type { InputSpec, NBits, OutputSpec, QuantizeConfig } from "./lower.js";

export const INPUTS_ATTR = "fhec.inputs";
export const OUTPUTS_ATTR = "fhec.outputs";
export const POSTPROCESS_ATTR = "fhec.postprocess";

export function quantizeConfigFromOptions(o: Readonly<Record<string, PassOptionValue>>): QuantizeConfig {
  const n = o["n-bits"] as number;
  const role = (k: string) => ((o[k] as number) > 0 ? (o[k] as number) : n);
  return {
    nBits: { inputs: role("inputs-bits"), weights: role("weights-bits"), activations: role("activations-bits"), outputs: role("outputs-bits") },
    perFeatureInputs: o["per-feature-inputs"] as boolean,
    symmetricWeights: o["symmetric-weights"] as boolean,
    perChannelWeights: o["per-channel"] as boolean,
    compensateWeights: o["compensate-weights"] as boolean,
    doubledPoolMaxima: o["pool-max"] === "doubled",
    rounding: {
      bits: o["rounding-bits"] as number,
      method: o["rounding-method"] as "exact" | "approximate",
      maxTableBits: o["max-table-bits"] as number,
    },
  };
}

function inputAttr(s: InputSpec): Attribute {
  return dictAttr([
    ["name", stringAttr(s.name)],
    ["shape", intsAttr(s.shape.map((d) => d ?? -1))],
    ["scale", floatsAttr(s.quantizer.scale)],
    ["zero_point", floatsAttr(s.quantizer.zeroPoint)],
    ["qmin", intAttr(s.quantizer.qmin)],
    ["qmax", intAttr(s.quantizer.qmax)],
  ]);
}

function outputAttr(s: OutputSpec): Attribute {
  return dictAttr([
    ["scale", floatsAttr(s.scale)],
    ["zero_point", floatsAttr(s.zeroPoint)],
  ]);
}

/** Replaces the module's onnx function by its quantized circuit. */
export function quantizeModule(module: ModuleOp, cfg: QuantizeConfig, evaluate: NonNullable<Parameters<Pass["run"]>[2]["onnxEvaluator"]>): PassReport {
  const src = module.funcs[0];
  if (!src) return fail("E0600", "quantize: the module has no function");
  if (!src.body.ops.some((op) => op.dialect === "onnx")) return fail("E0600", `quantize: @${src.name} is not in the onnx dialect`, src.loc);
  const q = new GraphQuantizer(src, cfg, evaluate).run();
  q.circuit.attributes.set(INPUTS_ATTR, arrayAttr(q.inputs.map(inputAttr)));
  q.circuit.attributes.set(OUTPUTS_ATTR, arrayAttr(q.outputs.map(outputAttr)));
  // The client writes outputs under the model's own names.
  const names = src.attributes.get(OUTPUT_NAMES_ATTR);
  if (names) q.postprocess.attributes.set(OUTPUT_NAMES_ATTR, names);
  const post = new Module();
  post.addFunc(q.postprocess);
  module.funcs.length = 0;
  module.addFunc(q.circuit);
  module.attributes.set(POSTPROCESS_ATTR, stringAttr(printModule(post)));
  // The client clamps inputs to [qmin, qmax]: the bit-width analysis starts from those intervals.
  q.circuit.attributes.set(ARG_RANGES_ATTR, arrayAttr(q.inputs.map((s) => intsAttr([s.quantizer.qmin, s.quantizer.qmax]))));
  const report = applyBitwidths(q.circuit);
  return {
    changed: true,
    details: { tluCount: report.tluCount, maxTluInputPrecision: report.maxTluInputPrecision, maxAccumulatorWidth: report.maxAccumulatorWidth },
  };
}

export const quantizePass: Pass = {
  name: "quantize",
  summary: "Post-training quantization: onnx (with calibration ranges or QDQ) → fhe integers",
  options: {
    "n-bits": { type: "int", default: 8, doc: "bits for every role not set below" },
    "inputs-bits": { type: "int", default: 0, doc: "input bits (0: n-bits)" },
    "weights-bits": { type: "int", default: 0, doc: "weight bits (0: n-bits)" },
    "activations-bits": { type: "int", default: 7, doc: "activation bits (0: n-bits)" },
    "outputs-bits": { type: "int", default: 0, doc: "bits of tabulated outputs (0: n-bits)" },
    "per-feature-inputs": { type: "bool", default: true, doc: "one input quantizer per feature for [N, F] inputs" },
    "symmetric-weights": { type: "bool", default: true, doc: "signed symmetric weights (zero point 0)" },
    "per-channel": { type: "bool", default: true, doc: "one weight scale per output channel" },
    "compensate-weights": { type: "bool", default: true, doc: "round weights with the calibration inputs' Gram matrix (error-compensating rounding)" },
    "pool-max": { type: "string", default: "relu", choices: ["relu", "doubled"], doc: "MaxPool maxima: a + relu(b − a), or 2·max = a + b + |b − a| (half the read error, for windowed reads)" },
    "rounding-bits": { type: "int", default: 8, doc: "round table inputs wider than this (0: never)" },
    "rounding-method": { type: "string", default: "approximate", choices: ["exact", "approximate"], doc: "fhe.round method" },
    "max-table-bits": { type: "int", default: 16, doc: "widest table input accepted without rounding" },
  },
  run(module, options, ctx): PassReport {
    if (!ctx.onnxEvaluator) return fail("E0302", "quantize needs the ONNX float semantics (run it through fhec compile or fhec opt)");
    return quantizeModule(module, quantizeConfigFromOptions(options), ctx.onnxEvaluator);
  },
};
