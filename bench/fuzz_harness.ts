// Mutation fuzzing of everything fhec reads from outside: the client spec (raw bytes, and its
// fields with the checksum recomputed so the mutations reach the schema checks), the circuit, the
// key and ciphertext messages, and ONNX models. A case passes when the reader accepts the bytes or
// refuses them with a user-facing error (CompileError, InvalidDataError); anything else — a raw
// TypeError/RangeError, an internal error, a hang — is a finding. Used by the short fuzz test
// (tests/fuzz/) and by `npm run bench -- fuzz` (long runs).
import { CompileError } from "../ir/diagnostics.js";
import { InvalidDataError } from "../runtime/errors.js";
import { FheCircuit } from "../compiler/circuit.js";
import { compile } from "../compiler/compile.js";
import type { NDArray } from "../ir/tensor.js";
import { FheModelClient } from "../compiler/deploy/client.js";
import { FheModelServer } from "../compiler/deploy/server.js";
import { type ClientSpec, serializeClientSpec } from "../compiler/deploy/artifacts.js";
import { unpackContainer } from "../compiler/container.js";
import { importOnnx } from "../compiler/onnx/index.js";

/** Deterministic generator for reproducible cases (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** Byte-level mutations: bit flips, byte overwrites, truncation, insertion, duplication. */
export function mutateBytes(bytes: Uint8Array, rng: Rng, headerBias = 0): Uint8Array {
  const b = Uint8Array.from(bytes);
  // Most interesting structure sits in the first bytes (frames, headers): bias some positions there.
  const at = () => (headerBias > 0 && rng.next() < 0.5 ? rng.int(Math.min(b.length, headerBias)) : rng.int(b.length));
  switch (rng.int(5)) {
    case 0: {
      for (let k = 1 + rng.int(4); k > 0; k--) b[at()] ^= 1 << rng.int(8);
      return b;
    }
    case 1: {
      for (let k = 1 + rng.int(4); k > 0; k--) b[at()] = rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(256)]);
      return b;
    }
    case 2:
      return b.subarray(0, rng.int(b.length));
    case 3: {
      const i = at();
      const extra = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      return new Uint8Array(Buffer.concat([b.subarray(0, i), extra, b.subarray(i)]));
    }
    default: {
      const i = at();
      const j = Math.min(b.length, i + 1 + rng.int(64));
      return new Uint8Array(Buffer.concat([b.subarray(0, j), b.subarray(i, j), b.subarray(j)]));
    }
  }
}

// ---- the client spec's fields ----------------------------------------------------------------

const CLIENT_MAGIC = Buffer.from("FHECCLNT", "latin1");

/** A client spec's header fields as plain JSON (checksum and format tag removed). */
export function specFields(bytes: Uint8Array): Record<string, unknown> {
  const version = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const { header } = unpackContainer(bytes, CLIENT_MAGIC, version, "fhec client spec", "<spec>");
  const { sha256: _sum, format: _format, ...fields } = header;
  return fields;
}

/** Seals fields with a valid checksum (no validation on the way: the reader must do it). */
export function resealSpec(fields: Record<string, unknown>): Uint8Array {
  return serializeClientSpec(fields as unknown as ClientSpec);
}

const ODD_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e-308, 0.5, "", "x", [], [0], [-1], {}, { a: 1 }, Number.NaN,
];

/** Paths to every value in a JSON tree. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

/** Mutates one to three fields of a spec (replace, delete, perturb a number), then reseals it. */
export function mutateSpecFields(spec: Uint8Array, rng: Rng): Uint8Array {
  const fields = structuredClone(specFields(spec));
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const all = paths(fields).filter((p) => p.length > 0);
    const path = rng.pick(all);
    let parent: Record<string | number, unknown> = fields;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    const old = parent[last];
    switch (rng.int(4)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else delete parent[last];
        break;
      case 1:
        if (typeof old === "number") parent[last] = rng.pick([old + 1, old - 1, old * 2, -old, old / 3, Math.round(old * 1e6 + 1) / 1e6]);
        else parent[last] = rng.pick(ODD_VALUES);
        break;
      case 2:
        if (Array.isArray(old) && old.length > 0) old.push(structuredClone(old[rng.int(old.length)]));
        else parent[last] = rng.pick(ODD_VALUES);
        break;
      default:
        parent[last] = rng.pick(ODD_VALUES);
    }
  }
  return resealSpec(fields);
}

