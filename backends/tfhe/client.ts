// Client side of the tfhe backend: key generation, encryption of integer inputs (the BatchTensor
// the clear backend takes) and decryption of outputs with each value's precision and signedness.
import { createHash } from "node:crypto";
import {
  type ByteStream, bytesStream, ClientKey, ClientKeySet, InvalidDataError, type KeyGenOptions, type LweCiphertextTensor, type SeededEvaluationKeys, type SeededEvaluationKeySet,
} from "../../runtime/index.js";
import * as nd from "../../ir/tensor.js";
import { decodeAt, encodeAt } from "./encoding.js";
import { type EncryptedValueSpec, specRange, type TfheClientSpec } from "./program.js";
import { type EncryptedBatch, type EncryptedInputs, evaluationKeyId } from "./server.js";

/** A batch of integer tensors: `batch` samples of per-sample `shape`, sample after sample. */
export interface IntBatch {
  readonly batch: number;
  readonly shape: readonly number[];
  readonly data: Float64Array | Int32Array;
}

export class TfheClient {
  private constructor(
    readonly spec: TfheClientSpec,
    private readonly keys: ClientKeySet,
    /** sha256 of the seeded evaluation keys generated with this key (matches TfheServer.keyId). */
    readonly keyId: string,
  ) {}

  /**
   * New secret keys for the circuit's parameters (one per partition), and the seeded evaluation
   * keys to send to the server: a single SeededEvaluationKeys for a one-set circuit (as before),
   * a SeededEvaluationKeySet (every partition's keys plus the conversion keys) otherwise.
   */
  static async generate(spec: TfheClientSpec, options: KeyGenOptions = {}): Promise<{ client: TfheClient; evaluationKeys: SeededEvaluationKeys | SeededEvaluationKeySet }> {
    const keys = ClientKeySet.generate(partitionsOf(spec), spec.conversions ?? [], options, spec.outputKey);
    const set = await keys.generateSeededEvaluationKeys();
    const evaluationKeys = set.keys.length === 1 && set.conversions.length === 0 ? set.keys[0]! : set;
    return { client: new TfheClient(spec, keys, evaluationKeyId(evaluationKeys)), evaluationKeys };
  }

  /**
   * {@link generate} with the seeded evaluation keys passed to `write` as they are produced, one
   * partition's keys at a time (ClientKeySet.writeSeededEvaluationKeys), instead of returned: the
   * set is never held whole. The key id is the sha256 of the bytes written, as evaluationKeyId
   * computes it from the keys; {@link seededKeyBytes} says their count in advance.
   */
  static async generateWriting(spec: TfheClientSpec, write: (chunk: Uint8Array) => void, options: KeyGenOptions = {}): Promise<TfheClient> {
    const keys = ClientKeySet.generate(partitionsOf(spec), spec.conversions ?? [], options, spec.outputKey);
    const hash = createHash("sha256");
    await keys.writeSeededEvaluationKeys((chunk) => {
      hash.update(chunk);
      write(chunk);
    });
    return new TfheClient(spec, keys, hash.digest("hex"));
  }

  /** Bytes of the seeded evaluation keys {@link generateWriting} writes for `spec`. */
  static seededKeyBytes(spec: TfheClientSpec): number {
    return ClientKeySet.seededEvaluationKeyBytes(partitionsOf(spec), spec.conversions ?? [], spec.outputKey);
  }

  /** A client for a secret key saved earlier (`serializeKey`), with the key id of its evaluation keys. */
  static restore(spec: TfheClientSpec, key: ClientKey | ClientKeySet, keyId: string): TfheClient {
    const set = key instanceof ClientKeySet ? key : ClientKeySet.of([key], spec.conversions ?? [], spec.outputKey);
    const want = partitionsOf(spec);
    if (set.keys.length !== want.length || set.keys.some((k, i) => !k.params.equals(want[i]!))) {
      const got = set.keys.map((k) => k.params.toString()).join(", ");
      throw new InvalidDataError(`this secret key was generated for ${got}, but the circuit needs ${want.map((p) => p.toString()).join(", ")}`);
    }
    return new TfheClient(spec, set, keyId);
  }

  /** The secret key's bytes, to keep on the client (never send them anywhere). */
  serializeKey(): Uint8Array {
    return this.keys.serialize();
  }

