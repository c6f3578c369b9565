// Turns a kernel module into native code Node can call: bitcode from llvm-bindings, LLVM 14's
// optimizer and code generator (llvm-bindings 0.4 exposes neither pass managers nor object
// emission), the system C compiler to link a shared object, then process.dlopen. The files live
// in a temporary directory that is removed once the object is loaded.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlvmModule } from "./llvm_api.js";
import type { LlvmToolchain } from "./load.js";

/** What the loaded object exports (see napi_entry.ts). */
export interface NativeKernel {
  run(arena: Float64Array): void;
}

function tool(path: string, args: string[]): void {
  try {
    execFileSync(path, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? "";
    throw new Error(`LLVM backend: '${path} ${args.join(" ")}' failed: ${stderr || (e as Error).message}`);
  }
}

export function compileNative(tc: LlvmToolchain, module: LlvmModule): NativeKernel {
  const dir = mkdtempSync(join(tmpdir(), "fhec-llvm-"));
  try {
    const bc = join(dir, "kernel.bc");
    const optimized = join(dir, "kernel.opt.bc");
    const obj = join(dir, "kernel.o");
    const lib = join(dir, "kernel.node");
    tc.llvm.WriteBitcodeToFile(module, bc);
    // The optimizer vectorizes for this machine's vector units (as llc then compiles for it).
    tool(tc.opt, ["-O3", "-mcpu=native", bc, "-o", optimized]);
    // No fused multiply-add: every product is rounded before it is added, as in JavaScript.
    tool(tc.llc, ["-O3", "-filetype=obj", "-relocation-model=pic", "--fp-contract=off", "-mcpu=native", optimized, "-o", obj]);
    tool(tc.cc, ["-shared", obj, "-o", lib]);
    const m = { exports: {} as Partial<NativeKernel> };
    process.dlopen(m, lib);
    if (typeof m.exports.run !== "function") throw new Error("LLVM backend: the kernel object has no 'run' export");
    return m.exports as NativeKernel;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
