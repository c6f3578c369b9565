// `fhec compile`: ONNX model + calibration data → circuit artifact (or IR text with --emit).
import { readFileSync } from "node:fs";
import { fail } from "../../../ir/diagnostics.js";
import type { NDArray } from "../../../ir/tensor.js";
import { type CompileOptions, compile, dumpStages, type RoundingSpec } from "../../compile.js";
import { DEFAULT_TOLERANCE, precisionSummary } from "../../precision.js";
import { importOnnx } from "../../onnx/index.js";
import type { NBits } from "../../../passes/quantize/index.js";
import { type Command, onlyPositional, stringOption, UsageError } from "../command.js";
import { bindInputs } from "../inputs.js";
import { writeFileAtomic } from "../io.js";
import { writeArtifactSet } from "../../stream_io.js";
import { checkOutputPaths } from "../output_paths.js";
import { endProgress, progressReporter } from "../progress.js";
import { printModule } from "../../../ir/printer.js";
import { serializeClientSpec } from "../../deploy/artifacts.js";
import { FheModelServer } from "../../deploy/server.js";

/** `8`, or `inputs=8,weights=6,activations=5,outputs=8`. */
export function parseNBits(text: string): number | Partial<NBits> {
  if (/^\d+$/.test(text)) return Number(text);
  if (/^-\d+$/.test(text.trim())) throw new UsageError(`--n-bits must be a positive number of bits, got '${text}'`);
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const m = /^(inputs|weights|activations|outputs)=(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`--n-bits: expected N or role=N,… (roles: inputs, weights, activations, outputs), got '${part}'`);
    out[m[1]!] = Number(m[2]);
  }
  return out as Partial<NBits>;
}

/** `8`, `8:exact`, `8:approximate`, `0` (off) or `auto`. */
export function parseRounding(text: string): RoundingSpec {
  if (text === "auto") return "auto";
  const m = /^(\d+)(?::(exact|approximate))?$/.exec(text);
  if (!m) throw new UsageError(`--rounding-bits: expected N, N:exact, N:approximate or auto, got '${text}'`);
  return m[2] ? { bits: Number(m[1]), method: m[2] as "exact" | "approximate" } : Number(m[1]);
}

/** `P` (both kinds of model) or `classification=P,regression=Q`: the loss the precision search accepts. */
export function parseTolerance(text: string): { classification: number; regression: number } {
  const value = (v: string): number => {
    const x = Number(v);
    if (v.trim() === "" || !(x >= 0 && x <= 1)) throw new UsageError(`--tolerance: expected a fraction in [0, 1], got '${v}'`);
    return x;
  };
  const out: { classification: number; regression: number } = { ...DEFAULT_TOLERANCE };
  if (!text.includes("=")) return { classification: value(text), regression: value(text) };
  for (const part of text.split(",")) {
    const m = /^(classification|regression)=(.*)$/.exec(part.trim());
    if (!m) throw new UsageError(`--tolerance: expected P or classification=P,regression=Q, got '${part}'`);
    out[m[1] as "classification" | "regression"] = value(m[2]!);
  }
  return out;
}

function parseProbability(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === "" || !(v > 0 && v < 1)) throw new UsageError(`${flag} must be a probability in (0, 1), got '${text}'`);
  return v;
}

