// Server side of the tfhe backend: evaluation keys + a program → runs encrypted batches. There is
// no way to hand it a secret key: the only key types it takes are SeededEvaluationKeys and
// EvaluationKeys (checked at run time too, against a ClientKey passed through `any`).
import {
  ClientKey, ClientKeySet, EvaluationKeys, EvaluationKeySet, InvalidDataError, LweCiphertextTensor, SeededEvaluationKeys, SeededEvaluationKeySet,
  SeededLweCiphertextTensor, sha256Of,
} from "../../runtime/index.js";
import * as nd from "../../ir/tensor.js";
import { executeTfhe, type ExecuteOptions } from "./execute.js";
import type { TfheProgram } from "./program.js";

/**
 * Encrypted inputs or outputs of a batch: one tensor [batch, ...shape] per value, under the big
 * key (inputs) or, for compacted outputs, the small key of the value's partition.
 */
export interface EncryptedBatch {
  readonly batch: number;
  /**
   * Identifies the client key the ciphertexts belong to (sha256 of its seeded evaluation keys).
   * Mandatory: a server runs only ciphertexts bound to the keys it holds.
   */
  readonly keyId: string;
  readonly values: readonly LweCiphertextTensor[];
}

/** Inputs as a client sends them: seeded tensors (bodies only, the default) or full ones. */
export interface EncryptedInputs {
  readonly batch: number;
  /** Mandatory, as for {@link EncryptedBatch}. */
  readonly keyId: string;
  readonly values: readonly (LweCiphertextTensor | SeededLweCiphertextTensor)[];
}

export type ServerKeys = SeededEvaluationKeys | EvaluationKeys | SeededEvaluationKeySet | EvaluationKeySet;

/** Key identifier shared by a client and its evaluation keys: sha256 of the seeded keys' bytes. */
export function evaluationKeyId(seeded: SeededEvaluationKeys | SeededEvaluationKeySet): string {
  // Hashed chunk by chunk (a set of one partition is that partition's own bytes).
  if (seeded instanceof SeededEvaluationKeys) return seeded.sha256();
  if (seeded.keys.length === 1 && seeded.conversions.length === 0) return seeded.keys[0]!.sha256();
  return sha256Of(seeded.stream());
}

function rejectSecret(keys: unknown): void {
  if (keys instanceof ClientKey || keys instanceof ClientKeySet) {
    throw new TypeError(
      "the tfhe server never takes a secret key (got a ClientKey): send it the evaluation keys " +
        "(client.generateSeededEvaluationKeys(), or TfheClient.generate(...).evaluationKeys)",
    );
  }
  if (!(keys instanceof SeededEvaluationKeys || keys instanceof EvaluationKeys || keys instanceof SeededEvaluationKeySet || keys instanceof EvaluationKeySet)) {
    throw new TypeError("the tfhe server needs SeededEvaluationKeys or EvaluationKeys");
  }
}

export class TfheServer {
  private constructor(
    readonly program: TfheProgram,
    private readonly keys: EvaluationKeySet,
    /** The id of the keys held: inputs bound to another key id (or to none) are refused. */
    readonly keyId: string,
  ) {}

