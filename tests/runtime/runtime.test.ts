// Kernels (scalar fallback vs SIMD), thread pool and async behaviour, key sizes.
import { randomInt } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import {
  ClientKey, CONCRETE_P4, EvaluationKeys, FHEC_P1, FHEC_P3, lookupTables, noise, runtimeInfo, setKernel, setThreads,
  TfheParameters, torusError,
} from "../../runtime/index.js";

afterAll(() => {
  setKernel("auto");
  setThreads(0);
});

describe("kernel selection", () => {
  it("reports CPU features and can force the scalar fallback", () => {
    const info = runtimeInfo();
    expect(["scalar", "avx2", "avx512"]).toContain(info.kernel);
    expect(setKernel("scalar")).toBe("scalar");
    expect(runtimeInfo().kernel).toBe("scalar");
    expect(setKernel("auto")).toBe(info.kernel);
    expect(() => setKernel("neon" as never)).toThrow(/unknown kernel/);
  });

  for (const [params, precision] of [[FHEC_P1, 1], [FHEC_P3, 3]] as const) {
    it(`scalar and SIMD kernels agree on ${params.name}: keyswitch bit for bit, PBS to the same table values`, async () => {
      const kernels: ("scalar" | "avx2" | "avx512")[] = ["scalar"];
      if (runtimeInfo().avx2) kernels.push("avx2");
      if (runtimeInfo().avx512) kernels.push("avx512");
      const client = ClientKey.generate(params);
      const seeded = await client.generateSeededEvaluationKeys();
      const msgs = Array.from({ length: 24 }, () => randomInt(2 ** precision));
      const ct = client.encrypt(msgs, precision);
      const table = Array.from({ length: 2 ** precision }, () => randomInt(2 ** precision));
      const results: { ks: BigUint64Array; pbs: BigUint64Array; bsk: Float64Array }[] = [];
      // The Fourier BSK is the last part of the evaluation-key serialization.
      const bskBytes = (await seeded.expand()).sizes().bootstrappingKey;
      for (const k of kernels) {
        setKernel(k);
        const server: EvaluationKeys = await seeded.expand(); // Fourier BSK computed by this kernel
        const ks = server.keyswitchSync(ct);
        const out = server.applyLookupTableSync(ct, lookupTables(table, precision));
        expect(client.decrypt(out, precision), `kernel ${k}`).toEqual(msgs.map((m) => table[m]));
        const bytes = server.serialize();
        const bsk = new Float64Array(Uint8Array.from(bytes.subarray(bytes.length - bskBytes)).buffer);
        results.push({ ks: ks.data, pbs: client.phases(out), bsk });
      }
      setKernel("auto");
      const [ref, ...rest] = results;
      for (const r of rest) {
        // keyswitch is integer arithmetic: identical
        expect(r.ks).toEqual(ref!.ks);
        // The Fourier-domain keys use one canonical point order in every kernel: the transforms
        // of the same key agree to f64 rounding (FMA contraction differs between kernels).
        expect(r.bsk.length).toBe(ref!.bsk.length);
        let maxRel = 0;
        for (let i = 0; i < r.bsk.length; i++) {
          const scale = Math.max(Math.abs(ref!.bsk[i]!), 2 ** 60);
          maxRel = Math.max(maxRel, Math.abs(r.bsk[i]! - ref!.bsk[i]!) / scale);
        }
        expect(maxRel).toBeLessThan(1e-12);
        // PBS outputs decrypt identically (checked above). Their noise differs by one
        // realisation: f64 rounding moves some gadget-decomposition digits, so compare at the
        // noise scale.
        const sigma = Math.sqrt(noise.pbsOutputVariance(params));
        for (let i = 0; i < r.pbs.length; i++) expect(Math.abs(torusError(r.pbs[i]!, ref!.pbs[i]!))).toBeLessThan(12 * sigma);
      }
    });
  }
});

