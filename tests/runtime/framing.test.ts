// The frame reader every container goes through (circuits, client specs, messages, keys): a frame
// handed over in memory as one chunk is read in place, and one split anywhere reads the same.
import { describe, expect, it } from "vitest";
import { collect } from "../../runtime/stream.js";
import { FrameParser, frameStream } from "../../runtime/framing.js";
import type { ChunkSink } from "../../runtime/stream.js";
import { bytesStream } from "../../runtime/stream.js";

const MAGIC = Buffer.from("FHECTEST");
const spec = { magic: MAGIC, version: 3, what: "test", bad: (why: string): never => { throw new Error(why); } };

/** A sink that records the chunks it receives: as given, or copied (as sinks that keep bytes must). */
function recordingSink(copy = false): ChunkSink<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  return { push: (c) => void chunks.push(copy ? Uint8Array.from(c) : c), finish: () => chunks };
}

function frame(payload: Uint8Array): Uint8Array {
  return collect(frameStream(MAGIC, 3, { kind: "test", n: payload.length }, bytesStream(payload)));
}

describe("frame reader", () => {
  it("a frame in one chunk reaches the sink as a view of that chunk, not a copy of the payload", () => {
    const payload = Uint8Array.from({ length: 1 << 16 }, (_, i) => i * 7);
    const bytes = frame(payload);
    const sink = recordingSink();
    const parser = new FrameParser(spec, () => sink);
    parser.push(bytes);
    const got = parser.finish();
    expect(got).toHaveLength(1);
    expect(got[0]!.buffer).toBe(bytes.buffer);
    expect(Buffer.from(got[0]!).equals(Buffer.from(payload))).toBe(true);
  });

  it("a frame split at every byte of its prefix reads the same header and payload", () => {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => 255 - (i % 256));
    const bytes = frame(payload);
    const prefix = bytes.length - payload.length;
    for (let cut = 1; cut <= prefix + 1; cut++) {
      let header: Record<string, unknown> | undefined;
      const sink = recordingSink(true);
      const parser = new FrameParser(spec, (h) => ((header = h), sink));
      // The caller reuses its first chunk's memory once pushed: the reader must have kept a copy.
      const first = Uint8Array.from(bytes.subarray(0, cut));
      parser.push(first);
      first.fill(0);
      parser.push(bytes.subarray(cut));
      expect(header).toEqual({ kind: "test", n: payload.length });
      expect(Buffer.concat(parser.finish()).equals(Buffer.from(payload))).toBe(true);
    }
  });

  it("wrong magic, another version and a corrupt header are refused", () => {
    const bytes = frame(new Uint8Array(4));
    const read = (b: Uint8Array) => new FrameParser(spec, () => recordingSink()).push(b);
    expect(() => read(Uint8Array.from(bytes).fill(65, 0, 8))).toThrow("wrong magic");
    const otherVersion = Buffer.from(bytes);
    otherVersion.writeUInt32LE(4, 8);
    expect(() => read(otherVersion)).toThrow("format version 4");
    const corrupt = Buffer.from(bytes);
    corrupt[16] = 0x7b + 1; // the header's opening brace
    expect(() => read(corrupt)).toThrow("corrupt header");
  });
});
