// Deployment artifacts. The server artifact is the circuit (`circuit.fhe`: the integer program
// with its weights and parameter set). The client spec (`circuit.client`) holds what the client
// needs and nothing else: the parameter set, the input quantizers, the output de-quantizers, the
// encrypted signature and the post-processing — never the weights. Messages between them (keys,
// ciphertexts) are wrapped in an envelope naming the circuit they belong to.
import { createHash } from "node:crypto";
import { fail } from "../../ir/diagnostics.js";
import { printModule } from "../../ir/printer.js";
import type { CryptoParameters } from "../../passes/params/index.js";
import { type FheCircuit, type InputQuantizer, type OutputDequantizer } from "../circuit.js";

/** How one encrypted argument or result is encoded. */
export interface EncryptedSignature {
  /** Per-sample shape in the circuit (batch dimension 1). */
  readonly shape: readonly number[];
  readonly width: number;
  readonly signed: boolean;
}

export interface ClientSpec {
  /** sha256 of the circuit's program: binds keys and ciphertexts to one circuit. */
  readonly circuitId: string;
  readonly parameters: CryptoParameters;
  readonly inputs: readonly (InputQuantizer & { readonly encrypted: EncryptedSignature })[];
  readonly outputs: readonly (OutputDequantizer & { readonly encrypted: EncryptedSignature })[];
  /** The client's float post-processing, as `onnx`-dialect IR text. */
  readonly postprocess: string;
}

const CLIENT_MAGIC = Buffer.from("FHECCLNT", "latin1");
const MESSAGE_MAGIC = Buffer.from("FHECMSG\0", "latin1");
export const CLIENT_FORMAT_VERSION = 1;
export const MESSAGE_FORMAT_VERSION = 1;

export function circuitId(circuit: FheCircuit): string {
  return createHash("sha256").update(printModule(circuit.module)).digest("hex");
}

/** A length-prefixed container: 8-byte magic, u32 version, u32 header length, JSON header, payload. */
function pack(magic: Buffer, version: number, header: unknown, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = Buffer.from(JSON.stringify(header), "utf8");
  const fixed = Buffer.alloc(16);
  magic.copy(fixed, 0);
  fixed.writeUInt32LE(version, 8);
  fixed.writeUInt32LE(h.length, 12);
  return new Uint8Array(Buffer.concat([fixed, h, payload]));
}

function unpack(bytes: Uint8Array, magic: Buffer, version: number, what: string, file: string): { header: Record<string, unknown>; payload: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => fail("E0700", `'${file}' is not a valid ${what}: ${why}`);
  if (buf.length < 16 || !buf.subarray(0, 8).equals(magic)) bad(`wrong magic (expected ${JSON.stringify(magic.toString("latin1").replace(/\0/g, ""))})`);
  const v = buf.readUInt32LE(8);
  if (v !== version) bad(`format version ${v}, this fhec reads version ${version}`);
  const len = buf.readUInt32LE(12);
  if (16 + len > buf.length) bad("truncated header");
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8"));
  } catch {
    return bad("corrupt header");
  }
  if (typeof header !== "object" || header === null) return bad("corrupt header");
  return { header: header as Record<string, unknown>, payload: new Uint8Array(buf.subarray(16 + len)) };
}

export function clientSpecOf(circuit: FheCircuit, encryptedInputs: readonly EncryptedSignature[], encryptedOutputs: readonly EncryptedSignature[]): ClientSpec {
  if (!circuit.parameters) fail("E0600", "the circuit has no TFHE parameter set (it was compiled for simulation only): compile it without --no-params");
  return {
    circuitId: circuitId(circuit),
    parameters: circuit.parameters,
    inputs: circuit.inputs.map((q, i) => ({ ...q, encrypted: encryptedInputs[i]! })),
    outputs: circuit.outputs.map((d, i) => ({ ...d, encrypted: encryptedOutputs[i]! })),
    postprocess: circuit.postprocessText,
  };
}

export function serializeClientSpec(spec: ClientSpec): Uint8Array {
  return pack(CLIENT_MAGIC, CLIENT_FORMAT_VERSION, { format: "fhec-client", ...spec });
}

export function deserializeClientSpec(bytes: Uint8Array, file = "<memory>"): ClientSpec {
  const { header } = unpack(bytes, CLIENT_MAGIC, CLIENT_FORMAT_VERSION, "fhec client spec", file);
  const need = ["circuitId", "parameters", "inputs", "outputs", "postprocess"];
  const missing = need.filter((k) => !(k in header));
  if (missing.length > 0) fail("E0700", `'${file}' is not a valid fhec client spec: missing ${missing.join(", ")}`);
  return header as unknown as ClientSpec;
}

export type MessageKind = "evaluation-keys" | "inputs" | "outputs" | "secret-key";

/** Wraps keys or ciphertexts with the circuit (and key) they belong to. */
export function packMessage(kind: MessageKind, circuit: string, payload: Uint8Array, keyId?: string): Uint8Array {
  return pack(MESSAGE_MAGIC, MESSAGE_FORMAT_VERSION, { kind, circuitId: circuit, ...(keyId ? { keyId } : {}), bytes: payload.length, sha256: createHash("sha256").update(payload).digest("hex") }, payload);
}

export function unpackMessage(bytes: Uint8Array, kind: MessageKind, circuit: string, file = "<memory>"): { payload: Uint8Array; keyId?: string } {
  const what = kind.replace("-", " ");
  const { header, payload } = unpack(bytes, MESSAGE_MAGIC, MESSAGE_FORMAT_VERSION, `fhec ${what} file`, file);
  if (header["kind"] !== kind) fail("E0700", `'${file}' holds ${String(header["kind"]).replace("-", " ")}, not ${what}`);
  if (header["circuitId"] !== circuit) {
    fail("E0700", `'${file}' belongs to another circuit (id ${String(header["circuitId"]).slice(0, 12)}…, this one is ${circuit.slice(0, 12)}…): use the files made for this circuit`);
  }
  if (header["bytes"] !== payload.length) fail("E0700", `'${file}' is truncated: ${payload.length} of ${String(header["bytes"])} bytes`);
  if (createHash("sha256").update(payload).digest("hex") !== header["sha256"]) fail("E0700", `'${file}' is corrupted (checksum mismatch)`);
  const keyId = typeof header["keyId"] === "string" ? header["keyId"] : undefined;
  return keyId ? { payload, keyId } : { payload };
}
