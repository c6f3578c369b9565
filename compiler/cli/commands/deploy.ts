// The client/server commands: keygen, encrypt (client), run (server), decrypt (client).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { FheModelClient } from "../../deploy/client.js";
import { FheModelServer } from "../../deploy/server.js";
import { type Command, requiredPositional, stringOption, UsageError } from "../command.js";
import { bindInputs } from "../inputs.js";
import { openFileChunks, writeStreamAtomic } from "../io.js";
import { writeOutputs } from "../circuit_io.js";
import { byteProgress, formatBytes, progressBar, reportingChunks, withSpinner } from "../progress.js";
import type { CommandContext } from "../command.js";

const SECRET_KEY = "secret.key";
const EVAL_KEY = "eval.key";

function loadClient(path: string): FheModelClient {
  return FheModelClient.load(openFileChunks(path, "client spec").chunks(), path);
}

function keysDir(args: Parameters<Command["run"]>[0]): string {
  const dir = stringOption(args, "keys");
  if (!dir) throw new UsageError("missing --keys DIR (the directory written by fhec keygen)");
  return dir;
}

function withSecretKey(client: FheModelClient, dir: string): FheModelClient {
  const path = join(dir, SECRET_KEY);
  client.loadSecretKey(openFileChunks(path, "secret key").chunks(), path);
  return client;
}

/** A file's chunks, with a byte progress line on terminals. */
function readChunks(ctx: CommandContext, path: string, what: string): Iterable<Uint8Array> {
  const f = openFileChunks(path, what);
  return reportingChunks(f.chunks(), f.size, byteProgress(ctx, `reading ${what}`));
}

export const keygenCommand: Command = {
  name: "keygen",
  summary: "Client: generate the secret key and the evaluation keys for a circuit",
  help: `usage: fhec keygen <circuit.client> --out DIR

Writes DIR/${SECRET_KEY} (keep it on the client) and DIR/${EVAL_KEY} (seeded evaluation keys:
send them to the server once). Keys come from the operating system's CSPRNG.
`,
  options: { out: { type: "string" } },
  async run(args, ctx) {
    const specPath = requiredPositional(args, 0, "client spec (circuit.client)");
    const out = stringOption(args, "out");
    if (!out) throw new UsageError("missing --out DIR");
    const client = loadClient(specPath);
    mkdirSync(out, { recursive: true });
    // Keys stream to disk from their own memory: peak memory is the keys plus one chunk.
    const keys = await withSpinner(ctx, "generating keys", () => client.generateKeyStreams());
    writeStreamAtomic(join(out, SECRET_KEY), keys.secretKey, { mode: 0o600 });
    writeStreamAtomic(join(out, EVAL_KEY), keys.evaluationKeys, { onProgress: byteProgress(ctx, `writing ${EVAL_KEY}`) });
    ctx.stderr(`wrote ${join(out, SECRET_KEY)} (secret: keep it) and ${join(out, EVAL_KEY)} (${formatBytes(keys.evaluationKeys.size)}, for the server)\n`);
    return 0;
  },
};

export const encryptCommand: Command = {
  name: "encrypt",
  summary: "Client: quantize and encrypt inputs",
  help: `usage: fhec encrypt <circuit.client> --keys DIR --input x.npy -o x.ct

options:
  --keys=DIR          the directory written by fhec keygen
  -i, --input=FILE    input data (.npy, NAME=FILE.npy, or .npz); first dimension = samples
  -o, --output=FILE   the encrypted inputs, for fhec run
`,
  options: { keys: { type: "string" }, input: { type: "string", short: "i", multiple: true }, output: { type: "string", short: "o" } },
  async run(args, ctx) {
    const client = withSecretKey(loadClient(requiredPositional(args, 0, "client spec (circuit.client)")), keysDir(args));
    const output = stringOption(args, "output");
    if (!output) throw new UsageError("missing -o/--output");
    const specs = (args.values["input"] as string[] | undefined) ?? [];
    if (specs.length === 0) throw new UsageError("missing --input");
    const names = client.spec.inputs.map((i) => i.name);
    const bound = bindInputs(specs, names);
    writeStreamAtomic(output, client.encryptStream(names.map((n) => bound.get(n)!)), { onProgress: byteProgress(ctx, "writing ciphertexts") });
    return 0;
  },
};

export const runCommand: Command = {
  name: "run",
  summary: "Server: run a circuit on encrypted inputs with the client's evaluation keys",
  help: `usage: fhec run <circuit.fhe> --eval-keys DIR/${EVAL_KEY} --input x.ct -o y.ct

The server never sees a secret key or a clear value: it takes evaluation keys and ciphertexts,
and returns ciphertexts.
`,
  options: { "eval-keys": { type: "string" }, input: { type: "string", short: "i" }, output: { type: "string", short: "o" } },
  async run(args, ctx) {
    const circuitPath = requiredPositional(args, 0, "circuit file");
    const keysPath = stringOption(args, "eval-keys");
    const input = stringOption(args, "input");
    const output = stringOption(args, "output");
    if (!keysPath) throw new UsageError("missing --eval-keys FILE");
    if (!input) throw new UsageError("missing --input FILE (from fhec encrypt)");
    if (!output) throw new UsageError("missing -o/--output");
    const server = FheModelServer.load(openFileChunks(circuitPath, "circuit").chunks(), circuitPath);
    // Keys are expanded as they are read (the progress line covers both).
    const keyId = await server.addEvaluationKeys(readChunks(ctx, keysPath, "and expanding evaluation keys"), keysPath);
    const result = await server.runStream(keyId, readChunks(ctx, input, "encrypted inputs"), {
      inputsFile: input,
      onProgress: progressBar(ctx, "encrypted run"),
    });
    writeStreamAtomic(output, result, { onProgress: byteProgress(ctx, "writing results") });
    return 0;
  },
};

export const decryptCommand: Command = {
  name: "decrypt",
  summary: "Client: decrypt, de-quantize and post-process results",
  help: `usage: fhec decrypt <circuit.client> --keys DIR --input y.ct -o y.npy

options:
  --keys=DIR          the directory written by fhec keygen
  -i, --input=FILE    the encrypted result of fhec run
  -o, --output=FILE   .npy (first output) or .npz (all outputs)
`,
  options: { keys: { type: "string" }, input: { type: "string", short: "i" }, output: { type: "string", short: "o" } },
  async run(args, ctx) {
    const client = withSecretKey(loadClient(requiredPositional(args, 0, "client spec (circuit.client)")), keysDir(args));
    const input = stringOption(args, "input");
    if (!input) throw new UsageError("missing --input FILE (from fhec run)");
    const outs = client.decrypt(readChunks(ctx, input, "encrypted result"), input);
    const output = stringOption(args, "output");
    if (output) writeOutputs(output, outs, client.outputLayout);
    else outs.forEach((o, i) => ctx.stdout(`output ${i}: [${o.shape.join(", ")}] = [${Array.from(o.data.subarray(0, 6), (v) => Number(v.toPrecision(5))).join(", ")}${o.data.length > 6 ? ", …" : ""}]\n`));
    return 0;
  },
};