describe("threads and async API", () => {
  it("the thread pool size is configurable and batches give the same answers", async () => {
    const client = ClientKey.generate(FHEC_P1);
    const server = await client.generateEvaluationKeys();
    const msgs = Array.from({ length: 16 }, () => randomInt(2));
    const ct = client.encrypt(msgs, 1);
    const tables = lookupTables([0, 1], 1);
    expect(setThreads(1)).toBe(1);
    const a = await server.applyLookupTable(ct, tables);
    expect(setThreads(2)).toBe(2);
    const b = await server.applyLookupTable(ct, tables);
    expect(client.decrypt(a, 1)).toEqual(msgs);
    expect(client.decrypt(b, 1)).toEqual(msgs);
    setThreads(0);
  });

  it("concurrent async batches (pool busy) all complete correctly", async () => {
    const client = ClientKey.generate(FHEC_P1);
    const server = await client.generateEvaluationKeys();
    const batches = Array.from({ length: 4 }, () => Array.from({ length: 12 }, () => randomInt(2)));
    const outs = await Promise.all(batches.map((b) => server.applyLookupTable(client.encrypt(b, 1), lookupTables([1, 0], 1))));
    outs.forEach((o, i) => expect(client.decrypt(o, 1)).toEqual(batches[i]!.map((m) => 1 - m)));
  });

  it("async batches do not block the event loop", async () => {
    const client = ClientKey.generate(FHEC_P1);
    const server = await client.generateEvaluationKeys();
    const ct = client.encrypt(new Array<number>(256).fill(1), 1);
    let ticks = 0;
    let done = false;
    const tick = (): void => {
      ticks++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const out = await server.applyLookupTable(ct, lookupTables([1, 0], 1));
    done = true;
    // The loop kept turning while the native batch ran on other threads.
    expect(ticks).toBeGreaterThan(1);
    expect(client.decrypt(out, 1).every((v) => v === 0)).toBe(true);
  });

  it("server operations validate their inputs", async () => {
    const client = ClientKey.generate(FHEC_P1);
    const server = await client.generateEvaluationKeys();
    const big = client.encrypt([1], 1);
    const small = client.encrypt([1], 1, { key: "small" });
    expect(() => server.bootstrapSync(big, lookupTables([0, 1], 1))).toThrow(/small key/);
    await expect(server.keyswitch(small)).rejects.toThrow(/big key/);
    expect(() => lookupTables([0, 1, 2], 1)).toThrow(/needs 2 entries/);
    // a table too long for N: 2^9 entries need N >= 1024, FHEC_P1 has N = 512
    const t = lookupTables(new Array<number>(512).fill(0), 9);
    expect(() => server.applyLookupTableSync(big, t)).toThrow(/polynomialSize >= 1024/);
    const other = ClientKey.generate(CONCRETE_P4).encrypt([1], 1);
    expect(() => server.applyLookupTableSync(other, lookupTables([0, 1], 1))).toThrow(/belong to parameters/);
  });
});

describe("evaluation key sizes", () => {
  it("seeded keys store only bodies: BSK ÷ (k+1), KSK ÷ (n+1)", async () => {
    const p = FHEC_P1;
    const client = ClientKey.generate(p);
    const seeded = await client.generateSeededEvaluationKeys();
    const full = await seeded.expand();
    const s = seeded.sizes();
    const f = full.sizes();
    const k1 = p.glweDimension + 1;
    expect(f.bootstrappingKey).toBe(p.lweDimension * k1 * p.pbsLevel * k1 * p.polynomialSize * 8);
    expect(f.keyswitchingKey).toBe(p.bigDimension * p.ksLevel * (p.lweDimension + 1) * p.keyswitchKeyWordBytes);
    expect(s.bootstrappingKey * k1).toBe(f.bootstrappingKey);
    expect(s.keyswitchingKey * (p.lweDimension + 1)).toBe(f.keyswitchingKey);
    expect(seeded.serialize().length).toBeLessThan(s.total + 200);
  });
});

describe("keyswitching-key storage", () => {
  it("32-bit storage is used exactly when the parameters allow it, and both paths keyswitch correctly", async () => {
    const compact = FHEC_P1; // KS 2^2×5 (10 bits), σ_lwe = 2^-12.8
    expect(compact.keyswitchKeyWordBytes).toBe(4);
    // Noise below 2^-28 needs the 64-bit key (insecure noise level, test only).
    const wide = new TfheParameters({ ...FHEC_P1.raw(), lweNoiseStd: 2 ** -30 }, "INSECURE_WIDE_KSK_TEST");
    expect(wide.keyswitchKeyWordBytes).toBe(8);
    for (const p of [compact, wide]) {
      const client = ClientKey.generate(p);
      const server = await client.generateEvaluationKeys();
      const rows = p.bigDimension * p.ksLevel * (p.lweDimension + 1);
      expect(server.sizes().keyswitchingKey).toBe(rows * p.keyswitchKeyWordBytes);
      const msgs = Array.from({ length: 64 }, () => randomInt(2));
      const ks = await server.keyswitch(client.encrypt(msgs, 1));
      expect(client.decrypt(ks, 1)).toEqual(msgs);
      const out = await server.applyLookupTable(client.encrypt(msgs, 1), lookupTables([1, 0], 1));
      expect(client.decrypt(out, 1)).toEqual(msgs.map((m) => 1 - m));
      const back = EvaluationKeys.deserialize(server.serialize(), p);
      expect(back.sizes()).toEqual(server.sizes());
    }
  });
});