export const compileCommand: Command = {
  name: "compile",
  summary: "Compile an ONNX model into an FHE circuit",
  help: `usage: fhec compile <model.onnx> --calib x.npy -o circuit.fhe [options]

Quantizes the model from calibration data (or from its own QuantizeLinear/DequantizeLinear nodes),
lowers it to integer FHE operations and writes the circuit.

options:
  --calib=FILE            calibration inputs (.npy, NAME=FILE.npy, or .npz; first dim = samples);
                          not needed for fully QDQ-quantized models
  -o, --output=FILE       where to write the circuit (server artifact); the client spec goes
                          beside it (circuit.fhe → circuit.client). With --emit: the IR text
  --n-bits=SPEC           bits: N for every role, or inputs=N,weights=N,activations=N,outputs=N
                          (default inputs=8,weights=8,activations=7,outputs=8; weights=6 when
                          the circuit has table lookups and weights are not given)
  --rounding-bits=SPEC    precision of each table's input. Default (with --calib): each table
                          reads a window fitted to the range its input reaches on the calibration
                          data, at the fewest bits (at most 8) that keep agreement with the float
                          model (0.5 point of accuracy; 1% of the output range for one output).
                          N, N:exact, N:approximate: keep the top N bits of the static range;
                          0 (off); auto (smallest uniform static N that keeps accuracy)
  --tolerance=SPEC        loss the default precision search accepts against the float model on
                          the calibration set: P, or classification=P,regression=Q (default
                          classification=0.005: expected accuracy; regression=0.01: mean
                          |error| / output range). Lower it when the calibration rows are
                          training rows (see docs/tfhe.md, "Choosing q")
  --p-error=P             probability of a table-lookup error per PBS (default 2^-40)
  --global-p-error=P      probability that any PBS or decryption of a run fails (instead of --p-error)
  --output-bits=N         round outputs wider than N bits before decryption (default 12, 0: off)
  --max-key-mib=N         budget for the server's expanded evaluation keys, in MiB (default 1024)
  --no-params             skip TFHE parameter selection (a circuit for simulation only)
  --per-tensor-weights    one scale per weight tensor (default: one per output channel)
  --nearest-weights       round each weight to its nearest grid point (default: rounding that
                          compensates errors on the calibration inputs; same width and cost)
  --bounds=MODE           static (sound, default) or calibration (tighter widths, may overflow)
  --no-fusion             do not fuse table lookups
  --emit=DIALECT          write IR text instead of the circuit: onnx (imported) or fhe
  --dump-ir=STAGE         print the IR to stderr after STAGE (import, calibrate, a pass name) or after-all
  --verify-each           run the IR verifier after every pass
`,
  options: {
    calib: { type: "string", multiple: true },
    output: { type: "string", short: "o" },
    "n-bits": { type: "string" },
    "rounding-bits": { type: "string" },
    tolerance: { type: "string" },
    "p-error": { type: "string" },
    "global-p-error": { type: "string" },
    "output-bits": { type: "string" },
    "max-key-mib": { type: "string" },
    "no-params": { type: "boolean" },
    "per-tensor-weights": { type: "boolean" },
    "nearest-weights": { type: "boolean" },
    bounds: { type: "string" },
    "no-fusion": { type: "boolean" },
    emit: { type: "string" },
    "dump-ir": { type: "string" },
    "verify-each": { type: "boolean" },
  },
  async run(args, ctx) {
    const modelPath = onlyPositional(args, "ONNX model file");
    const output = stringOption(args, "output");
    if (!output) throw new UsageError("missing -o/--output");
    const emit = stringOption(args, "emit");
    if (emit !== undefined && emit !== "onnx" && emit !== "fhe") throw new UsageError(`--emit must be onnx or fhe, got '${emit}'`);
    const bounds = stringOption(args, "bounds");
    if (bounds !== undefined && bounds !== "static" && bounds !== "calibration") throw new UsageError(`--bounds must be static or calibration, got '${bounds}'`);

    const dumpIr = stringOption(args, "dump-ir");
    if (dumpIr !== undefined && !dumpStages().includes(dumpIr)) throw new UsageError(`--dump-ir: unknown stage '${dumpIr}' (stages: ${dumpStages().join(", ")})`);
    const calibSpecs = (args.values["calib"] as string[] | undefined) ?? [];
    // The circuit and its client spec are one artifact set: both paths checked before any work.
    const clientPath = output.replace(/\.fhe$/, "") + ".client";
    checkOutputPaths(emit === undefined ? [output, clientPath] : [output], [modelPath, ...calibSpecs]);

    let model: Uint8Array;
    try {
      model = readFileSync(modelPath);
    } catch {
      return fail("E0400", `cannot read ONNX model '${modelPath}': no such file or not readable`);
    }
    if (emit === "onnx") {
      writeFileAtomic(output, printModule(importOnnx(model, { file: modelPath })));
      return 0;
    }
    let calibration: NDArray[] | undefined;
    if (calibSpecs.length > 0) {
      const names = importOnnx(model, { file: modelPath }).funcs[0]!.args.map((a) => a.nameHint ?? "");
      const bound = bindInputs(calibSpecs, names);
      calibration = names.map((n) => bound.get(n)!);
    }
    const nBitsText = stringOption(args, "n-bits");
    const roundingText = stringOption(args, "rounding-bits");
    const toleranceText = stringOption(args, "tolerance");
    const pErrorText = stringOption(args, "p-error");
    const globalText = stringOption(args, "global-p-error");
    const outputBitsText = stringOption(args, "output-bits");
    if (outputBitsText !== undefined && !/^\d+$/.test(outputBitsText)) throw new UsageError(`--output-bits must be a non-negative integer, got '${outputBitsText}'`);
    const keyMibText = stringOption(args, "max-key-mib");
    if (keyMibText !== undefined && !(/^\d+(\.\d+)?$/.test(keyMibText) && Number(keyMibText) > 0)) throw new UsageError(`--max-key-mib must be a positive number, got '${keyMibText}'`);
    const progress = progressReporter(ctx);
    const options: CompileOptions = {
      ...(calibration ? { calibration } : {}),
      ...(nBitsText ? { nBits: parseNBits(nBitsText) } : {}),
      ...(roundingText ? { roundingThresholdBits: parseRounding(roundingText) } : {}),
      ...(toleranceText ? { precisionTolerance: parseTolerance(toleranceText) } : {}),
      ...(pErrorText ? { pError: parseProbability(pErrorText, "--p-error") } : {}),
      ...(globalText ? { globalPError: parseProbability(globalText, "--global-p-error") } : {}),
      ...(outputBitsText ? { outputRoundingBits: Number(outputBitsText) } : {}),
      ...(keyMibText ? { maxKeyBytes: Math.round(Number(keyMibText) * 2 ** 20) } : {}),
      cryptoParameters: !args.values["no-params"],
      perChannelWeights: !args.values["per-tensor-weights"],
      compensateWeights: !args.values["nearest-weights"],
      fuseTables: !args.values["no-fusion"],
      ...(bounds ? { bounds: bounds as "static" | "calibration" } : {}),
      verifyEach: Boolean(args.values["verify-each"]),
      ...(dumpIr ? { dumpIr, onDump: (stage: string, ir: string) => ctx.stderr(`// ----- IR after ${stage} -----\n${ir}`) } : {}),
      onProgress: progress,
    };
    const circuit = compile(model, options);
    endProgress(ctx);
    if (emit === "fhe") {
      writeFileAtomic(output, printModule(circuit.module));
      return 0;
    }
    // The client spec beside the circuit (parameters, quantizers, post-processing, no weights),
    // written with it as a unit: never a new circuit beside an old spec.
    const clientSpec = circuit.parameters ? serializeClientSpec(FheModelServer.clientSpecOf(circuit)) : undefined;
    writeArtifactSet([{ path: output, data: circuit.serialize() }, ...(clientSpec ? [{ path: clientPath, data: clientSpec }] : [])]);
    const clientNote = clientSpec ? ` and ${clientPath}` : "";
    const info = circuit.info();
    ctx.stderr(
      `wrote ${output}${clientNote}: ${info.tluCount} table lookup op(s) (${info.lookupsPerSample} PBS per sample), ` +
        `max table input ${info.maxTluInputPrecision} bits, widest accumulator ${info.maxAccumulatorWidth} bits\n`,
    );
    if (circuit.precision) ctx.stderr(`${precisionSummary(circuit.precision)}\n`);
    for (const w of [...circuit.compileWarnings, ...circuit.resourceWarnings()]) ctx.stderr(`${w}\n`);
    return 0;
  },
};
