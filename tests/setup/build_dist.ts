// Vitest global setup: the tests that run fhec as a separate process (the HTTP server, the packed
// tarball) use the compiled dist/. Rebuild it once, before any test file runs, when a source file
// is newer than it, so those tests never run stale code.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
/** The directories tsconfig.build.json compiles. */
const SOURCE_DIRS = (JSON.parse(readFileSync(join(root, "tsconfig.build.json"), "utf8")) as { include: string[] }).include;

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const built = join(root, "dist", "compiler", "cli", "main.js");
  const sources = Math.max(...SOURCE_DIRS.map((d) => newestSource(join(root, d))));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building dist/ for the tests failed:\n${r.stdout}${r.stderr}`);
}