// ---- outcomes ----------------------------------------------------------------------------------

export type Outcome = "accepted" | "refused" | "crash";

export interface Finding {
  readonly kind: string;
  readonly seed: number;
  readonly error: string;
}

/** Errors a front end reports as the user's (one line, exit 1). Anything else is a finding. */
export function isUserFacing(err: unknown): boolean {
  if (!(err instanceof CompileError || err instanceof InvalidDataError)) return false;
  // A raw engine error that was merely wrapped is still a finding.
  return !/^(TypeError|RangeError)\b|is not iterable|Cannot read propert|undefined is not|is not a function|internal error/.test(err.message);
}

export async function outcomeOf(f: () => unknown): Promise<{ outcome: Outcome; error?: string }> {
  try {
    await f();
    return { outcome: "accepted" };
  } catch (err) {
    if (isUserFacing(err)) return { outcome: "refused" };
    const e = err as Error;
    return { outcome: "crash", error: `${e?.name ?? "?"}: ${e?.message ?? String(err)}`.slice(0, 300) };
  }
}

// ---- the artifact kinds ------------------------------------------------------------------------

/** A deployed circuit with one of each artifact, to mutate and feed back to its reader. */
export interface Corpus {
  readonly spec: Uint8Array;
  readonly circuit: Uint8Array;
  readonly secretKey: Uint8Array;
  readonly evaluationKeys: Uint8Array;
  readonly inputs: Uint8Array;
  readonly outputs: Uint8Array;
  readonly server: FheModelServer;
  readonly client: FheModelClient;
  readonly keyId: string;
}

/**
 * The server's evaluation-key cache in a fuzz run. Mutated key sets that still parse each get an
 * entry (their id is their hash); at the default limit (4 GiB) a long run holds gigabytes of them,
 * so the harness bounds the cache, and its eviction is exercised on every long run.
 */
export const FUZZ_KEY_CACHE_BYTES = 256 * 2 ** 20;

/** Room for the runtime, key generation and the upload copies the garbage collector frees late. */
const RUNTIME_MARGIN_BYTES = 256 * 2 ** 20;

/**
 * How far resident memory may grow while a server takes uploads one at a time, however many it
 * refuses: a full key cache, one key set being expanded (freed at once if refused), and a
 * margin. Keys left to the garbage collector instead break it within a few dozen refusals.
 */
export function keyUploadMemoryBound(server: FheModelServer): number {
  return server.keyCacheStats.maxBytes + server.keyBytes + RUNTIME_MARGIN_BYTES;
}

/** Compiles `model` at 3 bits and makes one artifact of each kind. */
export async function makeCorpus(model: string, calibration: NDArray, x: NDArray): Promise<Corpus> {
  const circuit = compile(model, { calibration, nBits: 3 });
  const server = new FheModelServer(circuit, { maxKeyCacheBytes: FUZZ_KEY_CACHE_BYTES });
  const spec = serializeClientSpec(server.clientSpec());
  const client = FheModelClient.load(spec);
  const keys = await client.generateKeys();
  const keyId = await server.addEvaluationKeys(keys.evaluationKeys);
  const inputs = client.encrypt(x);
  const outputs = await server.run(keyId, inputs);
  return { spec, circuit: circuit.serialize(), secretKey: keys.secretKey, evaluationKeys: keys.evaluationKeys, inputs, outputs, server, client, keyId };
}

