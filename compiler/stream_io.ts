// Files as streams of chunks: artifacts of any size are read and written a few MiB at a time
// (no 2 GiB readFileSync limit, no whole-file Buffer), and writes are atomic (a temporary file in
// the same directory renamed into place, so a failed write never leaves a half-written output).
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fail } from "../ir/diagnostics.js";
import { type ByteStream, DEFAULT_CHUNK_BYTES } from "../runtime/index.js";

/** Called with (bytes done, bytes total) while a stream is copied. */
export type ByteProgress = (done: number, total: number) => void;

function ioError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "is a directory";
  if (code === "EACCES") return "permission denied";
  return code ?? String(err);
}

/** A file opened for reading in chunks; `size` is known before any byte is read. */
export interface FileChunks {
  readonly path: string;
  readonly size: number;
  chunks(chunkBytes?: number): Iterable<Uint8Array>;
}

/** Opens `path` for chunked reading (one clear error if it cannot be read). */
export function openFileChunks(path: string, what = "input"): FileChunks {
  let size: number;
  try {
    const fd = openSync(path, "r");
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
      size = st.size;
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return fail("E0400", `cannot read ${what} '${path}': ${ioError(err)}`);
  }
  return {
    path,
    size,
    *chunks(chunkBytes = DEFAULT_CHUNK_BYTES) {
      let fd: number;
      try {
        fd = openSync(path, "r");
      } catch (err) {
        return fail("E0400", `cannot read ${what} '${path}': ${ioError(err)}`);
      }
      try {
        for (;;) {
          const buf = new Uint8Array(chunkBytes);
          let n: number;
          try {
            n = readSync(fd, buf, 0, chunkBytes, null);
          } catch (err) {
            return fail("E0400", `cannot read ${what} '${path}': ${ioError(err)}`);
          }
          if (n === 0) return;
          yield n === chunkBytes ? buf : buf.subarray(0, n);
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Reads a whole (small) file: specs, circuits' headers, npy inputs. */
export function readSmallFile(path: string, what = "input"): Buffer {
  const f = openFileChunks(path, what);
  const parts: Uint8Array[] = [];
  for (const c of f.chunks()) parts.push(c);
  return Buffer.concat(parts);
}

/**
 * Writes a stream to `path` chunk by chunk through a temporary file, then renames it into place.
 * Memory stays one chunk whatever the size.
 */
export function writeStreamAtomic(path: string, data: ByteStream | Uint8Array | string,
  options: { onProgress?: ByteProgress; mode?: number } = {}): void {
  const { onProgress, mode = 0o666 } = options;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w", mode);
    if (typeof data === "string" || data instanceof Uint8Array) {
      const b = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off);
    } else {
      let done = 0;
      for (const c of data.chunks()) {
        for (let off = 0; off < c.length;) off += writeSync(fd, c, off, c.length - off);
        done += c.length;
        onProgress?.(done, data.size);
      }
      if (done !== data.size) throw new Error(`internal error: stream announced ${data.size} bytes but produced ${done}`);
    }
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may not exist
    }
    // Only the file system's own errors become "cannot write"; errors of the stream pass through.
    if (typeof (err as NodeJS.ErrnoException).syscall !== "string") throw err;
    const code = (err as NodeJS.ErrnoException).code;
    return fail("E0400", `cannot write '${path}': ${code === "ENOENT" ? "directory does not exist" : code ?? String(err)}`);
  }
}
