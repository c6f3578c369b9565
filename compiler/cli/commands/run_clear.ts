// `fhec simulate` and `fhec predict`: run a compiled circuit on float inputs, in the clear or
// (predict --fhe execute) encrypted in one process.
import { FheCircuit, type FheMode } from "../../circuit.js";
import { type Command, requiredPositional, stringOption, UsageError } from "../command.js";
import { circuitInputs, writeOutputs } from "../circuit_io.js";
import { progressBar } from "../progress.js";

function summaryLine(shape: readonly number[], data: Float64Array): string {
  const head = Array.from(data.subarray(0, 6), (v) => Number(v.toPrecision(5))).join(", ");
  return `[${shape.join(", ")}] = [${head}${data.length > 6 ? ", …" : ""}]`;
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 0;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--seed must be a non-negative integer, got '${text}'`);
  return v;
}

async function runMode(circuitPath: string, inputs: string[], output: string | undefined, fhe: FheMode, seed: number, ctx: Parameters<Command["run"]>[1]): Promise<number> {
  if (inputs.length === 0) throw new UsageError("missing --input");
  const circuit = FheCircuit.load(circuitPath);
  const xs = circuitInputs(circuit, inputs);
  const outs = await circuit.predict(xs, { fhe, seed, onProgress: progressBar(ctx, "encrypted run") });
  if (output) writeOutputs(output, outs);
  else outs.forEach((o, i) => ctx.stdout(`output ${i}: ${summaryLine(o.shape, o.data)}\n`));
  return 0;
}

export const simulateCommand: Command = {
  name: "simulate",
  summary: "Run a circuit in simulation (exact integers, with table-lookup errors at p_error)",
  help: `usage: fhec simulate <circuit.fhe> --input x.npy [-o y.npy] [--seed N]

Quantizes the inputs, runs the integer circuit in the clear exactly as FHE computes it (table
lookups fail with the circuit's p_error), de-quantizes and post-processes the outputs.

options:
  -i, --input=FILE    input data (.npy, NAME=FILE.npy, or .npz); first dimension = samples
  -o, --output=FILE   .npy (first output) or .npz (all outputs); default: print a summary
  --seed=N            seed of the simulated table-lookup errors (default 0)
`,
  options: {
    input: { type: "string", short: "i", multiple: true },
    output: { type: "string", short: "o" },
    seed: { type: "string" },
  },
  async run(args, ctx) {
    const path = requiredPositional(args, 0, "circuit file");
    return runMode(path, (args.values["input"] as string[] | undefined) ?? [], stringOption(args, "output"), "simulate", parseSeed(stringOption(args, "seed")), ctx);
  },
};

export const predictCommand: Command = {
  name: "predict",
  summary: "Predict with a circuit: --fhe disable | simulate | execute",
  help: `usage: fhec predict <circuit.fhe> --input x.npy [-o y.npy] [--fhe disable|simulate|execute]

  --fhe=disable    the quantized model in the clear (exact integers, no table-lookup errors)
  --fhe=simulate   as disable, with table-lookup errors at the circuit's p_error (default)
  --fhe=execute    real encrypted execution in this process: key generation, encryption, the
                   encrypted computation and decryption (for a client/server split, see
                   fhec keygen / encrypt / run / decrypt)

options:
  -i, --input=FILE    input data (.npy, NAME=FILE.npy, or .npz); first dimension = samples
  -o, --output=FILE   .npy (first output) or .npz (all outputs); default: print a summary
  --seed=N            seed of the simulated table-lookup errors (default 0)
`,
  options: {
    input: { type: "string", short: "i", multiple: true },
    output: { type: "string", short: "o" },
    fhe: { type: "string" },
    seed: { type: "string" },
  },
  async run(args, ctx) {
    const path = requiredPositional(args, 0, "circuit file");
    const fhe = stringOption(args, "fhe") ?? "simulate";
    if (fhe !== "disable" && fhe !== "simulate" && fhe !== "execute") throw new UsageError(`--fhe must be disable, simulate or execute, got '${fhe}'`);
    return runMode(path, (args.values["input"] as string[] | undefined) ?? [], stringOption(args, "output"), fhe, parseSeed(stringOption(args, "seed")), ctx);
  },
};
