// The binary container every fhec artifact uses: 8-byte magic, u32 format version, u32 header
// length, a JSON header, then the payload. Reading checks magic, version and header and reports
// any problem as one clear error naming the file.
import { fail } from "../ir/diagnostics.js";

export function packContainer(magic: Buffer, version: number, header: unknown, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = Buffer.from(JSON.stringify(header), "utf8");
  const fixed = Buffer.alloc(16);
  magic.copy(fixed, 0);
  fixed.writeUInt32LE(version, 8);
  fixed.writeUInt32LE(h.length, 12);
  return new Uint8Array(Buffer.concat([fixed, h, payload]));
}

export function unpackContainer(
  bytes: Uint8Array,
  magic: Buffer,
  version: number,
  what: string,
  file: string,
): { header: Record<string, unknown>; payload: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => fail("E0700", `'${file}' is not a valid ${what}: ${why}`);
  if (buf.length < 16 || !buf.subarray(0, 8).equals(magic)) bad(`wrong magic (not a ${what} file)`);
  const v = buf.readUInt32LE(8);
  if (v !== version) bad(`format version ${v}, this fhec reads version ${version}`);
  const len = buf.readUInt32LE(12);
  if (16 + len > buf.length) bad("truncated header");
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8"));
  } catch {
    return bad("corrupt header");
  }
  if (typeof header !== "object" || header === null) return bad("corrupt header");
  return { header: header as Record<string, unknown>, payload: new Uint8Array(buf.subarray(16 + len)) };
}
