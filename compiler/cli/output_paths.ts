// Output paths are checked before any work: a run that would end in "cannot write" fails at once,
// and no output may replace one of the command's own inputs (a model, calibration data, keys).
import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fail } from "../../ir/diagnostics.js";

/** The same file: same path once resolved, or (both existing) the same inode. */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * Fails (one clear line) unless every output can be written and none is an input. Inputs given
 * as `NAME=FILE` are compared by their file.
 */
export function checkOutputPaths(outputs: readonly string[], inputs: readonly string[]): void {
  const files = inputs.map((i) => {
    const eq = i.indexOf("=");
    return eq > 0 && !i.slice(0, eq).includes("/") ? i.slice(eq + 1) : i;
  });
  for (const out of outputs) {
    const clash = files.find((f) => sameFile(out, f));
    if (clash !== undefined) fail("E0400", `the output '${out}' is also an input ('${clash}'): choose another output path`);
    try {
      if (statSync(out).isDirectory()) fail("E0400", `cannot write '${out}': it is a directory (give a file name)`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const dir = dirname(resolve(out));
    let st;
    try {
      st = statSync(dir);
    } catch {
      return fail("E0400", `cannot write '${out}': its directory '${dirname(out)}' does not exist (create it first)`);
    }
    if (!st.isDirectory()) fail("E0400", `cannot write '${out}': '${dirname(out)}' is not a directory`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      fail("E0400", `cannot write '${out}': permission denied in '${dirname(out)}' (choose a directory you can write to)`);
    }
  }
}
