// Round trips and fuzzing of every deserializer: malformed input must give a clear JS Error.
import { randomBytes, randomInt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ClientKey, CONCRETE_P4, EvaluationKeys, lookupTables, LweCiphertextTensor,
  SeededEvaluationKeys, TfheParameters,
} from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";

// The fuzz tests run on the tiny INSECURE set and on a realistic secure one (CONCRETE_P4: keys of
// tens of MiB). Every artifact is header (magic, kind, version, reserved, parameter hash) and
// structure (embedded parameters, lengths, dimension, shape) around a payload (key bits, key
// bodies, mask seed, ciphertext words). A change to the structure must be rejected. The runtime
// formats carry no checksum of their payload (the deployment envelopes do), so a changed payload
// word is another valid key or ciphertext: it must either be rejected by a value check (a
// non-binary key bit, a non-finite key value) or be read faithfully, re-serializing to exactly the
// bytes given.

/** The keys of one parameter set, generated once. */
interface Suite {
  params: TfheParameters;
  client: ClientKey;
  seeded: SeededEvaluationKeys;
  server: EvaluationKeys;
}

const params = INSECURE_TEST_P2;
const other = new TfheParameters({ ...INSECURE_TEST_P2.raw(), ksLevel: 4 }, "INSECURE_TEST_OTHER");
const suites: Record<string, Suite> = {};
const suiteOf = async (p: TfheParameters): Promise<Suite> => {
  const client = ClientKey.generate(p);
  const seeded = await client.generateSeededEvaluationKeys();
  return { params: p, client, seeded, server: await seeded.expand() };
};

let client: ClientKey;
let seeded: SeededEvaluationKeys;
let server: EvaluationKeys;

beforeAll(async () => {
  for (const p of [params, other, CONCRETE_P4]) suites[p.name!] = await suiteOf(p);
  ({ client, seeded, server } = suites[params.name!]!);
}, 120_000);

const HEADER = 24;
const PARAMETERS = 48; // 8 × u32 (the PBS grouping factor last) then 2 × f64
type Range = readonly [number, number];
const u64At = (b: Uint8Array, off: number): number => Number(new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0, true));

interface Format {
  name: string;
  bytes: (s: Suite) => Uint8Array;
  parse: (b: Uint8Array, p?: TfheParameters) => unknown;
  serialize: (parsed: unknown) => Uint8Array;
  /** The payload byte ranges of a well-formed artifact (every other byte is structure). */
  payload: (b: Uint8Array) => Range[];
  expectsParams: boolean;
}

/** Length-prefixed arrays after header and parameters (and a skipped prefix): [u64 count, count·width bytes]… */
function countedArrays(b: Uint8Array, start: number, widths: readonly number[]): Range[] {
  const out: Range[] = [];
  let off = start;
  for (const w of widths) {
    const bytes = u64At(b, off) * w;
    out.push([off + 8, off + 8 + bytes]);
    off += 8 + bytes;
  }
  return out;
}

const formats: Format[] = [
  { name: "parameters", bytes: (s) => s.params.serialize(), parse: (b) => TfheParameters.deserialize(b),
    serialize: (x) => (x as TfheParameters).serialize(), payload: () => [], expectsParams: false },
  { name: "secret key", bytes: (s) => s.client.serialize(), parse: (b, p) => ClientKey.deserialize(b, p),
    serialize: (x) => (x as ClientKey).serialize(), payload: (b) => countedArrays(b, HEADER + PARAMETERS, [1, 1]), expectsParams: true },
  { name: "seeded evaluation keys", bytes: (s) => s.seeded.serialize(), parse: (b, p) => SeededEvaluationKeys.deserialize(b, p),
    serialize: (x) => (x as SeededEvaluationKeys).serialize(), expectsParams: true,
    payload: (b) => {
      const start = HEADER + PARAMETERS;
      const kskWords = u64At(b, start + 32);
      const width = findWidth(b, start + 32, kskWords);
      const bsk = countedArrays(b, start + 32 + 8 + kskWords * width, [8]);
      return [[start, start + 32], [start + 40, start + 40 + kskWords * width], ...bsk];
    } },
  { name: "evaluation keys", bytes: (s) => s.server.serialize(), parse: (b, p) => EvaluationKeys.deserialize(b, p),
    serialize: (x) => (x as EvaluationKeys).serialize(), expectsParams: true,
    payload: (b) => {
      const start = HEADER + PARAMETERS;
      const kskWords = u64At(b, start);
      const width = findWidth(b, start, kskWords);
      return [[start + 8, start + 8 + kskWords * width], ...countedArrays(b, start + 8 + kskWords * width, [8])];
    } },
  { name: "ciphertext tensor", bytes: (s) => s.client.encrypt([1, 2, 3, 0], 2, { shape: [2, 2] }).serialize(),
    parse: (b, p) => LweCiphertextTensor.deserialize(b, p), serialize: (x) => (x as LweCiphertextTensor).serialize(), expectsParams: true,
    payload: (b) => {
      const rank = new DataView(b.buffer, b.byteOffset + HEADER + 8, 4).getUint32(0, true);
      return countedArrays(b, HEADER + 8 + 4 + 8 * rank, [8]);
    } },
];

