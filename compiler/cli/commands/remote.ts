// `fhec remote keygen|predict`: the client of `fhec serve`. keygen fetches the server's client
// spec (its parameters checked like any spec) and generates keys for it; predict uploads the
// evaluation keys once (skipped when the server already holds them), posts the encrypted inputs
// and decrypts the result. The secret key never leaves DIR.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fail } from "../../../ir/diagnostics.js";
import { FheModelClient } from "../../deploy/client.js";
import { FheHttpClient, FheHttpError } from "../../serve/client.js";
import { type Command, type CommandContext, type ParsedArgs, stringOption, UsageError } from "../command.js";
import { bindInputs } from "../inputs.js";
import { openFileChunks, writeStreamAtomic } from "../io.js";
import { writeOutputs } from "../circuit_io.js";
import { keygenCommand } from "./deploy.js";

const SPEC = "circuit.client";

function server(args: ParsedArgs, ctx: CommandContext): FheHttpClient {
  const url = stringOption(args, "server");
  if (!url) throw new UsageError("missing --server URL (http://host:port of fhec serve)");
  return new FheHttpClient(url, { onRetry: (status, wait) => ctx.stderr(status === 503 ? `server busy: retrying in ${wait} s\n` : "connection reset: retrying\n") });
}

async function keygen(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const http = server(args, ctx);
  const out = stringOption(args, "out");
  if (!out) throw new UsageError("missing --out DIR");
  const spec = await http.clientSpecBytes();
  FheModelClient.load(spec, `${http.baseUrl}/client`); // refuses a malformed or insecure spec before anything is written
  mkdirSync(out, { recursive: true });
  writeStreamAtomic(join(out, SPEC), spec);
  // The keys of that spec, exactly as `fhec keygen` makes them.
  return keygenCommand.run({ values: { out }, positionals: [join(out, SPEC)] }, ctx);
}

async function predict(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const http = server(args, ctx);
  const dir = stringOption(args, "keys");
  if (!dir) throw new UsageError("missing --keys DIR (the directory written by fhec remote keygen)");
  const specs = (args.values["input"] as string[] | undefined) ?? [];
  if (specs.length === 0) throw new UsageError("missing --input");
  const output = stringOption(args, "output");
  const specPath = join(dir, SPEC);
  const client = FheModelClient.load(openFileChunks(specPath, "client spec").chunks(), specPath);
  const secret = join(dir, "secret.key");
  client.loadSecretKey(openFileChunks(secret, "secret key").chunks(), secret);
  const names = client.spec.inputs.map((i) => i.name);
  const bound = bindInputs(specs, names);
  const { circuitId } = await http.health();
  if (circuitId !== client.spec.circuitId) {
    fail("E0702", `the server at ${http.baseUrl} runs another circuit (id ${circuitId.slice(0, 12)}…) than ${specPath} (${client.spec.circuitId.slice(0, 12)}…): run fhec remote keygen against this server`);
  }
  const outs = await http.predict(client, client.keyId, openFileChunks(join(dir, "eval.key"), "evaluation keys"), names.map((n) => bound.get(n)!));
  if (output) writeOutputs(output, outs, client.outputLayout);
  else outs.forEach((o, i) => ctx.stdout(`output ${i}: [${o.shape.join(", ")}] = [${Array.from(o.data.subarray(0, 6), (v) => Number(v.toPrecision(5))).join(", ")}${o.data.length > 6 ? ", …" : ""}]\n`));
  return 0;
}

export const remoteCommand: Command = {
  name: "remote",
  summary: "Client of fhec serve: generate keys for a server's circuit, predict remotely",
  help: `usage: fhec remote keygen --server URL --out DIR
       fhec remote predict --server URL --keys DIR --input x.npy [-o y.npy]

keygen    fetches the server's client spec (checked: 128-bit secure parameters) into
          DIR/${SPEC}, then writes DIR/secret.key (keep it) and DIR/eval.key
predict   uploads DIR/eval.key unless the server already holds it, encrypts the inputs, runs
          them on the server and decrypts the result

options:
  --server=URL        the fhec serve address, e.g. http://127.0.0.1:8080
  --out=DIR           (keygen) where the spec and the keys go
  --keys=DIR          (predict) the directory written by fhec remote keygen
  -i, --input=FILE    (predict) input data (.npy, NAME=FILE.npy, or .npz); first dimension = samples
  -o, --output=FILE   (predict) .npy (first output) or .npz (all outputs); printed if omitted
`,
  options: {
    server: { type: "string" },
    out: { type: "string" },
    keys: { type: "string" },
    input: { type: "string", short: "i", multiple: true },
    output: { type: "string", short: "o" },
  },
  async run(args, ctx) {
    const sub = args.positionals[0];
    const rest = { ...args, positionals: args.positionals.slice(1) };
    if (rest.positionals.length > 0) throw new UsageError(`unexpected argument '${rest.positionals[0]}'`);
    try {
      if (sub === "keygen") return await keygen(rest, ctx);
      if (sub === "predict") return await predict(rest, ctx);
    } catch (err) {
      // The server's refusals are the user's errors: one line, exit 1.
      if (err instanceof FheHttpError) fail("E0400", err.message);
      throw err;
    }
    throw new UsageError(sub === undefined ? "missing subcommand: keygen or predict" : `unknown subcommand '${sub}' (keygen or predict)`);
  },
};
