// Files as streams of chunks: artifacts of any size are read and written a few MiB at a time
// (no 2 GiB readFileSync limit, no whole-file Buffer), and writes are atomic (a temporary file in
// the same directory renamed into place, so a failed write never leaves a half-written output).
import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fail } from "../ir/diagnostics.js";
import { type ByteStream, DEFAULT_CHUNK_BYTES } from "../backends/tfhe/index.js";

/** Called with (bytes done, bytes total) while a stream is copied. */
export type ByteProgress = (done: number, total: number) => void;

/** What an errno means for the user, and what to do about it. */
export function ioError(err: unknown, writing = false): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return writing ? "its directory does not exist (create it first)" : "no such file (check the path)";
    case "EISDIR":
      return writing ? "it is a directory (give a file name)" : "it is a directory, not a file";
    case "ENOTDIR":
      return "a component of the path is not a directory";
    case "EACCES":
    case "EPERM":
      return writing ? "permission denied (choose a directory you can write to)" : "permission denied (check the file's permissions)";
    case "ENOSPC":
      return "no space left on the device";
    case "EROFS":
      return "the file system is read-only";
    case "EMFILE":
    case "ENFILE":
      return "too many open files";
    default:
      return code ?? String(err);
  }
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

/** Temporary files are `.NAME.PID.tmp` beside their target. */
const TMP_PATTERN = /^\.(.+)\.(\d+)\.tmp$/;

function tmpPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary files a killed writer left beside `path` (its process is gone); a live
 * writer's are kept. Called before every write to the same target.
 */
export function removeStaleTemporaries(path: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // the directory's own problems are reported by the write
  }
  for (const name of names) {
    const m = TMP_PATTERN.exec(name);
    if (!m || m[1] !== basename(path) || processAlive(Number(m[2]))) continue;
    try {
      unlinkSync(join(dirname(path), name));
    } catch {
      // another run removed it first
    }
  }
}

/** An output written front to back once, whose bytes already written can be overwritten in place (a file, a buffer). */
export interface RewritableOutput {
  write(chunk: Uint8Array): void;
  /** Overwrites bytes already written, from `offset`. */
  rewrite(offset: number, bytes: Uint8Array): void;
}

/** One file of an artifact set. */
export interface ArtifactFile {
  readonly path: string;
  /** The contents, or a function giving them when the file's turn comes (after the files before it are written). */
  readonly data: FileData | (() => FileData);
  readonly onProgress?: ByteProgress;
  /** File mode (0o600 for secrets); default 0o666 less the umask. */
  readonly mode?: number;
  /** Zero every chunk once written (the chunks are fresh arrays holding secret bytes). */
  readonly wipeChunks?: boolean;
}

type FileData = ByteStream | Uint8Array | string;

/**
 * A file whose bytes are produced while it is written (keys generated straight to disk), by an
 * async `produce` that writes exactly `size` bytes and may rewrite some of them (a header whose
 * checksum is known only at the end). Only {@link writeArtifactSetAsync} writes these.
 */
export interface ProducedFile {
  readonly path: string;
  readonly size: number;
  readonly produce: (out: RewritableOutput) => Promise<void>;
  readonly onProgress?: ByteProgress;
  readonly mode?: number;
}

function writeAll(fd: number, b: Uint8Array, position: number | null = null): void {
  for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off, position === null ? null : position + off);
}

function writeTemporary(fd: number, f: ArtifactFile): void {
  const data = typeof f.data === "function" ? f.data() : f.data;
  if (typeof data === "string" || data instanceof Uint8Array) {
    writeAll(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    return;
  }
  let done = 0;
  for (const c of data.chunks()) {
    writeAll(fd, c);
    done += c.length;
    if (f.wipeChunks) c.fill(0);
    f.onProgress?.(done, data.size);
  }
  if (done !== data.size) throw new Error(`internal error: stream announced ${data.size} bytes but produced ${done}`);
}

async function produceTemporary(fd: number, f: ProducedFile): Promise<void> {
  let done = 0;
  await f.produce({
    write(chunk) {
      if (done + chunk.length > f.size) throw new Error(`internal error: '${f.path}' announced ${f.size} bytes but got more`);
      writeAll(fd, chunk);
      done += chunk.length;
      f.onProgress?.(done, f.size);
    },
    rewrite(offset, bytes) {
      if (!(offset >= 0 && offset + bytes.length <= done)) throw new Error("internal error: rewriting bytes not yet written");
      writeAll(fd, bytes, offset);
    },
  });
  if (done !== f.size) throw new Error(`internal error: '${f.path}' announced ${f.size} bytes but got ${done}`);
}

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some file systems cannot sync a directory; the files themselves are synced
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes the files of one artifact set (a circuit and its client spec, a secret key and its
 * evaluation keys) as a unit: every file goes to a temporary beside its target and is synced to
 * disk; only when all are complete are they renamed into place, one after the other. A failure
 * before that leaves every target as it was and no temporary behind.
 */
export function writeArtifactSet(files: readonly ArtifactFile[]): void {
  const set = new TemporarySet();
  try {
    for (const f of files) set.write(f.path, f.mode, (fd) => writeTemporary(fd, f));
    set.commit(files.map((f) => f.path));
  } catch (err) {
    set.fail(err);
  }
}

/** {@link writeArtifactSet} for sets with produced files, written in order (a file's data function sees the files before it done). */
export async function writeArtifactSetAsync(files: readonly (ArtifactFile | ProducedFile)[]): Promise<void> {
  const set = new TemporarySet();
  try {
    for (const f of files) {
      if ("produce" in f) await set.writeAsync(f.path, f.mode, (fd) => produceTemporary(fd, f));
      else set.write(f.path, f.mode, (fd) => writeTemporary(fd, f));
    }
    set.commit(files.map((f) => f.path));
  } catch (err) {
    set.fail(err);
  }
}

/** The temporaries of one artifact set: written and synced one by one, renamed together, removed on failure. */
class TemporarySet {
  private readonly written: string[] = [];
  private current = "";

  private open(path: string, mode: number | undefined): number {
    this.current = path;
    removeStaleTemporaries(path);
    const tmp = tmpPathFor(path);
    const fd = openSync(tmp, "w", mode ?? 0o666);
    this.written.push(tmp);
    return fd;
  }

  write(path: string, mode: number | undefined, fill: (fd: number) => void): void {
    const fd = this.open(path, mode);
    try {
      fill(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  async writeAsync(path: string, mode: number | undefined, fill: (fd: number) => Promise<void>): Promise<void> {
    const fd = this.open(path, mode);
    try {
      await fill(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  commit(paths: readonly string[]): void {
    for (const p of paths) {
      this.current = p;
      renameSync(tmpPathFor(p), p);
    }
    for (const dir of new Set(paths.map((p) => dirname(p)))) fsyncDirectory(dir);
  }

  fail(err: unknown): never {
    for (const tmp of this.written) {
      try {
        unlinkSync(tmp);
      } catch {
        // renamed already, or never created
      }
    }
    // Only the file system's own errors become "cannot write"; errors of the stream pass through.
    if (typeof (err as NodeJS.ErrnoException).syscall !== "string") throw err;
    return fail("E0400", `cannot write '${this.current}': ${ioError(err, true)}`);
  }
}

/**
 * Writes a stream to `path` chunk by chunk through a temporary file, then renames it into place.
 * Memory stays one chunk whatever the size.
 */
export function writeStreamAtomic(path: string, data: ByteStream | Uint8Array | string,
  options: { onProgress?: ByteProgress; mode?: number; wipeChunks?: boolean } = {}): void {
  writeArtifactSet([{ path, data, ...options }]);
}
