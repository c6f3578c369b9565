// The server of a deployed model (Concrete ML's FHEModelServer): holds the compiled circuit and
// evaluation keys, computes on ciphertexts. It has no way to take a secret key: its inputs are
// evaluation-key and ciphertext messages, checked to belong to this circuit.
import { fail } from "../../ir/diagnostics.js";
import {
  type ByteStream, type ChunkSink, collect, encryptedBatchParser, encryptedBatchStream, evaluationKeySize, type EvaluationKeys, type EvaluationKeySet,
  type ExecuteOptions, SeededEvaluationKeys, SeededEvaluationKeySet, type TfheProgram, TfheServer,
} from "../../backends/tfhe/index.js";
import { FheCircuit } from "../circuit.js";
import { KeyCache, type CacheStats } from "./key_cache.js";
import { type ClientSpec, circuitId, clientSpecOf, messageParser, messageStream, type MessageContents } from "./artifacts.js";
import type { ByteSource } from "./client.js";
import { lowerCircuit } from "./program.js";

/** Bytes from memory, a file read in chunks, or a network stream. */
export type ChunkSource = ByteSource | AsyncIterable<Uint8Array>;

export interface FheModelServerOptions {
  /** Bytes of expanded evaluation keys kept at once (least recently used evicted first). Default 4 GiB. */
  readonly maxKeyCacheBytes?: number;
}

export const DEFAULT_KEY_CACHE_BYTES = 4 * 2 ** 30;

/** A sink that only lets the message parser hash the bytes (keys this server already holds). */
function discard(): ChunkSink<undefined> {
  return { push: () => {}, finish: () => undefined };
}

/** A sink whose target is chosen after the envelope is read: holds at most the chunk that ended the header. */
class LateSink<T> implements ChunkSink<T | undefined> {
  private pending: Uint8Array[] = [];
  private target: ChunkSink<T | undefined> | undefined;

  use(target: ChunkSink<T | undefined>): void {
    this.target = target;
    for (const c of this.pending) target.push(c);
    this.pending = [];
  }

  push(chunk: Uint8Array): void {
    if (this.target) this.target.push(chunk);
    else this.pending.push(chunk);
  }

  finish(): T | undefined {
    if (!this.target) throw new Error("internal error: key sink finished before its target was chosen");
    return this.target.finish();
  }

  abort(): void {
    this.target?.abort?.();
    this.pending = [];
  }
}

function asyncChunks(source: ChunkSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  if (source instanceof Uint8Array) return [source][Symbol.iterator]();
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return (source as Iterable<Uint8Array>)[Symbol.iterator]();
}

/** Pushes chunks into `sink` until `stop()` holds or the source ends; true if the source ended. */
async function pump(it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>, sink: ChunkSink<unknown>, stop: () => boolean = () => false): Promise<boolean> {
  while (!stop()) {
    const r = await it.next();
    if (r.done) return true;
    sink.push(r.value);
  }
  return false;
}

/** Reads a whole message from any source. */
async function parseSource<T>(sink: ChunkSink<T>, source: ChunkSource): Promise<T> {
  await pump(asyncChunks(source), sink);
  return sink.finish();
}

export class FheModelServer {
  readonly circuitId: string;
  private readonly program: TfheProgram;
  private readonly keys: KeyCache<TfheServer>;
  // Runs in progress per cached server: one the cache drops meanwhile is freed when its last run ends.
  private readonly running = new Map<TfheServer, number>();
  private readonly dropped = new Set<TfheServer>();

  constructor(readonly circuit: FheCircuit, options: FheModelServerOptions = {}) {
    if (!circuit.parameters) fail("E0600", "the circuit has no TFHE parameter set (compiled with --no-params): it can only be simulated");
    this.circuitId = circuitId(circuit);
    this.program = lowerCircuit(circuit);
    this.keys = new KeyCache<TfheServer>(options.maxKeyCacheBytes ?? DEFAULT_KEY_CACHE_BYTES, (server) => this.free(server));
    const need = this.keyBytes;
    if (need > this.keys.maxBytes) {
      fail("E0400", `one key set of this circuit takes ${need} bytes expanded, more than the key cache limit of ${this.keys.maxBytes} bytes: raise the limit`);
    }
  }

