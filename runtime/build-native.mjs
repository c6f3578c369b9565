// Builds the native TFHE addon with node-gyp: the package's install step (so `npm ci` in the repo
// and `npm install fhec-*.tgz` anywhere both build it from source), and `npm run build:native`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const nativeDir = join(dirname(fileURLToPath(import.meta.url)), "native");
if (!existsSync(join(nativeDir, "binding.gyp"))) {
  console.log("runtime: no native sources yet, skipping addon build");
  process.exit(0);
}
// node-gyp is a dependency: resolve it wherever the installer put it (hoisted or nested).
let nodeGyp;
try {
  nodeGyp = createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js");
} catch {
  console.error("fhec: cannot build the native runtime: node-gyp is not installed (it is a dependency of fhec: reinstall)");
  process.exit(1);
}
// Node's own headers, when this Node ships them, so that node-gyp needs no download.
const nodeDir = join(dirname(process.execPath), "..");
const localHeaders = existsSync(join(nodeDir, "include", "node", "node_api.h")) ? [`--nodedir=${nodeDir}`] : [];
console.log("fhec: building the native TFHE runtime (C++17, about a minute)");
const result = spawnSync(process.execPath, [nodeGyp, "rebuild", "--release", ...localHeaders], {
  cwd: nativeDir,
  stdio: "inherit",
  env: { ...process.env, JOBS: process.env.JOBS ?? "max" },
});
if (result.status !== 0) process.exit(result.status ?? 1);

// The SIMD kernel objects are compiled with -mavx2 / -mavx512f. If one of them emitted a weak
// (COMDAT) symbol, e.g. a std::vector member, the linker could pick that copy for generic code
// and the addon would crash with SIGILL on CPUs without the extension. Refuse such a build.
const objRoot = join(nativeDir, "build", "Release", "obj.target");
for (const lib of ["fhec_kernels_avx2", "fhec_kernels_avx512"]) {
  const dir = join(objRoot, lib, "src");
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".o"))) {
    const nm = spawnSync("nm", ["-C", "--defined-only", join(dir, f)], { encoding: "utf8" });
    if (nm.status !== 0) continue; // nm unavailable: skip the check
    const weak = nm.stdout.split("\n").filter((l) => / [WVu] /.test(l));
    if (weak.length > 0) {
      console.error(`runtime: ${lib}/${f} defines weak symbols shared with generic code:\n${weak.join("\n")}`);
      process.exit(1);
    }
  }
}
