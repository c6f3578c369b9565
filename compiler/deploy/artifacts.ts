// Deployment artifacts. The server artifact is the circuit (`circuit.fhe`: the integer program
// with its weights and parameter set). The client spec (`circuit.client`) holds what the client
// needs and nothing else: the parameter set, the input quantizers, the output de-quantizers, the
// encrypted signature and the post-processing — never the weights. Messages between them (keys,
// ciphertexts) are wrapped in an envelope naming the circuit they belong to.
import { createHash } from "node:crypto";
import { fail } from "../../ir/diagnostics.js";
import { printModule } from "../../ir/printer.js";
import { type ByteStream, type ChunkSink, collect, collectingSink, InvalidDataError, parseChunks, sha256Of } from "../../backends/tfhe/index.js";
import { validateClientSpec } from "./client_spec_schema.js";
import { containerParser, containerStream, packContainer, unpackContainer } from "../container.js";
import type { RewritableOutput } from "../stream_io.js";
import type { FheCircuit } from "../circuit.js";
import type { ClientSpec, EncryptedSignature } from "./client_spec.js";

export type { ClientSpec, EncryptedSignature };

const CLIENT_MAGIC = Buffer.from("FHECCLNT", "latin1");
const MESSAGE_MAGIC = Buffer.from("FHECMSG\0", "latin1");
/** 2: the header carries the sha256 of its own fields (version 1 had no integrity check). */
export const CLIENT_FORMAT_VERSION = 2;
export const MESSAGE_FORMAT_VERSION = 1;

export function circuitId(circuit: FheCircuit): string {
  return createHash("sha256").update(printModule(circuit.module)).digest("hex");
}

export function clientSpecOf(circuit: FheCircuit, encryptedInputs: readonly EncryptedSignature[], encryptedOutputs: readonly EncryptedSignature[]): ClientSpec {
  if (!circuit.parameters) fail("E0600", "the circuit has no TFHE parameter set (it was compiled for simulation only): compile it without --no-params");
  return {
    circuitId: circuitId(circuit),
    parameters: circuit.parameters,
    ...(circuit.partitions ? { partitions: circuit.partitions.partitions, conversions: circuit.partitions.conversions } : {}),
    ...(circuit.partitions?.outputKey !== undefined ? { outputKey: circuit.partitions.outputKey } : {}),
    inputs: circuit.inputs.map((q, i) => ({ ...q, encrypted: encryptedInputs[i]! })),
    outputs: circuit.outputs.map((d, i) => ({ ...d, encrypted: encryptedOutputs[i]! })),
    postprocess: circuit.postprocessText,
  };
}

/** sha256 of a spec header's fields, as the JSON text they serialize to (key order included). */
function specDigest(fields: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex");
}

export function serializeClientSpec(spec: ClientSpec): Uint8Array {
  const fields = { format: "fhec-client", ...spec };
  return packContainer(CLIENT_MAGIC, CLIENT_FORMAT_VERSION, { ...fields, sha256: specDigest(fields) });
}

/**
 * Reads a client spec: the checksum first (a flipped digit is corruption, not a different model),
 * then every field (client_spec_schema.ts), each problem one clear error.
 */
export function deserializeClientSpec(bytes: Uint8Array | Iterable<Uint8Array>, file = "<memory>"): ClientSpec {
  const { header } = unpackContainer(bytes, CLIENT_MAGIC, CLIENT_FORMAT_VERSION, "fhec client spec", file);
  const { sha256, ...fields } = header;
  if (typeof sha256 !== "string") throw new InvalidDataError(`'${file}' is not a valid fhec client spec: no checksum`);
  if (specDigest(fields) !== sha256) throw new InvalidDataError(`'${file}' is corrupted (client spec checksum mismatch): use the .client file written with the circuit`);
  if (fields["format"] !== "fhec-client") throw new InvalidDataError(`'${file}' is not a valid fhec client spec: format ${JSON.stringify(fields["format"])}`);
  return validateClientSpec(fields, file);
}

export type MessageKind = "evaluation-keys" | "inputs" | "outputs" | "secret-key";

/**
 * A message as a stream: the envelope (kind, circuit, key id, payload length and sha256) then the
 * payload. The sha256 is computed by a first pass over the payload unless the caller knows it.
 */
export function messageStream(kind: MessageKind, circuit: string, payload: ByteStream, keyId?: string, sha256?: string): ByteStream {
  const digest = sha256 ?? sha256Of(payload);
  return containerStream(MESSAGE_MAGIC, MESSAGE_FORMAT_VERSION, messageHeader(kind, circuit, payload.size, digest, keyId), payload);
}

function messageHeader(kind: MessageKind, circuit: string, bytes: number, sha256: string, keyId?: string): Record<string, unknown> {
  return { kind, circuitId: circuit, ...(keyId ? { keyId } : {}), bytes, sha256 };
}

/** The envelope of an evaluation-key message whose key id is its payload's sha256 (`digest`, 64 hex digits). */
function keyEnvelope(circuit: string, payloadBytes: number, digest: string): Uint8Array {
  return collect(containerStream(MESSAGE_MAGIC, MESSAGE_FORMAT_VERSION, messageHeader("evaluation-keys", circuit, payloadBytes, digest, digest)));
}

