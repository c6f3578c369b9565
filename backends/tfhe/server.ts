// Server side of the tfhe backend: evaluation keys + a program → runs encrypted batches. There is
// no way to hand it a secret key: the only key types it takes are SeededEvaluationKeys and
// EvaluationKeys (checked at run time too, against a ClientKey passed through `any`).
import { createHash } from "node:crypto";
import { ClientKey, ClientKeySet, EvaluationKeys, EvaluationKeySet, LweCiphertextTensor, SeededEvaluationKeys, SeededEvaluationKeySet } from "../../runtime/index.js";
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

export type ServerKeys = SeededEvaluationKeys | EvaluationKeys | SeededEvaluationKeySet | EvaluationKeySet;

/** Key identifier shared by a client and its evaluation keys: sha256 of the seeded keys' bytes. */
export function evaluationKeyId(seeded: SeededEvaluationKeys | SeededEvaluationKeySet): string {
  // One key set: hashed chunk by chunk; a multi-partition set hashes its (set-format) bytes.
  if (seeded instanceof SeededEvaluationKeys) return seeded.sha256();
  if (seeded.keys.length === 1 && seeded.conversions.length === 0) return seeded.keys[0]!.sha256();
  return createHash("sha256").update(seeded.serialize()).digest("hex");
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
    /** Set when the server was given seeded keys: inputs carrying another key id are rejected. */
    readonly keyId: string | undefined,
  ) {}

  /**
   * Checks the keys against the program's parameter set and (for seeded keys, the form a client
   * sends) expands them on the runtime's thread pool.
   */
  static async create(program: TfheProgram, keys: ServerKeys, options: { keyId?: string } = {}): Promise<TfheServer> {
    rejectSecret(keys);
    const got = keys instanceof SeededEvaluationKeys || keys instanceof EvaluationKeys ? [keys.params] : keys.params;
    const want = program.partitions;
    if (got.length !== want.length || got.some((p, i) => !p.equals(want[i]!))) {
      const list = (ps: readonly { toString(): string }[]) => ps.map((p) => p.toString()).join(", ");
      throw new Error(
        `these evaluation keys were generated for ${list(got)}, but the circuit needs ${list(want)}: ` +
          "generate keys for the circuit's parameter set",
      );
    }
    if (keys instanceof SeededEvaluationKeySet) {
      const need = program.conversions;
      const have = keys.conversions.map((c) => c.spec);
      if (need.length !== have.length || need.some((c) => !have.some((h) => h.from === c.from && h.to === c.to && h.baseLog === c.baseLog && h.level === c.level))) {
        throw new Error("these evaluation keys lack conversion keys the circuit needs: generate keys for the circuit");
      }
    }
    if (keys instanceof SeededEvaluationKeys || keys instanceof SeededEvaluationKeySet) {
      const id = evaluationKeyId(keys);
      if (options.keyId !== undefined && options.keyId !== id) throw new Error("the given key id is not the id of these evaluation keys");
      const expanded = keys instanceof SeededEvaluationKeys ? new EvaluationKeySet([await keys.expand()], []) : await keys.expand();
      return new TfheServer(program, expanded, id);
    }
    // Expanded keys carry no id of their own: the one recorded when their seeded form arrived may be passed.
    return new TfheServer(program, keys instanceof EvaluationKeys ? new EvaluationKeySet([keys], []) : keys, options.keyId);
  }

  /** Bytes the expanded evaluation keys occupy in memory (what a key cache accounts for). */
  get keyBytes(): number {
    return this.keys.keys.reduce((n, k) => n + k.sizes().total, 0) + this.keys.conversions.reduce((n, c) => n + c.bytes, 0);
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
    inputs.values.forEach((t, i) => {
      if (!(t instanceof LweCiphertextTensor)) throw new TypeError(`input #${i} is not an LweCiphertextTensor`);
      const params = program.partitions[program.inputs[i]!.partition ?? 0]!;
      if (t.paramHash !== params.hash()) {
        throw new Error(`input #${i} was encrypted for other parameters (0x${t.paramHash.toString(16)}), the circuit uses ${params.toString()}`);
      }
      if (t.dimension !== params.bigDimension) {
        throw new Error(`input #${i} has LWE dimension ${t.dimension}; inputs must be big-key ciphertexts (dimension ${params.bigDimension})`);
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