  /**
   * Checks the keys against the program's parameter set and (for seeded keys, the form a client
   * sends) expands them on the runtime's thread pool.
   */
  static async create(program: TfheProgram, keys: ServerKeys, options: { keyId?: string } = {}): Promise<TfheServer> {
    rejectSecret(keys);
    const got = keys instanceof SeededEvaluationKeys || keys instanceof EvaluationKeys ? [keys.params] : keys.params;
    const want = program.evaluatedPartitions();
    if (got.length !== want.length || got.some((p, i) => !p.equals(want[i]!))) {
      const list = (ps: readonly { toString(): string }[]) => ps.map((p) => p.toString()).join(", ");
      throw new InvalidDataError(
        `these evaluation keys were generated for ${list(got)}, but the circuit needs ${list(want)}: ` +
          "generate keys for the circuit's parameter set",
      );
    }
    if (keys instanceof SeededEvaluationKeySet || keys instanceof EvaluationKeySet) {
      const need = program.conversions;
      const have = keys.conversions.map((c) => c.spec);
      if (need.length !== have.length || need.some((c) => !have.some((h) => h.from === c.from && h.to === c.to && h.baseLog === c.baseLog && h.level === c.level))) {
        throw new InvalidDataError("these evaluation keys lack conversion keys the circuit needs: generate keys for the circuit");
      }
    }
    if (keys instanceof SeededEvaluationKeys || keys instanceof SeededEvaluationKeySet) {
      const id = evaluationKeyId(keys);
      if (options.keyId !== undefined && options.keyId !== id) throw new InvalidDataError("the given key id is not the id of these evaluation keys");
      const expanded = keys instanceof SeededEvaluationKeys ? new EvaluationKeySet([await keys.expand()], []) : await keys.expand();
      return new TfheServer(program, expanded, id);
    }
    // Expanded keys carry no id of their own: the one recorded when their seeded form arrived must be passed.
    if (options.keyId === undefined) throw new TypeError("expanded evaluation keys need options.keyId (the id of their seeded form, evaluationKeyId(seeded)) to bind ciphertexts to them");
    return new TfheServer(program, keys instanceof EvaluationKeys ? new EvaluationKeySet([keys], []) : keys, options.keyId);
  }

  /**
   * Frees the expanded keys' native memory now rather than at garbage collection (a key cache
   * dropping this server); the server is unusable after. Keys passed in expanded are freed too.
   */
  release(): void {
    this.keys.release();
  }

  /** Bytes the expanded evaluation keys occupy in memory (what a key cache accounts for). */
  get keyBytes(): number {
    return this.keys.keys.reduce((n, k) => n + k.sizes().total, 0) + this.keys.conversions.reduce((n, c) => n + c.bytes, 0);
  }

  /** PBS the server runs per sample. */
  get pbsPerSample(): number {
    return this.program.pbsPerSample;
  }

  /**
   * Runs the circuit on an encrypted batch (seeded inputs are expanded first); resolves to the
   * encrypted outputs: small-key ciphertexts, one keyswitch after the last operation.
   */
  async run(inputs: EncryptedInputs, options: ExecuteOptions = {}): Promise<EncryptedBatch> {
    const { program } = this;
    const batch = inputs.batch;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    if (typeof inputs.keyId !== "string") {
      throw new InvalidDataError("the inputs carry no key id: ciphertexts must be bound to the client key whose evaluation keys the server holds");
    }
    if (inputs.keyId !== this.keyId) {
      throw new InvalidDataError(
        `the inputs were encrypted under another client key (key id ${inputs.keyId.slice(0, 16)}…) than the server's evaluation keys ` +
          `(key id ${this.keyId.slice(0, 16)}…): encrypt with the key whose evaluation keys the server holds`,
      );
    }
    if (inputs.values.length !== program.inputs.length) {
      throw new InvalidDataError(`the circuit takes ${program.inputs.length} encrypted input(s), got ${inputs.values.length}`);
    }
    inputs.values.forEach((t, i) => {
      if (!(t instanceof LweCiphertextTensor || t instanceof SeededLweCiphertextTensor)) throw new TypeError(`input #${i} is not a ciphertext tensor`);
      const params = program.partitions[program.inputs[i]!.partition ?? 0]!;
      if (t.paramHash !== params.hash()) {
        throw new InvalidDataError(`input #${i} was encrypted for other parameters (0x${t.paramHash.toString(16)}), the circuit uses ${params.toString()}`);
      }
      if (t.dimension !== params.bigDimension) {
        throw new InvalidDataError(`input #${i} has LWE dimension ${t.dimension}; inputs must be big-key ciphertexts (dimension ${params.bigDimension})`);
      }
      const want = batch * nd.sizeOf(program.inputs[i]!.shape);
      if (t.size !== want) {
        throw new InvalidDataError(`input #${i} holds ${t.size} ciphertexts, expected ${batch} sample(s) of shape [${program.inputs[i]!.shape.join(", ")}] = ${want}`);
      }
    });
    const full = inputs.values.map((t) => (t instanceof SeededLweCiphertextTensor ? t.expand() : t));
    const values = await executeTfhe(program, this.keys, full, batch, options);
    return { batch, keyId: this.keyId, values };
  }
}