/** Stands for a sha256 not known yet: as long as the real one, so the envelope keeps its length. */
const PENDING_SHA256 = "0".repeat(64);

/** Bytes of the evaluation-key message {@link writeKeyMessage} writes for a payload of `payloadBytes`. */
export function keyMessageBytes(circuit: string, payloadBytes: number): number {
  return keyEnvelope(circuit, payloadBytes, PENDING_SHA256).length + payloadBytes;
}

/**
 * Writes an evaluation-key message whose payload is produced while it is written (keys go to the
 * file as they are generated, so nothing can hash them first). The envelope goes out first with
 * the payload's length (known in advance) and a placeholder for the key id and checksum; then the
 * payload, as `produce` writes it; `produce` returns the payload's sha256 (the key id), and the
 * envelope is rewritten in place with it, its length unchanged. The bytes are those
 * messageStream gives for the same payload: the format and its reader are the same.
 */
export async function writeKeyMessage(out: RewritableOutput, circuit: string, payloadBytes: number,
  produce: (write: (chunk: Uint8Array) => void) => Promise<string>): Promise<string> {
  const pending = keyEnvelope(circuit, payloadBytes, PENDING_SHA256);
  out.write(pending);
  let seen = 0;
  const digest = await produce((chunk) => {
    seen += chunk.length;
    out.write(chunk);
  });
  if (seen !== payloadBytes) throw new Error(`internal error: the evaluation keys were announced as ${payloadBytes} bytes but are ${seen}`);
  if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error("internal error: the key id is not a sha256");
  const envelope = keyEnvelope(circuit, payloadBytes, digest);
  if (envelope.length !== pending.length) throw new Error("internal error: the evaluation-key envelope changed length");
  out.rewrite(0, envelope);
  return digest;
}

export interface MessageContents<T> {
  readonly value: T;
  readonly keyId?: string;
  /** sha256 of the payload, checked against the envelope. */
  readonly sha256: string;
}

/**
 * An incremental message reader: checks the envelope, then streams the payload into the sink
 * `inner` builds, hashing as it goes. Problems are reported in the order that explains them
 * best: a truncated file, then a checksum mismatch, then the payload's own parse error.
 */
export function messageParser<T>(kind: MessageKind, circuit: string, file: string,
  inner: (totalBytes: number, keyId: string | undefined) => ChunkSink<T>): ChunkSink<MessageContents<T>> {
  const what = kind.replace("-", " ");
  return containerParser(MESSAGE_MAGIC, MESSAGE_FORMAT_VERSION, `fhec ${what} file`, file, (header) => {
    if (header["kind"] !== kind) fail("E0700", `'${file}' holds ${String(header["kind"]).replace("-", " ")}, not ${what}`);
    if (header["circuitId"] !== circuit) {
      fail("E0702", `'${file}' belongs to another circuit (id ${String(header["circuitId"]).slice(0, 12)}…, this one is ${circuit.slice(0, 12)}…): use the files made for this circuit`);
    }
    const announced = header["bytes"];
    if (typeof announced !== "number" || !Number.isSafeInteger(announced) || announced < 0) fail("E0700", `'${file}' is not a valid fhec ${what} file: bad payload length`);
    const keyId = typeof header["keyId"] === "string" ? header["keyId"] : undefined;
    const hash = createHash("sha256");
    const sink = inner(announced, keyId);
    let seen = 0;
    let failure: unknown;
    return {
      push(chunk: Uint8Array) {
        hash.update(chunk);
        const room = Math.max(0, announced - seen);
        seen += chunk.length;
        if (failure !== undefined) return;
        try {
          sink.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        } catch (e) {
          failure = e; // reported at the end unless the file is truncated or corrupted
        }
      },
      abort: () => sink.abort?.(),
      finish() {
        const sha256 = hash.digest("hex");
        try {
          if (seen !== announced) fail("E0700", `'${file}' is truncated: ${seen} of ${announced} bytes`);
          if (sha256 !== header["sha256"]) fail("E0700", `'${file}' is corrupted (checksum mismatch)`);
          if (failure !== undefined) throw failure;
        } catch (e) {
          sink.abort?.();
          throw e;
        }
        const value = sink.finish();
        return keyId ? { value, keyId, sha256 } : { value, sha256 };
      },
    };
  });
}

/**
 * The key id a message file announces, read from its envelope alone (the first chunk): binds the
 * files of one key set without reading gigabytes of keys.
 */
export function messageKeyId(firstChunk: Uint8Array, kind: MessageKind, circuit: string, file: string): string | undefined {
  let keyId: string | undefined;
  let seen = false;
  const parser = messageParser(kind, circuit, file, (_n, id) => {
    keyId = id;
    seen = true;
    return { push: () => {}, finish: () => undefined };
  });
  parser.push(firstChunk);
  if (!seen) fail("E0700", `'${file}' is not a valid fhec ${kind.replace("-", " ")} file: truncated header`);
  return keyId;
}

export function unpackMessage(bytes: Uint8Array | Iterable<Uint8Array>, kind: MessageKind, circuit: string, file = "<memory>"): { payload: Uint8Array; keyId?: string } {
  const r = parseChunks(messageParser(kind, circuit, file, () => collectingSink()), bytes instanceof Uint8Array ? [bytes] : bytes);
  return r.keyId ? { payload: r.value, keyId: r.keyId } : { payload: r.value };
}
