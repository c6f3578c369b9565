// The binary container every fhec compiler artifact uses (the frame of runtime/framing.ts: 8-byte
// magic, u32 format version, u32 header length, a JSON header, then the payload). Reading checks
// magic, version and header and reports any problem as one clear error naming the file; payloads
// stream through in chunks, so a container can hold any size.
import { fail } from "../ir/diagnostics.js";
import { type ByteStream, bytesStream, type ChunkSink, collect, collectingSink, FrameParser, frameStream, parseChunks } from "../backends/tfhe/index.js";

export function containerStream(magic: Buffer, version: number, header: unknown, payload?: ByteStream): ByteStream {
  return frameStream(magic, version, header, payload);
}

export function packContainer(magic: Buffer, version: number, header: unknown, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return collect(containerStream(magic, version, header, bytesStream(payload)));
}

/** An incremental reader: the header picks the sink every payload chunk goes to. */
export function containerParser<T>(magic: Buffer, version: number, what: string, file: string,
  onHeader: (header: Record<string, unknown>) => ChunkSink<T>): ChunkSink<T> {
  return new FrameParser({ magic, version, what, bad: (why) => fail("E0700", `'${file}' is not a valid ${what}: ${why}`) }, onHeader);
}

export function unpackContainer(
  bytes: Uint8Array | Iterable<Uint8Array>,
  magic: Buffer,
  version: number,
  what: string,
  file: string,
): { header: Record<string, unknown>; payload: Uint8Array } {
  let header: Record<string, unknown> = {};
  const parser = containerParser(magic, version, what, file, (h) => {
    header = h;
    return collectingSink();
  });
  const payload = parseChunks(parser, bytes instanceof Uint8Array ? [bytes] : bytes);
  return { header, payload };
}
