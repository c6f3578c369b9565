// The client of a deployed model (Concrete ML's FHEModelClient): loads the client spec, generates
// the keys (the secret key stays here; the evaluation keys go to the server), quantizes and
// encrypts inputs, decrypts, de-quantizes and post-processes results. It never sees the weights.
import type { FuncOp } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import type { NDArray } from "../../ir/tensor.js";
import {
  asInvalidData, assertSecureParameters, type ByteStream, ClientKey, ClientKeySet, collect, collectingSink, encryptedBatchParser, encryptedBatchStream,
  parseChunks, TfheClient, type TfheClientSpec, TfheParameters,
} from "../../backends/tfhe/index.js";
import { dequantizeOutputs, type OutputLayout, outputLayout, parsePostprocess, postprocess, quantizeInputs } from "../codec.js";
import { type ClientSpec, deserializeClientSpec, keyMessageBytes, messageParser, messageStream, writeKeyMessage } from "./artifacts.js";
import type { RewritableOutput } from "../stream_io.js";

/** Bytes in memory, or chunks (a file read piece by piece) for artifacts of any size. */
export type ByteSource = Uint8Array | Iterable<Uint8Array>;

function chunksOf(b: ByteSource): Iterable<Uint8Array> {
  return b instanceof Uint8Array ? [b] : b;
}

/** Generated keys as streams (write them to disk chunk by chunk). */
export interface KeyStreams {
  readonly secretKey: ByteStream;
  readonly evaluationKeys: ByteStream;
  /** The key id (sha256 of the seeded evaluation keys). */
  readonly keyId: string;
}

export interface GeneratedKeys {
  /** The secret key: keep it on the client. */
  readonly secretKey: Uint8Array;
  /** Seeded (compressed) evaluation keys: send them to the server once. */
  readonly evaluationKeys: Uint8Array;
}

export function runtimeParameters(spec: ClientSpec): TfheParameters {
  return secureParameters(spec.parameters, "the client spec's parameters");
}

/** A runtime set from a spec's fields, refused unless 128-bit secure by the curve (before any key exists). */
function secureParameters(p: ClientSpec["parameters"], what: string): TfheParameters {
  const { lweDimension, glweDimension, polynomialSize, pbsBaseLog, pbsLevel, ksBaseLog, ksLevel, lweNoiseStd, glweNoiseStd, pbsGroupingFactor } = p;
  return asInvalidData(() => {
    const rt = new TfheParameters({
      lweDimension, glweDimension, polynomialSize, pbsBaseLog, pbsLevel, ksBaseLog, ksLevel, lweNoiseStd, glweNoiseStd,
      ...(pbsGroupingFactor !== undefined ? { pbsGroupingFactor } : {}),
    });
    assertSecureParameters(rt, what);
    return rt;
  });
}

export class FheModelClient {
  private readonly tfheSpec: TfheClientSpec;
  private readonly post: FuncOp;
  private client: TfheClient | undefined;

  constructor(readonly spec: ClientSpec) {
    const base = {
      params: runtimeParameters(spec),
      inputs: spec.inputs.map((i) => i.encrypted),
      outputs: spec.outputs.map((o) => o.encrypted),
    };
    // Partitioned circuits: every partition's set, each checked against the 128-bit curve here
    // too (the client never generates keys for a set it was merely told about).
    this.tfheSpec = spec.partitions && spec.partitions.length > 1
      ? {
          ...base,
          partitions: spec.partitions.map((p, i) => secureParameters(p, `the client spec's partition ${i} parameters`)),
          conversions: (spec.conversions ?? []).map((c) => ({ from: c.from, to: c.to, baseLog: c.ksBaseLog, level: c.ksLevel })),
          ...(spec.outputKey !== undefined ? { outputKey: spec.outputKey } : {}),
        }
      : base;
    this.post = parsePostprocess(spec.postprocess);
  }

  static load(bytes: ByteSource, file = "<memory>"): FheModelClient {
    return new FheModelClient(deserializeClientSpec(bytes, file));
  }

  /** A fresh secret key (from the OS CSPRNG) and its seeded evaluation keys, in memory (made by {@link writeKeys}). */
  async generateKeys(): Promise<GeneratedKeys> {
    const evaluationKeys = new Uint8Array(this.evaluationKeyMessageBytes);
    let at = 0;
    const { secretKey } = await this.writeKeys({
      write(chunk) {
        evaluationKeys.set(chunk, at);
        at += chunk.length;
      },
      rewrite: (offset, bytes) => evaluationKeys.set(bytes, offset),
    });
    return { secretKey: collect(secretKey), evaluationKeys };
  }

