// File helpers for the CLI: atomic writes (a failed run never leaves a half-written output) and
// readable errors for missing inputs.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fail } from "../../ir/diagnostics.js";

export function readInputFile(path: string, what = "input"): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String(err);
    return fail("E0400", `cannot read ${what} '${path}': ${why}`);
  }
}

export function readTextFile(path: string, what = "input"): string {
  return readInputFile(path, what).toString("utf8");
}

/** Writes through a temporary file in the same directory, then renames it into place. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may not exist
    }
    const code = (err as NodeJS.ErrnoException).code;
    return fail("E0400", `cannot write '${path}': ${code === "ENOENT" ? "directory does not exist" : code ?? String(err)}`);
  }
}
