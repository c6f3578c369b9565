// Builds the native TFHE addon with node-gyp (called by `npm run build`, hence by `npm ci`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const nativeDir = join(dirname(fileURLToPath(import.meta.url)), "native");
if (!existsSync(join(nativeDir, "binding.gyp"))) {
  console.log("runtime: no native sources yet, skipping addon build");
  process.exit(0);
}
const result = spawnSync("npx", ["--no-install", "node-gyp", "rebuild", "--release"], {
  cwd: nativeDir,
  stdio: "inherit",
  env: { ...process.env, JOBS: process.env.JOBS ?? "max" },
});
process.exit(result.status ?? 1);
