// The server of a deployed model (Concrete ML's FHEModelServer): holds the compiled circuit and
// evaluation keys, computes on ciphertexts. It has no way to take a secret key: its inputs are
// evaluation-key and ciphertext messages, checked to belong to this circuit.
import { fail } from "../../ir/diagnostics.js";
import { type ExecuteOptions, type TfheProgram, TfheServer } from "../../backends/tfhe/index.js";
import { encryptedBatchParser, encryptedBatchStream } from "../../backends/tfhe/batch_io.js";
import { type ByteStream, type ChunkSink, collect, type EvaluationKeys, type EvaluationKeySet, parseChunks, SeededEvaluationKeys, SeededEvaluationKeySet } from "../../runtime/index.js";
import { FheCircuit } from "../circuit.js";
import { type ClientSpec, circuitId, clientSpecOf, messageParser, messageStream } from "./artifacts.js";
import type { ByteSource } from "./client.js";

/** A sink that only lets the message parser hash the bytes (keys this server already holds). */
function discard(): ChunkSink<undefined> {
  return { push: () => {}, finish: () => undefined };
}

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

  static load(bytes: ByteSource, file = "<memory>"): FheModelServer {
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
   * Verifies an evaluation-key message (streamed: keys of any size) and expands the keys while
   * reading them, straight into their final layout; keeps them under their id (the sha256 of the
   * seeded keys, checked while reading). Runs then refer to the keys by that id. Keys already
   * held are only hashed again, not expanded.
   */
  async addEvaluationKeys(evaluationKeys: ByteSource, file = "<evaluation keys>"): Promise<string> {
    const { params, partitions, conversions } = this.program;
    // One partition: its seeded keys; several: a key set, each partition expanded as it arrives.
    const expanding = (n: number): ChunkSink<EvaluationKeys | EvaluationKeySet> =>
      partitions.length > 1 ? SeededEvaluationKeySet.expandingParser(partitions, conversions) : SeededEvaluationKeys.expandingParser(params, n);
    const r = parseChunks(messageParser("evaluation-keys", this.circuitId, file, (n, claimed): ChunkSink<EvaluationKeys | EvaluationKeySet | undefined> =>
      claimed !== undefined && this.servers.has(claimed) ? discard() : expanding(n)), chunksOf(evaluationKeys));
    // The checksum just verified covers exactly the seeded keys' bytes: it is their id.
    if (r.keyId !== undefined && r.keyId !== r.sha256) fail("E0700", `'${file}' is not a valid fhec evaluation keys file: its key id is not the id of the keys it holds`);
    if (r.value) this.servers.set(r.sha256, await TfheServer.create(this.program, r.value, { keyId: r.sha256 }));
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
    const expected = this.program.inputs.map((i) => this.program.partitions[i.partition ?? 0]!);
    const { value: batch } = parseChunks(messageParser("inputs", this.circuitId, file, () => encryptedBatchParser(expected, file)), chunksOf(inputs));
    const out = await server.run(batch, options);
    return messageStream("outputs", this.circuitId, encryptedBatchStream(out), out.keyId);
  }
}
