// The server of a deployed model (Concrete ML's FHEModelServer): holds the compiled circuit and
// evaluation keys, computes on ciphertexts. It has no way to take a secret key: its inputs are
// evaluation-key and ciphertext messages, checked to belong to this circuit.
import { fail } from "../../ir/diagnostics.js";
import { deserializeEncryptedBatch, type ExecuteOptions, serializeEncryptedBatch, type TfheProgram, TfheServer } from "../../backends/tfhe/index.js";
import { SeededEvaluationKeySet } from "../../runtime/index.js";
import { FheCircuit } from "../circuit.js";
import { type ClientSpec, circuitId, clientSpecOf, packMessage, unpackMessage } from "./artifacts.js";
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

  private async serverFor(evaluationKeys: Uint8Array, file: string): Promise<TfheServer> {
    const { payload, keyId } = unpackMessage(evaluationKeys, "evaluation-keys", this.circuitId, file);
    const cached = keyId ? this.servers.get(keyId) : undefined;
    if (cached) return cached;
    // One partition: the single key's bytes; several: a key set (checked against every partition).
    const set = SeededEvaluationKeySet.deserialize(payload, this.program.partitions, this.program.conversions);
    const server = await TfheServer.create(this.program, set.keys.length === 1 && set.conversions.length === 0 ? set.keys[0]! : set);
    if (keyId) this.servers.set(keyId, server);
    return server;
  }

  /** Runs the circuit on encrypted inputs with the client's evaluation keys; returns encrypted outputs. */
  async run(evaluationKeys: Uint8Array, inputs: Uint8Array, options: ExecuteOptions & { readonly keysFile?: string; readonly inputsFile?: string } = {}): Promise<Uint8Array> {
    const server = await this.serverFor(evaluationKeys, options.keysFile ?? "<evaluation keys>");
    const { payload } = unpackMessage(inputs, "inputs", this.circuitId, options.inputsFile ?? "<inputs>");
    const batch = deserializeEncryptedBatch(payload, this.program.inputs.map((i) => this.program.partitions[i.partition ?? 0]!), options.inputsFile ?? "<inputs>");
    const out = await server.run(batch, options);
    return packMessage("outputs", this.circuitId, serializeEncryptedBatch(out), out.keyId);
  }
}