/** Bytes per keyswitching-key word (4 when compact, else 8): the one that makes the layout end exactly. */
function findWidth(b: Uint8Array, countAt: number, words: number): number {
  for (const w of [4, 8]) {
    const next = countAt + 8 + words * w;
    if (next + 8 <= b.length && next + 8 + u64At(b, next) * 8 === b.length) return w;
  }
  throw new Error("unrecognised key layout");
}

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

/** Artifacts above this many bytes (realistic key sets) get fewer of the trials that parse them whole. */
const LARGE = 1 << 20;
/** The parsers are synchronous: let the test runner's messages through between trials. */
const yieldToRunner = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const fuzzCases = [INSECURE_TEST_P2, CONCRETE_P4].flatMap((p) => formats.map((f) => ({ ...f, set: p.name! })));

/** The artifact parses to something that re-serializes to exactly these bytes, or is rejected by a value check. */
function expectFaithfulOrRejected(f: Format, b: Uint8Array, p: TfheParameters | undefined, where: string): void {
  let parsed: unknown;
  try {
    parsed = f.parse(b, p);
  } catch (e) {
    expect(e, where).toBeInstanceOf(Error);
    expect((e as Error).message, where).toMatch(/non-binary|non-finite/);
    return;
  }
  expect(Buffer.from(f.serialize(parsed)).equals(Buffer.from(b)), `${where}: parsed, but not to the bytes given`).toBe(true);
}

