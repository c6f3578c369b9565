// File helpers for the CLI: atomic writes (a failed run never leaves a half-written output) and
// readable errors for missing inputs. Both go through the chunked file I/O of compiler/stream_io.ts.
import { readSmallFile, writeStreamAtomic } from "../stream_io.js";

export { openFileChunks, writeStreamAtomic } from "../stream_io.js";

export function readInputFile(path: string, what = "input"): Buffer {
  return readSmallFile(path, what);
}

export function readTextFile(path: string, what = "input"): string {
  return readInputFile(path, what).toString("utf8");
}

/** Writes through a temporary file in the same directory, then renames it into place. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeStreamAtomic(path, data);
}