export interface ArtifactKind {
  readonly name: string;
  /** A mutated artifact from the corpus. */
  mutate(c: Corpus, rng: Rng): Uint8Array;
  /** Feeds it to its reader (and, when accepted, to what uses it next). */
  consume(c: Corpus, bytes: Uint8Array): Promise<unknown>;
}

export const ARTIFACT_KINDS: readonly ArtifactKind[] = [
  {
    name: "client-spec-bytes",
    mutate: (c, rng) => mutateBytes(c.spec, rng, 64),
    consume: async (_c, b) => FheModelClient.load(b),
  },
  {
    name: "client-spec-fields",
    mutate: (c, rng) => mutateSpecFields(c.spec, rng),
    // A spec the reader accepts must also encrypt and decrypt without a raw error.
    consume: async (c, b) => {
      const client = FheModelClient.load(b);
      client.loadSecretKey(c.secretKey);
      client.decrypt(c.outputs);
    },
  },
  {
    name: "circuit",
    mutate: (c, rng) => mutateBytes(c.circuit, rng, 256),
    consume: async (_c, b) => new FheModelServer(FheCircuit.deserialize(b)),
  },
  {
    name: "evaluation-keys",
    mutate: (c, rng) => mutateBytes(c.evaluationKeys, rng, 512),
    consume: async (c, b) => c.server.addEvaluationKeys(b),
  },
  {
    name: "inputs",
    mutate: (c, rng) => mutateBytes(c.inputs, rng, 512),
    consume: async (c, b) => c.server.run(c.keyId, b),
  },
  {
    name: "outputs",
    mutate: (c, rng) => mutateBytes(c.outputs, rng, 512),
    consume: async (c, b) => c.client.decrypt(b),
  },
  {
    name: "secret-key",
    mutate: (c, rng) => mutateBytes(c.secretKey, rng, 256),
    consume: async (c, b) => FheModelClient.load(c.spec).loadSecretKey(b),
  },
];

/** The ONNX kind: a mutated model must import (and compile) or be refused clearly. */
export async function consumeOnnx(bytes: Uint8Array, calibration: NDArray, compileToo: boolean): Promise<unknown> {
  const m = importOnnx(bytes);
  if (compileToo) return compile(bytes, { calibration, nBits: 3, cryptoParameters: false });
  return m;
}

export interface KindReport {
  readonly kind: string;
  readonly cases: number;
  readonly accepted: number;
  readonly refused: number;
  readonly crashes: number;
  /** Cases that took longer than the hang limit (they still finished: see the watchdog bench). */
  readonly slow: number;
  readonly maxCaseMs: number;
  readonly findings: readonly Finding[];
}

/**
 * Runs `kind` on seeds from `firstSeed` until `cases` cases or `budgetMs` milliseconds, whichever
 * comes first. A case slower than `hangMs` counts as a hang.
 */
export async function fuzzKind(c: Corpus, kind: ArtifactKind, options: { cases: number; budgetMs: number; firstSeed?: number; hangMs?: number }): Promise<KindReport> {
  const hangMs = options.hangMs ?? 10_000;
  const start = Date.now();
  const findings: Finding[] = [];
  let cases = 0, accepted = 0, refused = 0, slow = 0, maxCaseMs = 0;
  for (let seed = options.firstSeed ?? 1; cases < options.cases && Date.now() - start < options.budgetMs; seed++) {
    const rng = new Rng(seed);
    const bytes = kind.mutate(c, rng);
    const t0 = Date.now();
    const r = await outcomeOf(() => kind.consume(c, bytes));
    const ms = Date.now() - t0;
    maxCaseMs = Math.max(maxCaseMs, ms);
    if (ms > hangMs) slow++;
    cases++;
    if (r.outcome === "accepted") accepted++;
    else if (r.outcome === "refused") refused++;
    else findings.push({ kind: kind.name, seed, error: r.error! });
  }
  return { kind: kind.name, cases, accepted, refused, crashes: findings.length, slow, maxCaseMs, findings };
}