describe.each(fuzzCases)("fuzzing the $name deserializer ($set)", (f) => {
  const suite = (): Suite => suites[f.set]!;
  const expected = (): TfheParameters | undefined => (f.expectsParams ? suite().params : undefined);
  // An artifact of another parameter set: INSECURE_TEST_OTHER's for the small set, the small set's for the realistic one.
  const otherSuite = (): Suite => suites[f.set === params.name ? other.name! : params.name!]!;

  it("accepts its own output and re-serializes it to the same bytes", () => {
    const b = f.bytes(suite());
    expect(Buffer.from(f.serialize(f.parse(b, expected()))).equals(Buffer.from(b))).toBe(true);
  });

  it("rejects every truncation", () => {
    const b = f.bytes(suite());
    const cuts = new Set<number>([0, 1, 3, 4, 7, 8, 11, 12, 16, 23, 24, 40, 67, 68, 100, b.length - 8, b.length - 1]);
    for (let i = 0; i < 40; i++) cuts.add(randomInt(b.length));
    for (const cut of cuts) {
      if (cut < 0 || cut >= b.length) continue;
      expectCleanError(() => f.parse(b.subarray(0, cut)), /truncated|trailing|magic|length|out of range|too many|expected/);
    }
  });

  it("rejects trailing bytes", () => {
    const b = f.bytes(suite());
    const longer = new Uint8Array(b.length + 3);
    longer.set(b);
    expectCleanError(() => f.parse(longer), /trailing/);
  });

  it("rejects a wrong magic and a wrong artifact kind", () => {
    const b = f.bytes(suite());
    const keep = Uint8Array.from(b.subarray(0, 8)); // a copy (Buffer.slice would be a view)
    b[0] = 0x58;
    expectCleanError(() => f.parse(b), /bad magic/);
    b.set(keep);
    b.set([0x5a, 0x5a, 0x5a, 0x5a], 4);
    expectCleanError(() => f.parse(b), /unknown artifact kind/);
  });

  it("rejects an unsupported format version (1: parameters without the grouping factor)", () => {
    const b = f.bytes(suite());
    b[8] = 1;
    expectCleanError(() => f.parse(b), /unsupported format version 1 \(this runtime reads version 2\)/);
    b[8] = 0;
    b[11] = 0x80;
    expectCleanError(() => f.parse(b), /unsupported format version/);
  });

  it("rejects a wrong parameter hash", () => {
    if (f.expectsParams) {
      // A valid artifact of other parameters.
      expectCleanError(() => f.parse(f.bytes(otherSuite()), suite().params), /parameter hash mismatch/);
    }
    // A corrupted hash field.
    const b = f.bytes(suite());
    b[16] ^= 0xff;
    expectCleanError(() => f.parse(b, expected()), /hash/);
  });

  it("rejects a huge value in any structure field without allocating; a payload word stays what it says", async () => {
    const b = f.bytes(suite());
    const large = b.length > LARGE;
    const payload = f.payload(b);
    const inPayload = (from: number, to: number): boolean => payload.some(([s, e]) => from >= s && to <= e);
    // Every 8-byte window at a 4-byte step after the header, one at a time.
    for (let off = HEADER; off + 8 <= Math.min(b.length, HEADER + PARAMETERS + 64); off += 4) {
      const keep = Uint8Array.from(b.subarray(off, off + 8));
      new DataView(b.buffer, b.byteOffset).setBigUint64(off, 0xffff_ffff_ffff_fff0n, true);
      // (A payload parse of a realistic key set reads tens of MiB: the payload test covers those.)
      if (!inPayload(off, off + 8)) expectCleanError(() => f.parse(b, expected()));
      else if (!large) expectFaithfulOrRejected(f, b, expected(), `payload bytes ${off}..${off + 8}`);
      b.set(keep, off);
      await yieldToRunner();
    }
  });

  it("never crashes on random bytes", () => {
    const good = f.bytes(suite());
    for (let i = 0; i < 200; i++) {
      expectCleanError(() => f.parse(randomBytes(randomInt(0, 200)), expected()));
      // A valid header followed by junk.
      const withHeader = Buffer.concat([Buffer.from(good.subarray(0, HEADER)), randomBytes(randomInt(0, 300))]);
      expectCleanError(() => f.parse(withHeader, expected()));
    }
  });

  it("rejects every change to the structure: header, parameters, lengths, shape", async () => {
    const b = f.bytes(suite());
    const payload = f.payload(b);
    // The complement of the payload ranges (in order, disjoint).
    const structure: number[] = [];
    let from = 0;
    for (const [s, e] of [...payload, [b.length, b.length] as const]) {
      for (let i = from; i < s; i++) structure.push(i);
      from = e;
    }
    expect(structure.length).toBeGreaterThanOrEqual(HEADER);
    for (let i = 0; i < 300; i++) {
      const changed = new Map<number, number>();
      for (let j = randomInt(1, 4); j > 0; j--) {
        const pos = structure[randomInt(structure.length)]!;
        if (!changed.has(pos)) changed.set(pos, b[pos]!);
        b[pos] = (b[pos]! + randomInt(1, 256)) & 0xff; // always a different byte
      }
      const differs = [...changed].some(([pos, was]) => b[pos] !== was);
      const where = [...changed.keys()].join(", ");
      if (differs) {
        let thrown: unknown;
        try {
          f.parse(b, expected());
        } catch (e) {
          thrown = e;
        }
        expect(thrown, `structure bytes ${where} changed, yet the artifact parsed`).toBeInstanceOf(Error);
        expect((thrown as Error).message.length).toBeGreaterThan(10);
      }
      for (const [pos, was] of changed) b[pos] = was;
      await yieldToRunner();
    }
  });

  it("reads a changed payload faithfully or rejects it by a value check", async () => {
    const b = f.bytes(suite());
    const payload = f.payload(b).filter(([s, e]) => e > s);
    if (payload.length === 0) return; // parameters: every byte is structure
    // Each successful parse of a realistic key set reads and re-writes tens of MiB: fewer trials.
    const trials = b.length > LARGE ? 4 : 40;
    for (let i = 0; i < trials; i++) {
      const [s, e] = payload[randomInt(payload.length)]!;
      const pos = s + randomInt(e - s);
      const was = b[pos]!;
      b[pos] = (was + randomInt(1, 256)) & 0xff;
      expectFaithfulOrRejected(f, b, expected(), `payload byte ${pos}`);
      b[pos] = was;
      await yieldToRunner();
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
