// Cost reporting on a real circuit (the mlp fixture at 8-bit tables, N ≥ 16384, keys of GiB; no
// key is generated: everything here is arithmetic): latency per sample follows the lowered
// program's table ops, bytes per sample its encrypted inputs and outputs, and the memory warning
// fires on a machine too small for the keys, naming the options that shrink them.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile, type FheCircuit } from "../../compiler/index.js";
import { keyMemory, keySizes, lookupTimeMs, type TimeModel } from "../../compiler/cost/index.js";
import { ciphertextBytes, conversionKeySize, evaluationKeySize, secretKeySize, seededKeySetBytes } from "../../runtime/index.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";

const MODEL: TimeModel = { msPerFftWork: 1e-7, msPerMacWork: 1e-7, msPerKeyswitchWork: 5e-8, msFixed: 0.02, machine: "test", source: "test" };
const GiB = 2 ** 30;
let circuit: FheCircuit;

beforeAll(() => {
  const f = loadFixture("mlp");
  // One parameter set: this file checks the arithmetic of one set (partitions: tests/params).
  circuit = compile(f.model, { calibration: [f.calib], roundingThresholdBits: 8, maxPartitions: 1 });
});

describe("circuit cost", () => {
  it("reports the runtime's key sizes and ciphertext bytes per sample", () => {
    const info = circuit.info({ timeModel: MODEL, threads: 2 });
    const p = info.parameters!;
    expect(p.polynomialSize).toBeGreaterThanOrEqual(16384);
    // The 12-bit outputs return through an output key (its secret key only, no evaluation keys):
    // the server holds the set's keys plus the conversion key into it.
    const out = info.partitions!.at(-1)!;
    expect(info.partitions).toHaveLength(2);
    expect(out.outputKey).toBe(true);
    const conv = conversionKeySize(p, out, info.conversions![0]!.ksBaseLog, info.conversions![0]!.ksLevel);
    expect(info.keySizes!.total).toBe(evaluationKeySize(p).inMemory + conv.inMemory);
    expect(info.keySizes!.totalSeeded).toBe(seededKeySetBytes([p, out], info.conversions!, 1));
    expect(info.keySizes!.secretKey).toBe(secretKeySize(p).serialized + secretKeySize(out).serialized);
    const values = (shapes: readonly (readonly number[])[]) => shapes.reduce((s, sh) => s + sh.filter((d) => d > 0).reduce((a, b) => a * b, 1), 0);
    // Inputs travel seeded (one 8-byte body per value); outputs return compacted under the output key.
    expect(info.sampleBytes!.inputBytesPerSample).toBe(values(info.inputs.map((i) => i.shape)) * 8);
    expect(info.sampleBytes!.outputBytesPerSample).toBe(values(info.outputs.map((o) => o.shape)) * ciphertextBytes(out.lweDimension));
  });

  it("estimates latency from the lowered program's table ops", () => {
    const t = lookupTimeMs(MODEL, circuit.parameters!);
    const one = circuit.info({ timeModel: MODEL, threads: 1 }).latency!;
    const lookups = circuit.info({ timeModel: MODEL, threads: 1 }).lookupsPerSample;
    expect(lookups).toBeGreaterThan(1);
    expect(one.msPerLookup).toBe(t);
    expect(one.singleThreadMs).toBeCloseTo(lookups * t, 6);
    expect(one.allCoresMs).toBeCloseTo(one.singleThreadMs, 6);
    // With unbounded threads every op takes one lookup time: the estimate counts the table ops.
    const wide = circuit.info({ timeModel: MODEL, threads: 1 << 20 }).latency!;
    const ops = Math.round(wide.allCoresMs / t);
    expect(wide.allCoresMs).toBeCloseTo(ops * t, 6);
    expect(ops).toBeGreaterThanOrEqual(1);
    expect(ops).toBeLessThan(lookups);
    const two = circuit.info({ timeModel: MODEL, threads: 2 }).latency!;
    expect(two.allCoresMs).toBeGreaterThanOrEqual(one.singleThreadMs / 2);
    expect(two.allCoresMs).toBeLessThan(one.singleThreadMs);
  });

  it("warns when the keys exceed the machine's memory, or its free memory, and not otherwise", () => {
    const peak = keyMemory(keySizes(circuit.parameters!)).peak;
    expect(peak).toBeGreaterThanOrEqual(evaluationKeySize(circuit.parameters!).inMemory);
    const small = circuit.resourceWarnings({ totalBytes: GiB, freeBytes: GiB / 2 });
    expect(small).toHaveLength(1);
    expect(small[0]).toMatch(/^warning: key generation and loading need about [\d.]+ GiB .*more than this machine's 1\.0 GiB; shrink them with a smaller --rounding-bits \(tables read up to 8 bits/);
    expect(small[0]).toContain("--global-p-error");
    expect(small[0]).not.toContain("\n");
    const busy = circuit.resourceWarnings({ totalBytes: peak + GiB, freeBytes: GiB });
    expect(busy[0]).toMatch(/more than the 1\.0 GiB free now/);
    expect(circuit.resourceWarnings({ totalBytes: peak + GiB, freeBytes: peak + 1 })).toEqual([]);
  });

  it("fhec info prints sizes and latency, and --json carries them", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "fhec-cost-")), "mlp.fhe");
    circuit.save(path);
    const text = await cli("info", path);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/secret key \(client only\): [\d.]+ KiB/);
    expect(text.stdout).toMatch(/evaluation keys sent by the client \(seeded\): [\d.]+ (MiB|GiB)/);
    expect(text.stdout).toMatch(/evaluation keys held by the server \(expanded\): [\d.]+ GiB/);
    expect(text.stdout).toMatch(/per sample: [\d.]+ (B|KiB) of ciphertexts sent \(seeded\), [\d.]+ KiB returned/);
    expect(text.stdout).toMatch(/estimated latency per sample: .* on 1 thread, .* on \d+ threads/);
    const json = JSON.parse((await cli("info", path, "--json")).stdout) as { latency: { singleThreadMs: number; allCoresMs: number; threads: number }; keySizes: { total: number } };
    expect(json.latency.threads).toBeGreaterThanOrEqual(1);
    expect(json.latency.allCoresMs).toBeLessThanOrEqual(json.latency.singleThreadMs);
    expect(json.keySizes.total).toBe(circuit.info().keySizes!.total);
  });
});
