// Server side of the tfhe backend: evaluation keys + a program → runs encrypted batches. There is
// no way to hand it a secret key: the only key types it takes are SeededEvaluationKeys and
// EvaluationKeys (checked at run time too, against a ClientKey passed through `any`).
import { ClientKey, EvaluationKeys, LweCiphertextTensor, SeededEvaluationKeys } from "../../runtime/index.js";
import * as nd from "../../ir/tensor.js";
import { executeTfhe, type ExecuteOptions } from "./execute.js";
import type { TfheProgram } from "./program.js";

/** Encrypted inputs or outputs of a batch: one big-key tensor [batch, ...shape] per value. */
export interface EncryptedBatch {
  readonly batch: number;
  /** Identifies the client key the ciphertexts belong to (sha256 of its seeded evaluation keys). */
  readonly keyId?: string;
  readonly values: readonly LweCiphertextTensor[];
}

export type ServerKeys = SeededEvaluationKeys | EvaluationKeys;

/** Key identifier shared by a client and its evaluation keys: sha256 of the seeded keys' bytes. */
export function evaluationKeyId(seeded: SeededEvaluationKeys): string {
  return seeded.sha256();
}

function rejectSecret(keys: unknown): void {
  if (keys instanceof ClientKey) {
    throw new TypeError(
      "the tfhe server never takes a secret key (got a ClientKey): send it the evaluation keys " +
        "(client.generateSeededEvaluationKeys(), or TfheClient.generate(...).evaluationKeys)",
    );
  }
  if (!(keys instanceof SeededEvaluationKeys || keys instanceof EvaluationKeys)) {
    throw new TypeError("the tfhe server needs SeededEvaluationKeys or EvaluationKeys");
  }
}

export class TfheServer {
  private constructor(
    readonly program: TfheProgram,
    private readonly keys: EvaluationKeys,
    /** Set when the server was given seeded keys: inputs carrying another key id are rejected. */
    readonly keyId: string | undefined,
  ) {}

  /**
   * Checks the keys against the program's parameter set and (for seeded keys, the form a client
   * sends) expands them on the runtime's thread pool.
   */
  static async create(program: TfheProgram, keys: ServerKeys, options: { keyId?: string } = {}): Promise<TfheServer> {
    rejectSecret(keys);
    if (!keys.params.equals(program.params)) {
      throw new Error(
        `these evaluation keys were generated for ${keys.params.toString()}, but the circuit needs ${program.params.toString()}: ` +
          "generate keys for the circuit's parameter set",
      );
    }
    if (keys instanceof SeededEvaluationKeys) {
      const id = evaluationKeyId(keys);
      if (options.keyId !== undefined && options.keyId !== id) throw new Error("the given key id is not the id of these evaluation keys");
      return new TfheServer(program, await keys.expand(), id);
    }
    // Expanded keys carry no id of their own: the one recorded when their seeded form arrived may be passed.
    return new TfheServer(program, keys, options.keyId);
  }

  /** PBS the server runs per sample. */
  get pbsPerSample(): number {
    return this.program.pbsPerSample;
  }

  /** Runs the circuit on an encrypted batch; resolves to the encrypted outputs. */
  async run(inputs: EncryptedBatch, options: ExecuteOptions = {}): Promise<EncryptedBatch> {
    const { program } = this;
    const batch = inputs.batch;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    if (this.keyId !== undefined && inputs.keyId !== undefined && inputs.keyId !== this.keyId) {
      throw new Error(
        `the inputs were encrypted under another client key (key id ${inputs.keyId.slice(0, 16)}…) than the server's evaluation keys ` +
          `(key id ${this.keyId.slice(0, 16)}…): encrypt with the key whose evaluation keys the server holds`,
      );
    }
    if (inputs.values.length !== program.inputs.length) {
      throw new Error(`the circuit takes ${program.inputs.length} encrypted input(s), got ${inputs.values.length}`);
    }
    const hash = program.params.hash();
    inputs.values.forEach((t, i) => {
      if (!(t instanceof LweCiphertextTensor)) throw new TypeError(`input #${i} is not an LweCiphertextTensor`);
      if (t.paramHash !== hash) {
        throw new Error(`input #${i} was encrypted for other parameters (0x${t.paramHash.toString(16)}), the circuit uses ${program.params.toString()}`);
      }
      if (t.dimension !== program.params.bigDimension) {
        throw new Error(`input #${i} has LWE dimension ${t.dimension}; inputs must be big-key ciphertexts (dimension ${program.params.bigDimension})`);
      }
      const want = batch * nd.sizeOf(program.inputs[i]!.shape);
      if (t.size !== want) {
        throw new Error(`input #${i} holds ${t.size} ciphertexts, expected ${batch} sample(s) of shape [${program.inputs[i]!.shape.join(", ")}] = ${want}`);
      }
    });
    const values = await executeTfhe(program, this.keys, inputs.values, batch, options);
    return this.keyId !== undefined ? { batch, keyId: this.keyId, values } : { batch, values };
  }
}
