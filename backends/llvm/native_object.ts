// Turns a kernel module into native code Node can call: bitcode from llvm-bindings (with the IR
// written as text, matmul_kernel.ts and transpose_kernels.ts, linked in), LLVM 14's optimizer and code generator
// (llvm-bindings 0.4 exposes neither pass managers nor object emission), the system C compiler to
// link a shared object, then process.dlopen. The files live in a temporary directory that is
// removed once the object is loaded.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KernelModule } from "./kernel_module.js";
import type { LlvmToolchain } from "./load.js";
import { INPUT_KERNEL_SYMBOL, INPUT_PAIRS_KERNEL_SYMBOL, INPUT_QUADS_KERNEL_SYMBOL, inputKernelIr, OUTPUT_KERNEL_SYMBOL, outputKernelIr } from "./transpose_kernels.js";
import { MATMUL_KERNEL_SYMBOL, matmulKernelIr } from "./matmul_kernel.js";
import { lookupKernelIr, lookupKernelSymbol, PERMUTE_ENTRIES } from "./lookup_kernel.js";

/** The functions written as LLVM IR text that a module declares and calls. */
const LINKED_KERNELS = [
  { symbol: MATMUL_KERNEL_SYMBOL.f32, ir: (triple: string) => matmulKernelIr("f32", triple) },
  { symbol: MATMUL_KERNEL_SYMBOL.i16, ir: (triple: string) => matmulKernelIr("i16", triple) },
  { symbol: MATMUL_KERNEL_SYMBOL.u8, ir: (triple: string) => matmulKernelIr("u8", triple) },
  ...PERMUTE_ENTRIES.flatMap((m) => [false, true].map((wrapped) => ({ symbol: lookupKernelSymbol(m, wrapped), ir: (triple: string) => lookupKernelIr(m, triple, wrapped) }))),
  { symbol: INPUT_KERNEL_SYMBOL, ir: (triple: string) => inputKernelIr(triple) },
  { symbol: INPUT_PAIRS_KERNEL_SYMBOL, ir: (triple: string) => inputKernelIr(triple, "pairs") },
  { symbol: INPUT_QUADS_KERNEL_SYMBOL, ir: (triple: string) => inputKernelIr(triple, "quads") },
  { symbol: OUTPUT_KERNEL_SYMBOL, ir: outputKernelIr },
];

/** What the loaded object exports (see napi_entry.ts). */
export interface NativeKernel {
  /** Runs the stage named in the arena over its samples: `buffers` are the inputs, then the outputs (run.ts). */
  run(arena: Float64Array, ...buffers: Float64Array[]): void;
}

/** x86 feature off: lets the code generators use 512-bit vectors where the CPU has them (ignored elsewhere). */
const PREFER_FULL_WIDTH = "-prefer-256-bit";

/**
 * Loops are vectorized but not unrolled: unrolling the element loops around the vectorized sample
 * loops made the code (and opt's and llc's time) about 3× larger for no measurable gain.
 */
const NO_UNROLL = "-unroll-threshold=0";

function tool(path: string, args: string[]): void {
  try {
    execFileSync(path, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? "";
    throw new Error(`LLVM backend: '${path} ${args.join(" ")}' failed: ${stderr || (e as Error).message}`);
  }
}

export function compileNative(tc: LlvmToolchain, { module, context }: KernelModule): NativeKernel {
  const dir = mkdtempSync(join(tmpdir(), "fhec-llvm-"));
  try {
    const linked = join(dir, "kernel.bc");
    const optimized = join(dir, "kernel.opt.bc");
    const obj = join(dir, "kernel.o");
    const lib = join(dir, "kernel.node");
    module.setTargetTriple(tc.triple);
    // The kernels written as IR text (the fast matmuls', the inputs' and results' copies), linked in where the
    // module calls them: parsed and linked in this process (one tool run fewer per kernel).
    for (const [i, l] of LINKED_KERNELS.filter((l) => module.getFunction(l.symbol)).entries()) {
      const ll = join(dir, `linked${i}.ll`);
      writeFileSync(ll, l.ir(tc.triple));
      const parsed = tc.llvm.parseIRFile(ll, new tc.llvm.SMDiagnostic(), context);
      if (!parsed || tc.llvm.Linker.linkModules(module, parsed)) throw new Error(`LLVM backend: linking ${l.symbol} failed (a code generator bug)`);
    }
    tc.llvm.WriteBitcodeToFile(module, linked);
    // The optimizer vectorizes for this machine's vector units, at their full width (LLVM prefers
    // 256-bit vectors on AVX-512 CPUs by default), as llc then compiles for it.
    const cpu = ["-mcpu=native", ...(tc.triple.startsWith("x86_64") ? [`-mattr=${PREFER_FULL_WIDTH}`] : [])];
    tool(tc.opt, ["-O3", NO_UNROLL, ...cpu, linked, "-o", optimized]);
    // No contraction into fused multiply-adds: every product is rounded before it is added, as in
    // JavaScript (the code asks for a fused one only where that is exact: emit_ops.ts).
    tool(tc.llc, ["-O3", "-filetype=obj", "-relocation-model=pic", "--fp-contract=off", ...cpu, optimized, "-o", obj]);
    tool(tc.cc, ["-shared", obj, "-o", lib]);
    const m = { exports: {} as Partial<NativeKernel> };
    process.dlopen(m, lib);
    if (typeof m.exports.run !== "function") throw new Error("LLVM backend: the kernel object has no 'run' export");
    return m.exports as NativeKernel;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
