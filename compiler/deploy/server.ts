// The server of a deployed model (Concrete ML's FHEModelServer): holds the compiled circuit and
// evaluation keys, computes on ciphertexts. It has no way to take a secret key: its inputs are
// evaluation-key and ciphertext messages, checked to belong to this circuit.
import { fail } from "../../ir/diagnostics.js";
import { type ExecuteOptions, type TfheProgram, TfheServer } from "../../backends/tfhe/index.js";
import { encryptedBatchParser, encryptedBatchStream } from "../../backends/tfhe/batch_io.js";
import { type ByteStream, collect, parseChunks, SeededEvaluationKeys } from "../../runtime/index.js";
import { FheCircuit } from "../circuit.js";
import { type ClientSpec, circuitId, clientSpecOf, messageParser, messageStream } from "./artifacts.js";
import type { ByteSource } from "./client.js";

function chunksOf(b: ByteSource): Iterable<Uint8Array> {
  return b instanceof Uint8Array ? [b] : b;
}
import { lowerCircuit } from "./program.js";

export class FheModelServer {
  readonly circuitId: string;
  private readonly program: TfheProgram;
  private readonly servers = new Map<string, TfheServer>();

  constructor(readonly circuit: FheCircuit) {
    if (!circuit.parameters) fail("E0600", "the circuit has no TFHE parameter set (compiled with --no-params): it can only be simulated");
    this.circuitId = circuitId(circuit);
    this.program = lowerCircuit(circuit);
  }

  static load(bytes: Uint8Array, file = "<memory>"): FheModelServer {
    return new FheModelServer(FheCircuit.deserialize(bytes, file));
  }

  /** What the client needs (no weights), for `circuit.client`. */
  clientSpec(): ClientSpec {
    return clientSpecOf(this.circuit, this.program.inputs, this.program.outputs);
  }

  /** PBS per sample (what a run costs). */
  get pbsPerSample(): number {
    return this.program.pbsPerSample;
  }

  /**
   * Verifies an evaluation-key message (streamed: keys of any size), expands the keys once and
   * keeps them under their id (the sha256 of the seeded keys, computed while reading). Runs then
   * refer to the keys by that id. Adding keys already held parses them again but expands nothing.
   */
  async addEvaluationKeys(evaluationKeys: ByteSource, file = "<evaluation keys>", options: { onExpand?: () => void } = {}): Promise<string> {
    const params = this.program.params;
    const r = parseChunks(messageParser("evaluation-keys", this.circuitId, file, (n) => SeededEvaluationKeys.parser(params, n)), chunksOf(evaluationKeys));
    // The checksum just verified covers exactly these keys' bytes: it is their id.
    const seeded = r.value.knownSha256(r.sha256);
    if (r.keyId !== undefined && r.keyId !== r.sha256) fail("E0700", `'${file}' is not a valid fhec evaluation keys file: its key id is not the id of the keys it holds`);
    if (!this.servers.has(r.sha256)) {
      options.onExpand?.();
      this.servers.set(r.sha256, await TfheServer.create(this.program, seeded));
    }
    seeded.release();
    return r.sha256;
  }

  /** Ids of the evaluation keys this server holds. */
  get keyIds(): readonly string[] {
    return [...this.servers.keys()];
  }

  private async serverFor(keys: string | ByteSource, file: string): Promise<TfheServer> {
    const id = typeof keys === "string" ? keys : await this.addEvaluationKeys(keys, file);
    const server = this.servers.get(id);
    if (!server) fail("E0701", `no evaluation keys with id ${id.slice(0, 16)}… on this server: add them first`);
    return server;
  }

  /**
   * Runs the circuit on encrypted inputs with evaluation keys given by id (see
   * {@link addEvaluationKeys}) or as a message; returns encrypted outputs.
   */
  async run(evaluationKeys: string | ByteSource, inputs: ByteSource, options: ExecuteOptions & { readonly keysFile?: string; readonly inputsFile?: string } = {}): Promise<Uint8Array> {
    return collect(await this.runStream(evaluationKeys, inputs, options));
  }

  /** {@link run} with the encrypted outputs as a stream (write them chunk by chunk). */
  async runStream(evaluationKeys: string | ByteSource, inputs: ByteSource, options: ExecuteOptions & { readonly keysFile?: string; readonly inputsFile?: string } = {}): Promise<ByteStream> {
    const server = await this.serverFor(evaluationKeys, options.keysFile ?? "<evaluation keys>");
    const file = options.inputsFile ?? "<inputs>";
    const params = this.program.params;
    const { value: batch } = parseChunks(messageParser("inputs", this.circuitId, file, () => encryptedBatchParser(params, file)), chunksOf(inputs));
    const out = await server.run(batch, options);
    return messageStream("outputs", this.circuitId, encryptedBatchStream(out), out.keyId);
  }
}
