// The sizes `fhec info` and `circuit.info()` report (one module: runtime/sizes.ts, through
// compiler/cost) against the bytes actually written: evaluation keys as sent and as expanded,
// input bytes per sample (seeded), output bytes per sample (compacted to the small key), on a
// partitioned circuit run in FHE; and a digits sample (64 features, 10 classes) on the wire.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { circuitId, messageStream } from "../../compiler/deploy/artifacts.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { encryptedBatchStream } from "../../backends/tfhe/batch_io.js";
import {
  ciphertextTensorBytes, ClientKeySet, collect, type LweCiphertextTensor, SeededEvaluationKeySet, seededCiphertextTensorBytes, TfheParameters,
} from "../../runtime/index.js";
import { loadFixture } from "../helpers/fixtures.js";
import { tinyPartitioned } from "./tiny_partitioned.js";

/** The JSON header and payload of a frame (8-byte magic, u32 version, u32 header length, header). */
function frame(bytes: Uint8Array): { header: Record<string, unknown>; prefix: number; payload: Uint8Array } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = b.readUInt32LE(12);
  return { header: JSON.parse(b.subarray(16, 16 + len).toString("utf8")), prefix: 16 + len, payload: bytes.subarray(16 + len) };
}

/** Tensor byte lengths of an input or output message, with the file's framing checked to add up. */
function tensorSizes(message: Uint8Array): number[] {
  const m = frame(message);
  const batch = frame(m.payload);
  const sizes = batch.header["sizes"] as number[];
  expect(message.length).toBe(m.prefix + batch.prefix + sizes.reduce((a, b) => a + b, 0));
  return sizes;
}

const rows = (x: { shape: number[]; data: Float64Array }, n: number) => ({ shape: [n, ...x.shape.slice(1)], data: x.data.slice(0, n * x.shape[1]!) });

describe("sizes reported against the files written", () => {
  it("evaluation keys as sent and expanded, bytes per input and output sample, on a partitioned circuit run in FHE", async () => {
    const t = tinyPartitioned();
    const info = t.circuit.info();
    const server = new FheModelServer(t.circuit);
    const spec = server.clientSpec();
    expect(spec.partitions?.length ?? 1).toBeGreaterThanOrEqual(2);
    const client = new FheModelClient(spec);
    const keys = await client.generateKeys();

    // Sent: the seeded key set inside the message envelope.
    const sent = frame(keys.evaluationKeys);
    expect(sent.payload.length).toBe(info.keySizes!.totalSeeded);
    // Expanded: what the server holds.
    const params = spec.partitions!.map((p) => new TfheParameters(p));
    const convs = (spec.conversions ?? []).map((c) => ({ from: c.from, to: c.to, baseLog: c.ksBaseLog, level: c.ksLevel }));
    const expanded = await SeededEvaluationKeySet.deserialize(sent.payload, params, convs, spec.outputKey).expand();
    const held = expanded.keys.reduce((s, k) => s + k.sizes().total, 0) + expanded.conversions.reduce((s, c) => s + c.bytes, 0);
    expect(held).toBe(info.keySizes!.total);

    const perSample = info.sampleBytes!;
    const outputShapes = spec.outputs.map((o) => o.encrypted.shape);
    const outDims = spec.outputs.map((o) => params[o.encrypted.partition ?? 0]!.lweDimension);
    const sizes: Record<number, { in: number[]; out: number[] }> = {};
    for (const b of [1, 3]) {
      const request = client.encrypt(rows(t.x, b));
      const result = await server.run(keys.evaluationKeys, request);
      sizes[b] = { in: tensorSizes(request), out: tensorSizes(result) };
      // Inputs are seeded tensors; outputs small-key (compacted) ones.
      expect(sizes[b]!.in).toEqual(spec.inputs.map((i) => seededCiphertextTensorBytes([b, ...i.encrypted.shape])));
      expect(sizes[b]!.out).toEqual(outputShapes.map((s, i) => ciphertextTensorBytes(outDims[i]!, [b, ...s])));
      expect(Array.from(client.decrypt(result)[0]!.data)).toEqual(Array.from(t.circuit.predictClear(rows(t.x, b), { fhe: "disable" })[0]!.data));
    }
    expect(sum(sizes[3]!.in) - sum(sizes[1]!.in)).toBe(2 * perSample.inputBytesPerSample);
    expect(sum(sizes[3]!.out) - sum(sizes[1]!.out)).toBe(2 * perSample.outputBytesPerSample);
  }, 600_000);

  it("a digits sample (64 features) is at most 4 KiB on the wire, its 10-class result at most 128 KiB", () => {
    const f = loadFixture("mlp");
    const circuit = compile(f.model, { calibration: [f.calib] });
    const info = circuit.info();
    const server = new FheModelServer(circuit);
    const spec = server.clientSpec();
    // Per-sample shapes (batch dimension 1).
    expect(spec.inputs[0]!.encrypted.shape).toEqual([1, 64]);
    expect(spec.outputs[0]!.encrypted.shape).toEqual([1, 10]);
    // Secret keys only: the sizes do not depend on the evaluation keys (not generated here).
    const params = (spec.partitions ?? [spec.parameters]).map((p) => new TfheParameters(p));
    const convs = (spec.conversions ?? []).map((c) => ({ from: c.from, to: c.to, baseLog: c.ksBaseLog, level: c.ksLevel }));
    const secret = ClientKeySet.generate(params, convs, {}, spec.outputKey);
    const keyId = "0".repeat(64);
    const id = circuitId(circuit);
    const client = new FheModelClient(spec);
    client.loadSecretKey(collect(messageStream("secret-key", id, { size: secret.serialize().length, chunks: () => [secret.serialize()] }, keyId)));

    const request = client.encrypt({ shape: [1, 64], data: Float64Array.from(f.x.data.slice(0, 64)) });
    expect(request.length).toBeLessThanOrEqual(4096);
    expect(sum(tensorSizes(request))).toBe(seededCiphertextTensorBytes([1, 1, 64]));
    expect(info.sampleBytes!.inputBytesPerSample).toBe(64 * 8);

    // The result the server returns: the program's output under its small key (the output key's),
    // written by the server's own writer (FheModelServer.runStream: messageStream of encryptedBatchStream).
    const values: LweCiphertextTensor[] = spec.outputs.map((o) => {
      const k = secret.key(o.encrypted.partition ?? 0);
      return k.encrypt(new Array(10).fill(0), Math.min(o.encrypted.width, 16), { shape: [1, 1, 10], key: "small" });
    });
    const result = collect(messageStream("outputs", id, encryptedBatchStream({ batch: 1, keyId, values }), keyId));
    expect(result.length).toBeLessThanOrEqual(128 * 1024);
    expect(sum(tensorSizes(result))).toBe(ciphertextTensorBytes(values[0]!.dimension, [1, 1, 10]));
    expect(values[0]!.dimension).toBe(params[spec.outputs[0]!.encrypted.partition ?? 0]!.lweDimension);
    expect(info.sampleBytes!.outputBytesPerSample).toBe(10 * (values[0]!.dimension + 1) * 8);
    expect(client.decrypt(result)[0]!.shape).toEqual([1, 10]);
  }, 600_000);
});

function sum(xs: number[]): number {
  return xs.reduce((a, c) => a + c, 0);
}