  static load(bytes: ByteSource, file = "<memory>", options: FheModelServerOptions = {}): FheModelServer {
    return new FheModelServer(FheCircuit.deserialize(bytes, file), options);
  }

  /**
   * Frees the native keys of a server the key cache let go of, now: the garbage collector is told
   * of their size, but a server busy refusing uploads may not collect for a long while. A server
   * still running a batch is freed when its last run ends.
   */
  private free(server: TfheServer): void {
    if (this.running.has(server)) this.dropped.add(server);
    else server.release();
  }

  /** Runs `f` on a cached server, which stays usable until `f` ends even if the cache drops it meanwhile. */
  private async using<T>(server: TfheServer, f: () => Promise<T>): Promise<T> {
    this.running.set(server, (this.running.get(server) ?? 0) + 1);
    try {
      return await f();
    } finally {
      const left = this.running.get(server)! - 1;
      if (left > 0) this.running.set(server, left);
      else {
        this.running.delete(server);
        if (this.dropped.delete(server)) server.release();
      }
    }
  }

  /** What the client needs (no weights), for `circuit.client`. */
  clientSpec(): ClientSpec {
    return clientSpecOf(this.circuit, this.program.inputs, this.program.outputs);
  }

  /**
   * The client spec of a circuit without a server: `fhec compile` writes it beside circuits
   * whose keys exceed any key cache (the cache's bound is the server's business, not the
   * compiler's).
   */
  static clientSpecOf(circuit: FheCircuit): ClientSpec {
    if (!circuit.parameters) fail("E0600", "the circuit has no TFHE parameter set (compiled with --no-params): it can only be simulated");
    const program = lowerCircuit(circuit);
    return clientSpecOf(circuit, program.inputs, program.outputs);
  }

  /** PBS per sample (what a run costs). */
  get pbsPerSample(): number {
    return this.program.pbsPerSample;
  }

  /** Bytes of one expanded key set of this circuit's partitions (conversion keys aside). */
  get keyBytes(): number {
    return this.program.partitions.reduce((n, p) => n + evaluationKeySize(p).inMemory, 0);
  }

  /**
   * Verifies an evaluation-key message (streamed: keys of any size) and expands the keys while
   * reading them, straight into their final layout; keeps them in the key cache under their id,
   * the sha256 of the seeded keys computed here from the bytes read. The id the envelope claims
   * only says which keys to look for: keys already held, or being added by a concurrent call, are
   * hashed and compared, not expanded again; a claim the bytes do not bear out is refused and
   * never touches the entry it names.
   */
  async addEvaluationKeys(evaluationKeys: ChunkSource, file = "<evaluation keys>"): Promise<string> {
    const it = asyncChunks(evaluationKeys);
    type Payload = EvaluationKeys | EvaluationKeySet;
    const late = new LateSink<Payload>();
    let header: { bytes: number; claimed: string | undefined } | undefined;
    const parser = messageParser("evaluation-keys", this.circuitId, file, (bytes, claimed): ChunkSink<Payload | undefined> => {
      header = { bytes, claimed };
      return late;
    });
    // Read the envelope only: what to do with the payload depends on the id it claims.
    if (await pump(it, parser, () => header !== undefined) && header === undefined) parser.finish();
    const { bytes, claimed } = header!;
    const finish = async (): Promise<MessageContents<Payload | undefined>> => {
      let r: MessageContents<Payload | undefined>;
      try {
        await pump(it, parser);
        r = parser.finish();
      } catch (e) {
        parser.abort?.(); // a refused or broken upload frees its partly expanded keys now
        throw e;
      }
      // The checksum just verified covers exactly the seeded keys' bytes: it is their id.
      if (r.keyId !== undefined && r.keyId !== r.sha256) {
        r.value?.release(); // refused after a whole expansion: free the keys now, not at some collection
        fail("E0700", `'${file}' is not a valid fhec evaluation keys file: its key id is not the id of the keys it holds`);
      }
      return r;
    };
    const expand = async (): Promise<{ id: string; server: TfheServer }> => {
      // One partition: its seeded keys; several: a key set, each partition expanded as it arrives.
      const { params, partitions, conversions, outputKey } = this.program;
      late.use(partitions.length > 1 ? SeededEvaluationKeySet.expandingParser(partitions, conversions, outputKey) : SeededEvaluationKeys.expandingParser(params, bytes));
      const r = await finish();
      try {
        return { id: r.sha256, server: await TfheServer.create(this.program, r.value!, { keyId: r.sha256 }) };
      } catch (e) {
        r.value!.release();
        throw e;
      }
    };
    if (claimed === undefined) {
      // No claim to look up: expand, then keep under the id the bytes give.
      const { id, server } = await expand();
      // A concurrent load of the same keys may have won: then ours are a duplicate, freed now.
      if (await this.keys.load(id, async () => ({ value: server, bytes: server.keyBytes })) !== server) server.release();
      return id;
    }
    // Wait for any load of the same id: it either succeeds (then only hash ours) or fails (then load ours).
    for (let p = this.keys.pending(claimed); p; p = this.keys.pending(claimed)) await p.catch(() => undefined);
    if (this.keys.has(claimed)) {
      late.use(discard());
      await finish(); // keyId = sha256 of what was read: the bytes are the keys held
      this.keys.get(claimed);
      return claimed;
    }
    await this.keys.load(claimed, async () => {
      const { server } = await expand(); // finish() checked that the bytes' sha256 is `claimed`
      return { value: server, bytes: server.keyBytes };
    });
    return claimed;
  }