  /** The same bytes as {@link serializeKey}, chunk by chunk (a multi-partition set is small: its bytes at once). */
  keyStream(): ByteStream {
    return this.keys.keys.length === 1 && this.keys.conversions.length === 0 ? this.keys.keys[0]!.stream() : bytesStream(this.keys.serialize());
  }

  /**
   * Encrypts one integer tensor per circuit input (values must fit each input's encrypted type).
   * Seeded by default: 8 bytes per value on the wire; `seeded: false` gives full ciphertexts.
   */
  encrypt(inputs: readonly IntBatch[], options: { seeded?: boolean } = {}): EncryptedInputs {
    const seeded = options.seeded ?? true;
    const specs = this.spec.inputs;
    if (inputs.length !== specs.length) throw new Error(`the circuit takes ${specs.length} input(s), got ${inputs.length}`);
    const batch = inputs[0]?.batch ?? 1;
    const values = inputs.map((x, i) => {
      const s = specs[i]!;
      checkBatch(x, s, i, batch);
      const { min, max } = specRange(s);
      for (let k = 0; k < x.data.length; k++) {
        const v = x.data[k]!;
        if (!Number.isInteger(v) || v < min || v > max) {
          throw new RangeError(`input #${i} holds ${v} at flat index ${k}, outside the ${s.signed ? "signed" : "unsigned"} ${s.width}-bit range [${min}, ${max}]`);
        }
      }
      const key = this.keys.key(s.partition ?? 0);
      const plain = encodeAt(x.data, s.width);
      return seeded ? key.encryptSeeded(plain, [batch, ...s.shape], "big") : key.encryptEncoded(plain, [batch, ...s.shape], "big");
    });
    return { batch, keyId: this.keyId, values };
  }

  /** Decrypts the server's outputs to integers (one IntBatch per circuit result). */
  decrypt(outputs: EncryptedBatch): IntBatch[] {
    const specs = this.spec.outputs;
    if (outputs.values.length !== specs.length) throw new InvalidDataError(`the circuit has ${specs.length} output(s), got ${outputs.values.length}`);
    if (outputs.keyId !== this.keyId) {
      throw new InvalidDataError(`these outputs were computed with the evaluation keys of another client key (key id ${String(outputs.keyId).slice(0, 16)}…, this key's is ${this.keyId.slice(0, 16)}…): decrypt with the secret key that made those evaluation keys`);
    }
    return outputs.values.map((t, i) => {
      const s = specs[i]!;
      if (t.size !== outputs.batch * nd.sizeOf(s.shape)) throw new InvalidDataError(`output #${i} holds ${t.size} ciphertexts, expected ${outputs.batch} × [${s.shape.join(", ")}]`);
      return { batch: outputs.batch, shape: [...s.shape], data: decodeAt(this.keys.key(s.partition ?? 0).phases(t), s.width, s.signed) };
    });
  }

  /** Decrypts any big-key ciphertexts at precision `width` (debugging / traces), under the key of their parameters. */
  decryptAt(t: LweCiphertextTensor, width: number, signed: boolean): Float64Array {
    const key = this.keys.keys.find((k) => k.params.hash() === t.paramHash) ?? this.keys.key(0);
    return decodeAt(key.phases(t), width, signed);
  }
}

/** Every partition's set of a client spec (one for a one-set circuit). */
export function partitionsOf(spec: TfheClientSpec): readonly import("../../runtime/index.js").TfheParameters[] {
  return spec.partitions ?? [spec.params];
}

function checkBatch(x: IntBatch, s: EncryptedValueSpec, i: number, batch: number): void {
  if (x.shape.length !== s.shape.length || x.shape.some((d, k) => d !== s.shape[k])) {
    throw new Error(`input #${i} has per-sample shape [${x.shape.join(", ")}], expected [${s.shape.join(", ")}]`);
  }
  if (x.batch !== batch) throw new Error(`input #${i} has ${x.batch} samples, input #0 has ${batch}`);
  if (x.data.length !== batch * nd.sizeOf(s.shape)) throw new Error(`input #${i} holds ${x.data.length} values, expected ${batch * nd.sizeOf(s.shape)}`);
}
