// The client/server commands: keygen, encrypt (client), run (server), decrypt (client).
import { existsSync, mkdirSync } from "node:fs";
import { fail } from "../../../ir/diagnostics.js";
import { ioError, writeArtifactSetAsync } from "../../stream_io.js";
import type { ByteStream } from "../../../backends/tfhe/index.js";
import { checkOutputPaths } from "../output_paths.js";
import { join } from "node:path";
import { FheModelClient } from "../../deploy/client.js";
import { messageKeyId } from "../../deploy/artifacts.js";
import { FheModelServer } from "../../deploy/server.js";
import { type Command, requiredPositional, stringOption, UsageError } from "../command.js";
import { bindInputs } from "../inputs.js";
import { openFileChunks, writeStreamAtomic } from "../io.js";
import { writeOutputs } from "../circuit_io.js";
import { byteProgress, formatBytes, progressBar, reportingChunks, withByteProgress } from "../progress.js";
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

/**
 * The client of `fhec encrypt` and `fhec decrypt`: its spec with the secret key of --keys, once
 * `output` (if any) is checked against every file the command reads.
 */
function clientWithKeys(args: Parameters<Command["run"]>[0], specPath: string, output: string | undefined, inputs: readonly string[]): FheModelClient {
  const dir = keysDir(args);
  if (output) checkOutputPaths([output], [specPath, join(dir, SECRET_KEY), join(dir, EVAL_KEY), ...inputs]);
  return withSecretKey(loadClient(specPath), dir);
}

function withSecretKey(client: FheModelClient, dir: string): FheModelClient {
  const path = join(dir, SECRET_KEY);
  client.loadSecretKey(wipedAfterUse(openFileChunks(path, "secret key").chunks()), path);
  // The key directory is one set: an eval.key beside it must be the one made with this key
  // (a keygen killed between its two renames, or files copied from two runs, would mix them).
  const evalPath = join(dir, EVAL_KEY);
  if (existsSync(evalPath)) {
    const first = openFileChunks(evalPath, "evaluation keys").chunks(64 * 1024)[Symbol.iterator]().next();
    const id = first.done ? undefined : messageKeyId(first.value, "evaluation-keys", client.spec.circuitId, evalPath);
    if (id !== client.keyId) {
      fail("E0700", `'${dir}' holds a ${SECRET_KEY} and an ${EVAL_KEY} of different key generations: run fhec keygen --force to make a consistent set`);
    }
  }
  return client;
}

/** The chunks, each zeroed once the reader is done with it (they hold secret-key bytes). */
function* wipedAfterUse(chunks: Iterable<Uint8Array>): Iterable<Uint8Array> {
  for (const c of chunks) {
    yield c;
    c.fill(0);
  }
}

/** A file's chunks, with a byte progress line on terminals. */
function readChunks(ctx: CommandContext, path: string, what: string): Iterable<Uint8Array> {
  const f = openFileChunks(path, what);
  return reportingChunks(f.chunks(), f.size, byteProgress(ctx, `reading ${what}`));
}

export const keygenCommand: Command = {
  name: "keygen",
  summary: "Client: generate the secret key and the evaluation keys for a circuit",
  help: `usage: fhec keygen <circuit.client> --out DIR [--force]

Writes DIR/${SECRET_KEY} (keep it on the client; mode 0600) and DIR/${EVAL_KEY} (seeded evaluation
keys: send them to the server once), as one set. Keys come from the operating system's CSPRNG.
The evaluation keys go to disk as they are generated, one partition's keys at a time: memory
holds the largest partition's seeded keys, never the whole set (fhec info shows their sizes).

options:
  --out=DIR           the directory to write the keys to (created if needed)
  --force             replace keys already in DIR (everything encrypted under them is lost)
`,
  options: { out: { type: "string" }, force: { type: "boolean" } },
  async run(args, ctx) {
    const specPath = requiredPositional(args, 0, "client spec (circuit.client)");
    const out = stringOption(args, "out");
    if (!out) throw new UsageError("missing --out DIR");
    const existing = [SECRET_KEY, EVAL_KEY].filter((f) => existsSync(join(out, f)));
    if (existing.length > 0 && !args.values["force"]) {
      fail("E0400", `'${out}' already holds keys (${existing.join(", ")}): anything encrypted under them would be lost. Use another directory, or --force to replace them`);
    }
    const client = loadClient(specPath);
    try {
      mkdirSync(out, { recursive: true });
    } catch (err) {
      fail("E0400", `cannot create the key directory '${out}': ${ioError(err, true)}`);
    }
    checkOutputPaths([join(out, SECRET_KEY), join(out, EVAL_KEY)], [specPath]);
    // The evaluation keys go to disk as they are generated, one partition's keys at a time: peak
    // memory is the largest partition's seeded keys plus one chunk. The two files are one set
    // (their envelopes share the key id, checked when the client loads them); the secret key's
    // file, which names the id, is written once the evaluation keys are.
    const size = client.evaluationKeyMessageBytes;
    let secretKey: ByteStream | undefined;
    await withByteProgress(ctx, `generating ${EVAL_KEY}`, size, (report) => writeArtifactSetAsync([
      {
        path: join(out, EVAL_KEY), size, onProgress: (done) => report(done),
        produce: async (o) => {
          secretKey = (await client.writeKeys(o)).secretKey;
        },
      },
      { path: join(out, SECRET_KEY), data: () => secretKey!, mode: 0o600, wipeChunks: true },
    ]));
    ctx.stderr(`wrote ${join(out, SECRET_KEY)} (secret: keep it) and ${join(out, EVAL_KEY)} (${formatBytes(size)}, for the server)\n`);
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
    const specPath = requiredPositional(args, 0, "client spec (circuit.client)");
    const output = stringOption(args, "output");
    if (!output) throw new UsageError("missing -o/--output");
    const specs = (args.values["input"] as string[] | undefined) ?? [];
    if (specs.length === 0) throw new UsageError("missing --input");
    const client = clientWithKeys(args, specPath, output, specs);
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

options:
  --eval-keys=FILE    the client's evaluation keys (DIR/${EVAL_KEY} from fhec keygen)
  -i, --input=FILE    the encrypted inputs (from fhec encrypt)
  -o, --output=FILE   the encrypted results, for fhec decrypt
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
    checkOutputPaths([output], [circuitPath, keysPath, input]);
    // One key set, used once: the key cache's bound (fhec serve's --max-key-cache) does not apply.
    const server = FheModelServer.load(openFileChunks(circuitPath, "circuit").chunks(), circuitPath, { maxKeyCacheBytes: Number.POSITIVE_INFINITY });
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
    const specPath = requiredPositional(args, 0, "client spec (circuit.client)");
    const input = stringOption(args, "input");
    if (!input) throw new UsageError("missing --input FILE (from fhec run)");
    const output = stringOption(args, "output");
    const client = clientWithKeys(args, specPath, output, [input]);
    const outs = client.decrypt(readChunks(ctx, input, "encrypted result"), input);
    if (output) writeOutputs(output, outs, client.outputLayout);
    else outs.forEach((o, i) => ctx.stdout(`output ${i}: [${o.shape.join(", ")}] = [${Array.from(o.data.subarray(0, 6), (v) => Number(v.toPrecision(5))).join(", ")}${o.data.length > 6 ? ", …" : ""}]\n`));
    return 0;
  },
};
