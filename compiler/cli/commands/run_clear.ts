// `fhec simulate` and `fhec predict`: run a compiled circuit on float inputs, in the clear or
// (predict --fhe execute) encrypted in one process.
import { FheCircuit, type FheMode } from "../../circuit.js";
import { formatLocation } from "../../../ir/diagnostics.js";
import { BACKEND_CHOICES, type BackendChoice } from "../../../backends/llvm/index.js";
import { type Command, type OptionSpecs, requiredPositional, stringOption, UsageError } from "../command.js";
import { circuitInputs, writeOutputs } from "../circuit_io.js";
import { checkOutputPaths } from "../output_paths.js";
import { progressBar } from "../progress.js";

function summaryLine(shape: readonly number[], data: Float64Array): string {
  const head = Array.from(data.subarray(0, 6), (v) => Number(v.toPrecision(5))).join(", ");
  return `[${shape.join(", ")}] = [${head}${data.length > 6 ? ", …" : ""}]`;
}

function parseNoise(text: string | undefined): "parameters" | "bound" {
  if (text === undefined) return "parameters";
  if (text !== "parameters" && text !== "bound") throw new UsageError(`--noise must be parameters or bound, got '${text}'`);
  return text;
}

function parseBackend(text: string | undefined): BackendChoice | undefined {
  if (text === undefined) return undefined;
  if (!(BACKEND_CHOICES as readonly string[]).includes(text)) throw new UsageError(`--backend must be ${BACKEND_CHOICES.join(", ")}, got '${text}'`);
  return text as BackendChoice;
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 0;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--seed must be a non-negative integer, got '${text}'`);
  return v;
}

/** The options both commands take (predict adds --fhe). */
const RUN_OPTIONS: OptionSpecs = {
  input: { type: "string", short: "i", multiple: true },
  output: { type: "string", short: "o" },
  seed: { type: "string" },
  noise: { type: "string" },
  backend: { type: "string" },
};

const IO_HELP = `  -i, --input=FILE    input data (.npy, NAME=FILE.npy, or .npz); first dimension = samples
  -o, --output=FILE   .npy (first output) or .npz (all outputs); default: print a summary
  --seed=N            seed of the simulated noise draws (default 0)`;

async function runMode(args: Parameters<Command["run"]>[0], fhe: FheMode, ctx: Parameters<Command["run"]>[1]): Promise<number> {
  const circuitPath = requiredPositional(args, 0, "circuit file");
  const inputs = (args.values["input"] as string[] | undefined) ?? [];
  const output = stringOption(args, "output");
  const opts = { seed: parseSeed(stringOption(args, "seed")), noise: parseNoise(stringOption(args, "noise")), backend: parseBackend(stringOption(args, "backend")) };
  if (inputs.length === 0) throw new UsageError("missing --input");
  if (fhe === "execute" && opts.backend !== undefined) throw new UsageError("--backend applies to --fhe disable and simulate");
  if (output) checkOutputPaths([output], [circuitPath, ...inputs]);
  const circuit = FheCircuit.load(circuitPath);
  const xs = circuitInputs(circuit, inputs);
  let outs;
  if (fhe === "execute") outs = await circuit.predict(xs, { fhe, seed: opts.seed, onProgress: progressBar(ctx, "encrypted run") });
  else {
    const r = circuit.runClearWithStats(circuit.quantizeInputs(xs), { fhe, seed: opts.seed, noise: opts.noise, ...(opts.backend ? { backend: opts.backend } : {}) });
    // Values outside a table's data-fitted window are read modulo the window, as in FHE: say where.
    for (const [op, count] of r.stats.outOfWindow) {
      ctx.stderr(`warning: ${count} value(s) fell outside the calibrated window of the table read at ${formatLocation(op.loc)}; they are read modulo the window (as FHE reads them)\n`);
    }
    outs = circuit.decodeOutputs(r.outputs);
  }
  if (output) writeOutputs(output, outs, circuit.outputLayout);
  else outs.forEach((o, i) => ctx.stdout(`output ${i}: ${summaryLine(o.shape, o.data)}\n`));
  return 0;
}

export const simulateCommand: Command = {
  name: "simulate",
  summary: "Run a circuit in simulation (the integer circuit with the noise of its parameters)",
  help: `usage: fhec simulate <circuit.fhe> --input x.npy [-o y.npy] [--seed N] [--backend clear|llvm|auto]

Quantizes the inputs, runs the integer circuit in the clear as FHE computes it (every read draws
the noise the circuit's TFHE parameters give there: approximate rounding near a tie goes either
way, table reads fail with the parameters' probability), de-quantizes and post-processes the
outputs. Values outside a table's calibrated window are reported on stderr.

options:
${IO_HELP}
  --noise=MODEL       parameters (default: every read draws the noise the circuit's parameters
                      give there, as FHE does) or bound (table errors at the p_error bound, coin
                      flips only at exact rounding ties)
  --backend=NAME      clear (TypeScript), llvm (native code, bit-identical; needs the optional
                      LLVM backend, see README) or auto (default: llvm when available and the
                      batch is large enough to repay compiling the circuit)
`,
  options: RUN_OPTIONS,
  async run(args, ctx) {
    return runMode(args, "simulate", ctx);
  },
};

export const predictCommand: Command = {
  name: "predict",
  summary: "Predict with a circuit: --fhe disable | simulate | execute",
  help: `usage: fhec predict <circuit.fhe> --input x.npy [-o y.npy] [--fhe disable|simulate|execute]

  --fhe=disable    the quantized model in the clear (exact integers, no table-lookup errors)
  --fhe=simulate   as FHE computes it: every read draws the noise of the circuit's parameters (default)
  --fhe=execute    real encrypted execution in this process: key generation, encryption, the
                   encrypted computation and decryption (for a client/server split, see
                   fhec keygen / encrypt / run / decrypt)

options:
${IO_HELP}
  --noise=MODEL       simulate: parameters (default) or bound, as for fhec simulate
  --backend=NAME      disable/simulate: clear (TypeScript), llvm (native code, bit-identical; needs the optional
                      LLVM backend, see README) or auto (default: llvm when available and the
                      batch is large enough to repay compiling the circuit)
`,
  options: { ...RUN_OPTIONS, fhe: { type: "string" } },
  async run(args, ctx) {
    const fhe = stringOption(args, "fhe") ?? "simulate";
    if (fhe !== "disable" && fhe !== "simulate" && fhe !== "execute") throw new UsageError(`--fhe must be disable, simulate or execute, got '${fhe}'`);
    return runMode(args, fhe, ctx);
  },
};
