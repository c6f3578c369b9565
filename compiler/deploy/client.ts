// The client of a deployed model (Concrete ML's FHEModelClient): loads the client spec, generates
// the keys (the secret key stays here; the evaluation keys go to the server), quantizes and
// encrypts inputs, decrypts, de-quantizes and post-processes results. It never sees the weights.
import type { FuncOp } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import type { NDArray } from "../../ir/tensor.js";
import { ClientKeySet, TfheParameters } from "../../runtime/index.js";
import { deserializeEncryptedBatch, serializeEncryptedBatch, TfheClient, type TfheClientSpec } from "../../backends/tfhe/index.js";
import { dequantizeOutputs, parsePostprocess, postprocess, quantizeInputs } from "../codec.js";
import { type ClientSpec, deserializeClientSpec, packMessage, unpackMessage } from "./artifacts.js";

export interface GeneratedKeys {
  /** The secret key: keep it on the client. */
  readonly secretKey: Uint8Array;
  /** Seeded (compressed) evaluation keys: send them to the server once. */
  readonly evaluationKeys: Uint8Array;
}

export function runtimeParameters(spec: ClientSpec): TfheParameters {
  return secureParameters(spec.parameters);
}

/** A runtime set from a spec's fields, refused unless 128-bit secure by the curve. */
function secureParameters(p: ClientSpec["parameters"]): TfheParameters {
  const { lweDimension, glweDimension, polynomialSize, pbsBaseLog, pbsLevel, ksBaseLog, ksLevel, lweNoiseStd, glweNoiseStd } = p;
  const rt = new TfheParameters({ lweDimension, glweDimension, polynomialSize, pbsBaseLog, pbsLevel, ksBaseLog, ksLevel, lweNoiseStd, glweNoiseStd });
  const s = rt.security();
  if (!s.secure) fail("E0600", `the client spec's parameters ${rt.toString()} are not 128-bit secure: ${[s.lwe.reason, s.glwe.reason].filter(Boolean).join("; ")}`);
  return rt;
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
      ? { ...base, partitions: spec.partitions.map((p) => secureParameters(p)), conversions: (spec.conversions ?? []).map((c) => ({ from: c.from, to: c.to, baseLog: c.ksBaseLog, level: c.ksLevel })) }
      : base;
    this.post = parsePostprocess(spec.postprocess);
  }

  static load(bytes: Uint8Array, file = "<memory>"): FheModelClient {
    return new FheModelClient(deserializeClientSpec(bytes, file));
  }

  /** A fresh secret key (from the OS CSPRNG) and its seeded evaluation keys. */
  async generateKeys(): Promise<GeneratedKeys> {
    const { client, evaluationKeys } = await TfheClient.generate(this.tfheSpec);
    this.client = client;
    return {
      secretKey: packMessage("secret-key", this.spec.circuitId, client.serializeKey(), client.keyId),
      evaluationKeys: packMessage("evaluation-keys", this.spec.circuitId, evaluationKeys.serialize(), client.keyId),
    };
  }

  /** Restores a secret key saved by generateKeys. */
  loadSecretKey(bytes: Uint8Array, file = "<memory>"): void {
    const { payload, keyId } = unpackMessage(bytes, "secret-key", this.spec.circuitId, file);
    if (!keyId) fail("E0700", `'${file}' has no key id`);
    const key = ClientKeySet.deserialize(payload, this.tfheSpec.partitions ?? [this.tfheSpec.params], this.tfheSpec.conversions ?? []);
    this.client = TfheClient.restore(this.tfheSpec, key, keyId);
  }

  private requireKey(): TfheClient {
    if (!this.client) fail("E0701", "no secret key: generate keys or load the secret key first");
    return this.client;
  }

  /** Quantizes and encrypts float inputs (first dimension = samples). */
  encrypt(xs: NDArray | readonly NDArray[]): Uint8Array {
    const client = this.requireKey();
    const list = Array.isArray(xs) ? (xs as NDArray[]) : [xs as NDArray];
    const codes = quantizeInputs(this.spec.inputs, this.spec.inputs.map((i) => i.encrypted.shape), list);
    return packMessage("inputs", this.spec.circuitId, serializeEncryptedBatch(client.encrypt(codes)), client.keyId);
  }

  /** Decrypts the server's result, de-quantizes and post-processes it. */
  decrypt(bytes: Uint8Array, file = "<memory>"): NDArray[] {
    const client = this.requireKey();
    const { payload } = unpackMessage(bytes, "outputs", this.spec.circuitId, file);
    const parts = this.tfheSpec.partitions ?? [this.tfheSpec.params];
    const batch = deserializeEncryptedBatch(payload, this.tfheSpec.outputs.map((o) => parts[o.partition ?? 0]!), file);
    return postprocess(this.post, dequantizeOutputs(this.spec.outputs, client.decrypt(batch)));
  }
}
