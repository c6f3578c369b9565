// Artifacts as streams of chunks. A ByteStream knows its size up front and can be read any number
// of times (each pass re-reads the object's own memory: nothing holds the whole serialized form);
// a ChunkParser is fed chunks of any size and builds the object as they arrive. Together they
// carry keys and ciphertexts of any size (tens of GiB) to and from files, hashes and sockets.
import { createHash } from "node:crypto";
import { asInvalidData } from "./errors.js";
import { native, type NativeHandle } from "./native.js";

/** Chunk size of every stream unless a caller asks otherwise: large enough to amortise calls, small next to any key. */
export const DEFAULT_CHUNK_BYTES = 4 * 2 ** 20;

/** The serialized form of an artifact, produced chunk by chunk. */
export interface ByteStream {
  /** Total length in bytes. */
  readonly size: number;
  /** A fresh pass over the bytes, in chunks of at most `chunkBytes` (each chunk is a new array). */
  chunks(chunkBytes?: number): Iterable<Uint8Array>;
}

/** A consumer of chunks: push them in order, then finish. */
export interface ChunkSink<T> {
  push(chunk: Uint8Array): void;
  finish(): T;
  /**
   * The stream was refused or cut short: drop what was built from it now. Sinks holding native
   * memory (an expanding key parser holds the keys expanded so far, which the garbage collector
   * is not told about) must free it here, or a server refusing many bad uploads keeps them all.
   */
  abort?(): void;
}

function checkChunkBytes(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`chunk size must be a positive integer, got ${n}`);
}

/** A stream over bytes already in memory (small artifacts: headers, specs). */
export function bytesStream(bytes: Uint8Array): ByteStream {
  return {
    size: bytes.length,
    *chunks(chunkBytes = DEFAULT_CHUNK_BYTES) {
      checkChunkBytes(chunkBytes);
      for (let off = 0; off < bytes.length; off += chunkBytes) yield bytes.subarray(off, Math.min(bytes.length, off + chunkBytes));
    },
  };
}

/** The streams one after another. */
export function concatStreams(parts: readonly ByteStream[]): ByteStream {
  return {
    size: parts.reduce((s, p) => s + p.size, 0),
    *chunks(chunkBytes = DEFAULT_CHUNK_BYTES) {
      for (const p of parts) yield* p.chunks(chunkBytes);
    },
  };
}

/**
 * A stream read from a native serializer, opened anew for every pass. Each source is released as
 * soon as its pass ends (a source holds the object it reads: a released key's memory goes at once,
 * not at some later garbage collection).
 */
export function nativeStream(open: () => NativeHandle): ByteStream {
  const probe = open();
  const size = native().sourceSize(probe);
  native().release(probe);
  return {
    size,
    *chunks(chunkBytes = DEFAULT_CHUNK_BYTES) {
      checkChunkBytes(chunkBytes);
      const src = open();
      try {
        for (;;) {
          const chunk = new Uint8Array(chunkBytes);
          const n = native().sourceRead(src, chunk);
          if (n === 0) return;
          yield n === chunkBytes ? chunk : chunk.subarray(0, n);
        }
      } finally {
        native().release(src);
      }
    },
  };
}

/** The whole stream in one array (small artifacts only: a Buffer is limited to a few GiB). */
export function collect(stream: ByteStream): Uint8Array {
  const out = new Uint8Array(stream.size);
  let off = 0;
  for (const c of stream.chunks()) {
    out.set(c, off);
    off += c.length;
  }
  if (off !== stream.size) throw new Error(`internal error: stream announced ${stream.size} bytes but produced ${off}`);
  return out;
}

/** Hex sha256 of a stream, computed chunk by chunk. */
export function sha256Of(stream: ByteStream): string {
  const h = createHash("sha256");
  for (const c of stream.chunks()) h.update(c);
  return h.digest("hex");
}

/** Artifact kinds the native runtime reads and writes. */
export type NativeArtifactKind = "params" | "secret-key" | "seeded-keys" | "seeded-keys-expanding" | "eval-keys" | "ciphertexts";

/**
 * Incremental native parser of one artifact kind: `make` turns the finished native result into
 * the caller's object. With `expectedHash` the artifact's parameter hash must match; with
 * `totalBytes` (a file size) impossible lengths fail before anything is allocated.
 */
export class NativeParser<R, T> implements ChunkSink<T> {
  private readonly handle: NativeHandle;

  constructor(kind: NativeArtifactKind, private readonly make: (raw: R) => T, expectedHash?: bigint, totalBytes?: number) {
    this.handle = native().parserOpen(kind, expectedHash, totalBytes);
  }

  // The bytes are untrusted: whatever the addon rejects in them is the data's fault. A parser
  // that failed, finished or was aborted frees its native state at once.
  push(chunk: Uint8Array): void {
    try {
      asInvalidData(() => native().parserPush(this.handle, chunk));
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  finish(): T {
    try {
      return this.make(asInvalidData(() => native().parserFinish(this.handle) as R));
    } finally {
      this.abort();
    }
  }

  abort(): void {
    native().release(this.handle);
  }
}

/** Feeds every chunk to `sink` and finishes it. */
export function parseChunks<T>(sink: ChunkSink<T>, chunks: Iterable<Uint8Array>): T {
  for (const c of chunks) sink.push(c);
  return sink.finish();
}

/** TESTS ONLY: the largest Buffer the addon creates in one piece (0 = no limit of its own). */
export function setBufferLimitForTests(bytes: number): void {
  native().setBufferLimitForTests(bytes);
}