  /** Bytes of the evaluation-key message {@link writeKeys} writes (known before any key exists). */
  get evaluationKeyMessageBytes(): number {
    return keyMessageBytes(this.spec.circuitId, TfheClient.seededKeyBytes(this.tfheSpec));
  }

  /**
   * Fresh keys (from the OS CSPRNG), the evaluation-key message written to `out` as the keys are
   * generated: one partition's seeded keys (or one conversion key) at a time, each released once
   * written, so memory holds the largest partition's keys, never the whole set (`fhec keygen`).
   * Returns the key id and the secret-key message, to write next (its envelope names the id).
   */
  async writeKeys(out: RewritableOutput): Promise<{ keyId: string; secretKey: ByteStream }> {
    const id = this.spec.circuitId;
    let client: TfheClient | undefined;
    await writeKeyMessage(out, id, TfheClient.seededKeyBytes(this.tfheSpec), async (write) => {
      client = await TfheClient.generateWriting(this.tfheSpec, write);
      return client.keyId;
    });
    this.client = client!;
    return { keyId: client!.keyId, secretKey: messageStream("secret-key", id, client!.keyStream(), client!.keyId) };
  }

  /**
   * {@link generateKeys} as streams read from the keys' own memory: every partition's seeded keys
   * are held at once (to stream them to a file as they are made, use {@link writeKeys}).
   */
  async generateKeyStreams(): Promise<KeyStreams> {
    const { client, evaluationKeys } = await TfheClient.generate(this.tfheSpec);
    this.client = client;
    const id = this.spec.circuitId;
    return {
      secretKey: messageStream("secret-key", id, client.keyStream(), client.keyId),
      // The key id is the sha256 of these very bytes: the envelope reuses it.
      evaluationKeys: messageStream(
        "evaluation-keys",
        id,
        evaluationKeys.stream(),
        client.keyId,
        client.keyId,
      ),
      keyId: client.keyId,
    };
  }

  /** Restores a secret key saved by generateKeys. */
  loadSecretKey(bytes: ByteSource, file = "<memory>"): void {
    const params = this.tfheSpec.params;
    if (this.tfheSpec.partitions && this.tfheSpec.partitions.length > 1) {
      // Several partitions: a key set (small: secret keys only), parsed whole.
      const r = parseChunks(messageParser("secret-key", this.spec.circuitId, file, () => collectingSink()), chunksOf(bytes));
      if (!r.keyId) fail("E0700", `'${file}' has no key id`);
      this.client = TfheClient.restore(this.tfheSpec, ClientKeySet.deserialize(r.value, this.tfheSpec.partitions, this.tfheSpec.conversions ?? [], this.tfheSpec.outputKey), r.keyId);
      return;
    }
    const r = parseChunks(messageParser("secret-key", this.spec.circuitId, file, (n) => ClientKey.parser(params, n)), chunksOf(bytes));
    if (!r.keyId) fail("E0700", `'${file}' has no key id`);
    this.client = TfheClient.restore(this.tfheSpec, r.value, r.keyId);
  }

  /** Id of the key in use: the sha256 of its evaluation keys, as the server names them. */
  get keyId(): string {
    return this.requireKey().keyId;
  }

  private requireKey(): TfheClient {
    if (!this.client) fail("E0701", "no secret key: generate keys or load the secret key first");
    return this.client;
  }

  /** Quantizes and encrypts float inputs (first dimension = samples). */
  encrypt(xs: NDArray | readonly NDArray[]): Uint8Array {
    return collect(this.encryptStream(xs));
  }

  /** {@link encrypt} as a stream read from the ciphertexts' own memory. */
  encryptStream(xs: NDArray | readonly NDArray[]): ByteStream {
    const client = this.requireKey();
    const list = Array.isArray(xs) ? (xs as NDArray[]) : [xs as NDArray];
    const codes = quantizeInputs(this.spec.inputs, this.spec.inputs.map((i) => i.encrypted.shape), list);
    return messageStream("inputs", this.spec.circuitId, encryptedBatchStream(client.encrypt(codes)), client.keyId);
  }

  /** The outputs' ONNX names and element types (for .npz files). */
  get outputLayout(): OutputLayout {
    return outputLayout(this.post);
  }

  /** Decrypts the server's result, de-quantizes and post-processes it. */
  decrypt(bytes: ByteSource, file = "<memory>"): NDArray[] {
    const client = this.requireKey();
    const parts = this.tfheSpec.partitions ?? [this.tfheSpec.params];
    const expected = this.tfheSpec.outputs.map((o) => parts[o.partition ?? 0]!);
    const { value: batch } = parseChunks(messageParser("outputs", this.spec.circuitId, file, () => encryptedBatchParser(expected, file)), chunksOf(bytes));
    return postprocess(this.post, dequantizeOutputs(this.spec.outputs, client.decrypt(batch)));
  }
}