  /** Whether keys with this id are in the cache now. */
  hasKeys(id: string): boolean {
    return this.keys.has(id);
  }

  /** Ids of the evaluation keys this server holds, least recently used first. */
  get keyIds(): readonly string[] {
    return this.keys.ids;
  }

  get keyCacheStats(): CacheStats {
    return this.keys.stats;
  }

  private async serverFor(keys: string | ByteSource, file: string): Promise<{ id: string; server: TfheServer }> {
    const id = typeof keys === "string" ? keys : await this.addEvaluationKeys(keys, file);
    const server = this.keys.get(id);
    if (!server) fail("E0703", `no evaluation keys with id ${id.slice(0, 16)}… on this server: add them first`);
    return { id, server };
  }

  /**
   * Runs the circuit on encrypted inputs with evaluation keys given by id (see
   * {@link addEvaluationKeys}) or as a message; returns encrypted outputs.
   */
  async run(evaluationKeys: string | ByteSource, inputs: ChunkSource, options: ExecuteOptions & { readonly keysFile?: string; readonly inputsFile?: string } = {}): Promise<Uint8Array> {
    return collect(await this.runStream(evaluationKeys, inputs, options));
  }

  /** {@link run} with the encrypted outputs as a stream (write them chunk by chunk). */
  async runStream(evaluationKeys: string | ByteSource, inputs: ChunkSource, options: ExecuteOptions & { readonly keysFile?: string; readonly inputsFile?: string } = {}): Promise<ByteStream> {
    const { id, server } = await this.serverFor(evaluationKeys, options.keysFile ?? "<evaluation keys>");
    const file = options.inputsFile ?? "<inputs>";
    const expected = this.program.inputs.map((i) => this.program.partitions[i.partition ?? 0]!);
    const out = await this.using(server, async () => {
      const { value: batch } = await parseSource(messageParser("inputs", this.circuitId, file, () => encryptedBatchParser(expected, file)), inputs);
      if (batch.keyId !== undefined && batch.keyId !== id) {
        fail("E0702", `'${file}' was encrypted under another client key (key id ${batch.keyId.slice(0, 16)}…) than the evaluation keys (key id ${id.slice(0, 16)}…): encrypt with the key whose evaluation keys the server holds`);
      }
      return server.run(batch, options);
    });
    return messageStream("outputs", this.circuitId, encryptedBatchStream(out), out.keyId);
  }
}
