// Loads the optional `llvm-bindings` package and finds the LLVM 14 tools that turn its IR into
// a loadable object. Nothing here is required: when either is missing the backend reports why,
// and callers fall back to (auto) or refuse with (llvm) the clear backend.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fail } from "../../ir/diagnostics.js";
import type { LlvmBindings } from "./llvm_api.js";

/** How to enable the backend, in one line (shown by `--backend llvm` when it is unavailable). */
export const ENABLE_HINT =
  "install Debian's llvm-14-dev, cmake and a C compiler, then run `npm install` in fhec (the optional llvm-bindings package builds against LLVM 14; see README, 'LLVM backend')";

/**
 * The module specifier to load. FHEC_LLVM_BINDINGS overrides it so that a test (or a user) can
 * run fhec as if the package were absent: any name that does not resolve.
 */
function specifier(): string {
  return process.env["FHEC_LLVM_BINDINGS"] || "llvm-bindings";
}

export interface LlvmToolchain {
  readonly llvm: LlvmBindings;
  /** LLVM 14's optimizer and code generator, and the C compiler driver used to link. */
  readonly opt: string;
  readonly llc: string;
  readonly cc: string;
  /** llc's default target (the host's): the module is compiled for it, so the optimizer knows the vector units. */
  readonly triple: string;
  /**
   * Whether the host has AVX-512 (x86-64), and its VNNI extension (vpdpwssd), which the code
   * compiled for it (-mcpu=native) may then use: table reads by permutes (lookup_kernel.ts), the
   * integer form of the fast matmuls (matmul_kernel.ts).
   */
  readonly avx512: boolean;
  readonly vnni: boolean;
}

export type LlvmStatus = { readonly ok: true; readonly toolchain: LlvmToolchain } | { readonly ok: false; readonly reason: string };

let cached: LlvmStatus | undefined;

function which(names: readonly string[], dirs: readonly string[]): string | undefined {
  for (const d of dirs) for (const n of names) if (existsSync(join(d, n))) return join(d, n);
  return undefined;
}

function llvmBinDir(): string | undefined {
  for (const cfg of ["llvm-config-14", "llvm-config"]) {
    try {
      const out = execFileSync(cfg, ["--version", "--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n");
      if (out[0]?.startsWith("14.")) return out[1];
    } catch {
      // not on PATH: try the next name
    }
  }
  return undefined;
}

/** The CPU flags the kernel reports for the host's first CPU (Linux; elsewhere none, and the portable forms are used). */
function hostCpuFlags(): Set<string> {
  try {
    return new Set(/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

function probe(): LlvmStatus {
  let llvm: LlvmBindings;
  try {
    llvm = createRequire(import.meta.url)(specifier()) as LlvmBindings;
  } catch (e) {
    return { ok: false, reason: `the optional package llvm-bindings is not installed (${(e as Error).message.split("\n")[0]})` };
  }
  const path = (process.env["PATH"] ?? "").split(":").filter((d) => d !== "");
  const bin = llvmBinDir();
  const dirs = bin ? [bin, ...path] : path;
  const opt = which(["opt-14", "opt"], dirs);
  const llc = which(["llc-14", "llc"], dirs);
  const cc = which(["cc", "gcc", "clang"], path);
  if (!opt || !llc) return { ok: false, reason: "LLVM 14's opt or llc was not found (llvm-config-14 --bindir, or PATH)" };
  if (!cc) return { ok: false, reason: "no C compiler (cc) was found on PATH to link the generated code" };
  const triple = /Default target: (\S+)/.exec(execFileSync(llc, ["--version"], { encoding: "utf8" }))?.[1];
  if (!triple) return { ok: false, reason: `'${llc} --version' names no default target` };
  const flags = triple.startsWith("x86_64") ? hostCpuFlags() : new Set<string>();
  const avx512 = flags.has("avx512f");
  return { ok: true, toolchain: { llvm, opt, llc, cc, triple, avx512, vnni: avx512 && flags.has("avx512_vnni") } };
}

/** Whether the LLVM backend can run here, and with what (probed once per process). */
export function llvmStatus(): LlvmStatus {
  cached ??= probe();
  return cached;
}

/** Forgets the probe, so that the next call looks again (tests that simulate a missing package). */
export function resetLlvmStatus(): void {
  cached = undefined;
}

/** The toolchain, or a user error (E0704) that says why it is missing and how to enable it. */
export function requireLlvm(): LlvmToolchain {
  const s = llvmStatus();
  if (!s.ok) fail("E0704", `the LLVM backend is unavailable: ${s.reason}; to enable it, ${ENABLE_HINT}`);
  return s.toolchain;
}
