// Builds the LLVM module of a kernel plan: `fhec_kernel(i8* arena, i8** buffers)` runs the stage
// named in the arena's control words over the samples named there; one stage per function,
// dispatched by a switch. `buffers` are fhec's input arrays then its output arrays (sample-major):
// the first stage copies the call's samples in, the last copies its results out. The N-API entry
// that lets Node call it is added by napi_entry.ts.
import type { LlvmBindings, LlvmFunction, LlvmModule, LlvmValue } from "./llvm_api.js";
import { INPUT_KERNEL_SYMBOL, INPUT_PAIRS_KERNEL_SYMBOL, INPUT_QUADS_KERNEL_SYMBOL, OUTPUT_KERNEL_SYMBOL } from "./transpose_kernels.js";
import { MATMUL_KERNEL_SYMBOL, type MatmulForm } from "./matmul_kernel.js";
import { lookupKernelSymbol, type PermuteEntries } from "./lookup_kernel.js";
import { KernelBuilder } from "./ir_builder.js";
import { OpEmitter, type StageEnv } from "./emit_ops.js";
import { addNapiEntry } from "./napi_entry.js";
import { CONTROL, type KernelPlan } from "./plan.js";

export const KERNEL_SYMBOL = "fhec_kernel";

/** A module and the context it lives in (modules linked into it must share the context). */
export interface KernelModule {
  readonly module: LlvmModule;
  readonly context: unknown;
}

