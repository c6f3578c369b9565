// Round trips and fuzzing of every deserializer: malformed input must give a clear JS Error.
import { randomBytes, randomInt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ClientKey, CONCRETE_P4, EvaluationKeys, INSECURE_TEST_P2, lookupTables, LweCiphertextTensor,
  SeededEvaluationKeys, TfheParameters,
} from "../../runtime/index.js";

const params = INSECURE_TEST_P2;
const other = new TfheParameters({ ...INSECURE_TEST_P2.raw(), ksLevel: 4 }, "INSECURE_TEST_OTHER");

interface Format {
  name: string;
  bytes: () => Uint8Array;
  otherBytes: () => Uint8Array; // same kind, other parameters
  parse: (b: Uint8Array, p?: TfheParameters) => unknown;
  expectsParams: boolean;
}

let client: ClientKey;
let seeded: SeededEvaluationKeys;
let server: EvaluationKeys;
let otherClient: ClientKey;
let otherSeeded: SeededEvaluationKeys;
let otherServer: EvaluationKeys;

beforeAll(async () => {
  client = ClientKey.generate(params);
  seeded = await client.generateSeededEvaluationKeys();
  server = await seeded.expand();
  otherClient = ClientKey.generate(other);
  otherSeeded = await otherClient.generateSeededEvaluationKeys();
  otherServer = await otherSeeded.expand();
});

const formats: Format[] = [
  { name: "parameters", bytes: () => params.serialize(), otherBytes: () => other.serialize(),
    parse: (b) => TfheParameters.deserialize(b), expectsParams: false },
  { name: "secret key", bytes: () => client.serialize(), otherBytes: () => otherClient.serialize(),
    parse: (b, p) => ClientKey.deserialize(b, p), expectsParams: true },
  { name: "seeded evaluation keys", bytes: () => seeded.serialize(), otherBytes: () => otherSeeded.serialize(),
    parse: (b, p) => SeededEvaluationKeys.deserialize(b, p), expectsParams: true },
  { name: "evaluation keys", bytes: () => server.serialize(), otherBytes: () => otherServer.serialize(),
    parse: (b, p) => EvaluationKeys.deserialize(b, p), expectsParams: true },
  { name: "ciphertext tensor", bytes: () => client.encrypt([1, 2, 3, 0], 2, { shape: [2, 2] }).serialize(),
    otherBytes: () => otherClient.encrypt([1], 2).serialize(),
    parse: (b, p) => LweCiphertextTensor.deserialize(b, p), expectsParams: true },
];

function expectCleanError(f: () => unknown, pattern?: RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected an Error").toBeInstanceOf(Error);
  if (pattern) expect((thrown as Error).message).toMatch(pattern);
}

describe("serialization round trips", () => {
  it("parameters", () => {
    const p = TfheParameters.deserialize(CONCRETE_P4.serialize());
    expect(p.equals(CONCRETE_P4)).toBe(true);
    expect(p.hash()).toBe(CONCRETE_P4.hash());
    expect(CONCRETE_P4.hash()).not.toBe(params.hash());
  });

  it("secret key, seeded and full evaluation keys, ciphertexts work after a round trip", async () => {
    const c2 = ClientKey.deserialize(client.serialize(), params);
    const s2 = await SeededEvaluationKeys.deserialize(seeded.serialize(), params).expand();
    const e2 = EvaluationKeys.deserialize(server.serialize(), params);
    const msgs = [0, 1, 2, 3];
    const ct = LweCiphertextTensor.deserialize(client.encrypt(msgs, 2).serialize(), params);
    const table = [3, 0, 2, 1];
    for (const ek of [s2, e2]) {
      const out = await ek.applyLookupTable(ct, lookupTables(table, 2));
      expect(c2.decrypt(out, 2)).toEqual(msgs.map((m) => table[m]));
    }
    // re-serializing gives identical bytes (deterministic formats)
    expect(Buffer.from(c2.serialize()).equals(Buffer.from(client.serialize()))).toBe(true);
    expect(Buffer.from(e2.serialize()).equals(Buffer.from(server.serialize()))).toBe(true);
  });

  it("the seeded expansion is deterministic: expanding twice gives the same evaluation keys", async () => {
    const a = (await seeded.expand()).serialize();
    const b = seeded.expandSync().serialize();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(server.serialize()))).toBe(true);
  });

  it("secret key and evaluation keys are separate artifacts", () => {
    expectCleanError(() => EvaluationKeys.deserialize(client.serialize()), /expected a evaluation keys artifact but got a secret key/);
    expectCleanError(() => ClientKey.deserialize(server.serialize()), /expected a secret key artifact but got a evaluation keys/);
  });
});

