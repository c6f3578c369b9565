// The frame of every fhec container file (circuits, client specs, messages, encrypted batches):
// 8-byte magic, u32 format version, u32 header length, a JSON header, then the payload. Written as
// a stream and read incrementally: the prefix is buffered (it is small), the payload goes chunk by
// chunk to a sink chosen from the header, so payloads of any size pass through.
import { type ByteStream, bytesStream, type ChunkSink, concatStreams } from "./stream.js";

const FIXED = 16;

/** The frame's prefix (magic, version, header) followed by the payload. */
export function frameStream(magic: Buffer, version: number, header: unknown, payload?: ByteStream): ByteStream {
  const h = Buffer.from(JSON.stringify(header), "utf8");
  const fixed = Buffer.alloc(FIXED);
  magic.copy(fixed, 0);
  fixed.writeUInt32LE(version, 8);
  fixed.writeUInt32LE(h.length, 12);
  const prefix = bytesStream(new Uint8Array(Buffer.concat([fixed, h])));
  return payload ? concatStreams([prefix, payload]) : prefix;
}

export interface FrameSpec {
  readonly magic: Buffer;
  readonly version: number;
  /** Describes the artifact in errors ("fhec circuit"). */
  readonly what: string;
  /** Throws the reader's error for a malformed frame. */
  readonly bad: (why: string) => never;
}

/**
 * Reads a frame pushed in chunks of any size: checks magic, version and header as soon as their
 * bytes are in, then forwards every payload byte to `onHeader(header)`'s sink.
 */
export class FrameParser<T> implements ChunkSink<T> {
  private parts: Uint8Array[] = [];
  private buffered = 0;
  /** Bytes the prefix needs before it can be checked further. */
  private want = 8;
  private sink: ChunkSink<T> | undefined;

  constructor(private readonly spec: FrameSpec, private readonly onHeader: (header: Record<string, unknown>) => ChunkSink<T>) {}

  push(chunk: Uint8Array): void {
    if (this.sink) return this.sink.push(chunk);
    this.buffered += chunk.length;
    // Concatenate only when a check can progress; until then keep a copy of the (small) chunk,
    // since the caller may reuse it once pushed.
    if (this.buffered < this.want) return void this.parts.push(Uint8Array.from(chunk));
    this.parts.push(chunk);
    // A lone chunk is read in place: a message handed over in memory arrives as one chunk, and
    // copying hundreds of MiB of keys just to read their header took about a second.
    const inPlace = this.parts.length === 1;
    const b = inPlace ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat(this.parts);
    // The prefix is still incomplete: keep what was read (a copy of a chunk read in place).
    const wait = (): void => void (this.parts = [inPlace ? Buffer.from(b) : b]);
    const { magic, version, what, bad } = this.spec;
    if (b.length >= 8 && !b.subarray(0, 8).equals(magic)) bad(`wrong magic (not a ${what} file)`);
    this.want = FIXED;
    if (b.length < FIXED) return wait();
    const v = b.readUInt32LE(8);
    if (v !== version) bad(`format version ${v}, this fhec reads version ${version}`);
    const len = b.readUInt32LE(12);
    this.want = FIXED + len;
    if (b.length < FIXED + len) return wait();
    let header: unknown;
    try {
      header = JSON.parse(b.subarray(FIXED, FIXED + len).toString("utf8"));
    } catch {
      bad("corrupt header");
    }
    if (typeof header !== "object" || header === null || Array.isArray(header)) bad("corrupt header");
    this.sink = this.onHeader(header as Record<string, unknown>);
    this.parts = [];
    const rest = b.subarray(FIXED + len);
    if (rest.length > 0) this.sink.push(rest);
  }

  abort(): void {
    this.sink?.abort?.();
  }

  finish(): T {
    if (!this.sink) {
      const b = Buffer.concat(this.parts);
      if (b.length < 8 || !b.subarray(0, 8).equals(this.spec.magic)) this.spec.bad(`wrong magic (not a ${this.spec.what} file)`);
      this.spec.bad("truncated header");
    }
    return this.sink.finish();
  }
}

/**
 * A sink that keeps the (small) payload in memory, as a copy: the caller may reuse or wipe its
 * chunks once pushed.
 */
export function collectingSink(): ChunkSink<Uint8Array> {
  const parts: Uint8Array[] = [];
  return {
    push: (c) => void parts.push(Uint8Array.from(c)),
    finish: () => new Uint8Array(Buffer.concat(parts)),
  };
}