export function buildKernelModule(llvm: LlvmBindings, plan: KernelPlan): KernelModule {
  const ctx = new llvm.LLVMContext();
  const module = new llvm.Module(`fhec_${plan.func.name}`, ctx);
  const k = new KernelBuilder(llvm, module, ctx);
  const ext = llvm.GlobalValue.LinkageTypes.ExternalLinkage;
  const internal = llvm.GlobalValue.LinkageTypes.InternalLinkage;
  const i8pp = llvm.PointerType.getUnqual(k.i8p);
  const stageType = llvm.FunctionType.get(llvm.Type.getVoidTy(ctx), [k.i8p, i8pp], false);
  // The plan's constant items as module constants, made once and shared by the stages.
  const constants = new Map<number, LlvmValue>();
  for (const item of plan.statics) if (item.constant) constants.set(item.off, k.constant(item.data, `c${item.off}`));
  // Declared here, defined by the IR that native_object.ts links in.
  const matmulKernels = new Map<MatmulForm, LlvmFunction>();
  const declareMatmulKernel = (form: MatmulForm): LlvmFunction => {
    const p = form === "f32" ? k.f32p : k.i32p;
    let f = matmulKernels.get(form);
    if (!f) matmulKernels.set(form, (f = llvm.Function.Create(llvm.FunctionType.get(llvm.Type.getVoidTy(ctx), [p, p, p, k.i64, k.i64, k.i64, k.i64], false), ext, MATMUL_KERNEL_SYMBOL[form], module)));
    return f;
  };
  const lookupKernels = new Map<string, LlvmFunction>();
  const declareLookupKernel = (m: PermuteEntries, wrapped: boolean): LlvmFunction => {
    const symbol = lookupKernelSymbol(m, wrapped);
    let f = lookupKernels.get(symbol);
    if (!f) lookupKernels.set(symbol, (f = llvm.Function.Create(llvm.FunctionType.get(llvm.Type.getVoidTy(ctx), [k.f64p, k.f64p, k.f64p, k.i64, k.f64], false), ext, symbol, module)));
    return f;
  };
  let inputKernel: LlvmFunction | undefined;
  const declareInputKernel = (): LlvmFunction =>
    (inputKernel ??= llvm.Function.Create(llvm.FunctionType.get(k.i64, [k.f64p, k.f64p, k.i64, k.i64, k.i64, k.i64, k.f64, k.f64], false), ext, INPUT_KERNEL_SYMBOL, module));
  let inputPairsKernel: LlvmFunction | undefined;
  const declareInputPairsKernel = (): LlvmFunction =>
    (inputPairsKernel ??= llvm.Function.Create(llvm.FunctionType.get(k.i64, [k.i32p, k.f64p, k.i64, k.i64, k.i64, k.i64, k.f64, k.f64, k.f64p], false), ext, INPUT_PAIRS_KERNEL_SYMBOL, module));
  let inputQuadsKernel: LlvmFunction | undefined;
  const declareInputQuadsKernel = (): LlvmFunction =>
    (inputQuadsKernel ??= llvm.Function.Create(llvm.FunctionType.get(k.i64, [k.i32p, k.f64p, k.i64, k.i64, k.i64, k.i64, k.f64, k.f64, k.f64p, k.i32p, k.f64p], false), ext, INPUT_QUADS_KERNEL_SYMBOL, module));
  let outputKernel: LlvmFunction | undefined;
  const declareOutputKernel = (): LlvmFunction =>
    (outputKernel ??= llvm.Function.Create(llvm.FunctionType.get(llvm.Type.getVoidTy(ctx), [k.f64p, k.f64p, k.i64, k.i64, k.i64], false), ext, OUTPUT_KERNEL_SYMBOL, module));

  // Slot starts, in f64 elements per sample of capacity (prefix sums of the slot sizes).
  const starts: number[] = [];
  let total = 0;
  for (const sz of plan.slotSizes) {
    starts.push(total);
    total += sz;
  }

  const stageFns = plan.stages.map((stage, i) => {
    const fn = llvm.Function.Create(stageType, internal, `stage${i}`, module);
    k.fn = fn;
    k.b.SetInsertPoint(k.block("entry"));
    const arena = fn.getArg(0);
    const word = (off: number): LlvmValue => k.toInt(k.load(k.at(arena, off, "f64"), k.int(0)));
    const cap = plan.chunk !== undefined ? k.int(plan.chunk) : word(CONTROL.capacity);
    const buffer = (i: number): LlvmValue => k.b.CreateBitCast(k.b.CreateLoad(k.i8p, k.b.CreateInBoundsGEP(k.i8p, fn.getArg(1), [k.int(i)])), k.f64p);
    const slotPtr = (slot: number): LlvmValue => k.at(arena, k.add(k.int(plan.staticBytes), k.mul(k.int(starts[slot]! * 8), cap)), "f64");
    const common = {
      arena,
      cap,
      blocked: plan.chunk,
      slots: plan.slotSizes.map((_, s) => slotPtr(s)),
      draws: slotPtr(plan.drawSlot),
      unsettled: slotPtr(plan.unsettledSlot),
      constant: (off: number) => constants.get(off),
      matmulKernel: declareMatmulKernel,
      lookupKernel: declareLookupKernel,
      inputKernel: declareInputKernel,
      inputPairsKernel: declareInputPairsKernel,
      inputQuadsKernel: declareInputQuadsKernel,
      outputKernel: declareOutputKernel,
    };
    const samples = word(CONTROL.samples);
    const first = word(CONTROL.firstSample);
    const emitStage = (env: StageEnv): void => {
      const emitter = new OpEmitter(k, env);
      if (i === 0) emitter.emitInputs(plan, plan.args.map((_, a) => buffer(a)));
      for (const step of stage.steps) emitter.emit(step);
      if (stage.draws) emitter.emitNoisyReads(stage.draws);
      if (i === plan.stages.length - 1) emitter.emitOutputs(plan, plan.results.map((_, r) => buffer(plan.args.length + r)));
    };
    if (plan.chunk === undefined) emitStage({ ...common, ns: samples, live: samples, s0: first });
    else {
      // Block after block of `chunk` samples, each run whole (its last lanes repeat the batch's last sample).
      const blocks = k.b.CreateSDiv(k.add(samples, k.int(plan.chunk - 1)), k.int(plan.chunk));
      k.loop(blocks, (b) => {
        const done = k.mul(b, cap);
        const left = k.b.CreateSub(samples, done);
        const live = k.select(k.b.CreateICmpSLT(left, cap), left, cap);
        emitStage({ ...common, ns: cap, live, s0: k.add(first, done) });
      });
    }
    k.b.CreateRetVoid();
    return fn;
  });

  // fhec_kernel: switch on the stage word.
  const kernel = llvm.Function.Create(stageType, ext, KERNEL_SYMBOL, module);
  k.fn = kernel;
  k.b.SetInsertPoint(k.block("entry"));
  const arena = kernel.getArg(0);
  const stage = k.toInt(k.load(k.at(arena, CONTROL.stage, "f64"), k.int(0)));
  const done = k.block("done");
  const sw = k.b.CreateSwitch(stage, done, stageFns.length);
  stageFns.forEach((fn, i) => {
    const bb = k.block(`case${i}`);
    sw.addCase(k.int(i), bb);
    k.b.SetInsertPoint(bb);
    k.b.CreateCall(fn, [arena, kernel.getArg(1)]);
    k.b.CreateBr(done);
  });
  k.b.SetInsertPoint(done);
  k.b.CreateRetVoid();

  addNapiEntry(llvm, module, ctx, kernel, plan.args.length + plan.results.length);
  if (llvm.verifyModule(module)) throw new Error("LLVM backend: the generated module does not verify (a code generator bug)");
  return { module, context: ctx };
}