describe.each(formats)("fuzzing the $name deserializer", (f) => {
  it("accepts its own output", () => {
    expect(() => f.parse(f.bytes(), f.expectsParams ? params : undefined)).not.toThrow();
  });

  it("rejects every truncation", () => {
    const b = f.bytes();
    const cuts = new Set<number>([0, 1, 3, 4, 7, 8, 11, 12, 16, 23, 24, 40, 67, 68, 100, b.length - 8, b.length - 1]);
    for (let i = 0; i < 40; i++) cuts.add(randomInt(b.length));
    for (const cut of cuts) {
      if (cut < 0 || cut >= b.length) continue;
      expectCleanError(() => f.parse(b.subarray(0, cut)), /truncated|trailing|magic|length|out of range|too many|expected/);
    }
  });

  it("rejects trailing bytes", () => {
    const b = f.bytes();
    const longer = new Uint8Array(b.length + 3);
    longer.set(b);
    expectCleanError(() => f.parse(longer), /trailing/);
  });

  it("rejects a wrong magic and a wrong artifact kind", () => {
    const b = Uint8Array.from(f.bytes());
    b[0] = 0x58;
    expectCleanError(() => f.parse(b), /bad magic/);
    const c = Uint8Array.from(f.bytes());
    c.set([0x5a, 0x5a, 0x5a, 0x5a], 4);
    expectCleanError(() => f.parse(c), /unknown artifact kind/);
  });

  it("rejects an unsupported format version (1: parameters without the grouping factor)", () => {
    const b = Uint8Array.from(f.bytes());
    b[8] = 1;
    expectCleanError(() => f.parse(b), /unsupported format version 1 \(this runtime reads version 2\)/);
    b[8] = 0;
    b[11] = 0x80;
    expectCleanError(() => f.parse(b), /unsupported format version/);
  });

  it("rejects a wrong parameter hash", () => {
    if (f.expectsParams) {
      // valid artifact for other parameters
      expectCleanError(() => f.parse(f.otherBytes(), params), /parameter hash mismatch/);
    }
    // corrupted hash field
    const b = Uint8Array.from(f.bytes());
    b[16] ^= 0xff;
    expectCleanError(() => f.parse(b, f.expectsParams ? params : undefined), /hash/);
  });

  it("rejects huge and inconsistent lengths without allocating", () => {
    const b = Uint8Array.from(f.bytes());
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    // overwrite every 8-byte aligned field after the header (one at a time) with a huge value
    for (let off = 24; off + 8 <= Math.min(b.length, 24 + 44 + 64); off += 4) {
      const copy = Uint8Array.from(b);
      new DataView(copy.buffer).setBigUint64(off, 0xffff_ffff_ffff_fff0n, true);
      let thrown: unknown;
      try {
        f.parse(copy);
      } catch (e) {
        thrown = e;
      }
      // Either rejected with a clear error, or (if the field was payload data) accepted.
      if (thrown !== undefined) expect(thrown).toBeInstanceOf(Error);
    }
    void view;
  });

  it("never crashes on random bytes or random mutations", () => {
    const good = f.bytes();
    for (let i = 0; i < 200; i++) {
      const len = randomInt(0, 200);
      const junk = randomBytes(len);
      expectCleanError(() => f.parse(junk));
      // a valid header followed by junk
      const withHeader = Buffer.concat([Buffer.from(good.subarray(0, 24)), randomBytes(randomInt(0, 300))]);
      expectCleanError(() => f.parse(withHeader));
    }
    for (let i = 0; i < 300; i++) {
      const m = Uint8Array.from(good);
      const flips = randomInt(1, 4);
      for (let j = 0; j < flips; j++) {
        // mutate the structured prefix (header, params, lengths)
        const pos = randomInt(Math.min(m.length, 24 + 44 + 48));
        m[pos] = randomInt(256);
      }
      try {
        f.parse(m);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.length).toBeGreaterThan(10);
      }
    }
  });
});

describe("parameter validation", () => {
  it("rejects malformed parameter objects with a message naming the field", () => {
    const base = INSECURE_TEST_P2.raw();
    expect(() => new TfheParameters({ ...base, polynomialSize: 1000 })).toThrow(/polynomialSize must be a power of two/);
    expect(() => new TfheParameters({ ...base, pbsLevel: 0 })).toThrow(/pbsLevel/);
    expect(() => new TfheParameters({ ...base, ksBaseLog: 40, ksLevel: 2 })).toThrow(/ksLevel/);
    expect(() => new TfheParameters({ ...base, lweNoiseStd: Number.NaN })).toThrow(/lweNoiseStd/);
    expect(() => new TfheParameters({ ...base, lweDimension: 1.5 })).toThrow(/lweDimension/);
    expect(() => new TfheParameters({ ...base, glweDimension: 0 })).toThrow(/glweDimension/);
  });
});
