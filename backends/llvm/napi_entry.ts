// The N-API entry of a kernel object, generated as LLVM IR beside the kernel so that the linked
// object is a Node addon by itself (no C glue, no other native dependency): the module exports
// `run(arena, ...buffers)`, which takes the arena's Float64Array and `buffers` Float64Arrays (the
// inputs, then the outputs) and calls `fhec_kernel` on their memory.
// N-API symbols are resolved against the running Node process when the addon is loaded.
import type { LlvmBindings, LlvmFunction, LlvmModule } from "./llvm_api.js";

export function addNapiEntry(llvm: LlvmBindings, module: LlvmModule, ctx: unknown, kernel: LlvmFunction, buffers: number): void {
  const T = llvm.Type;
  const ptr = T.getInt8PtrTy(ctx); // napi_env, napi_value, napi_callback_info, void*
  const ptrPtr = llvm.PointerType.getUnqual(ptr);
  const i32 = T.getInt32Ty(ctx); // napi_status
  const i64 = T.getInt64Ty(ctx); // size_t
  const i64Ptr = T.getInt64PtrTy(ctx);
  const ext = llvm.GlobalValue.LinkageTypes.ExternalLinkage;
  const b = new llvm.IRBuilder(ctx);
  const nullPtr = llvm.ConstantPointerNull.get(ptr);
  const declare = (name: string, params: ReturnType<typeof T.getInt8PtrTy>[]) => llvm.Function.Create(llvm.FunctionType.get(i32, params, false), ext, name, module);

  // napi_value run(napi_env env, napi_callback_info info)
  const callbackType = llvm.FunctionType.get(ptr, [ptr, ptr], false);
  const getCbInfo = declare("napi_get_cb_info", [ptr, ptr, i64Ptr, ptrPtr, ptrPtr, ptrPtr]);
  const getTypedArrayInfo = declare("napi_get_typedarray_info", [ptr, ptr, T.getInt32PtrTy(ctx), i64Ptr, ptrPtr, ptrPtr, i64Ptr]);
  const createFunction = declare("napi_create_function", [ptr, ptr, i64, llvm.PointerType.getUnqual(callbackType), ptr, ptrPtr]);
  const setNamedProperty = declare("napi_set_named_property", [ptr, ptr, ptr, ptr]);

  const run = llvm.Function.Create(callbackType, ext, "fhec_run", module);
  b.SetInsertPoint(llvm.BasicBlock.Create(ctx, "entry", run));
  const args = 1 + buffers;
  const argc = b.CreateAlloca(i64);
  b.CreateStore(llvm.ConstantInt.get(i64, args), argc);
  const argv = b.CreateAlloca(ptr, llvm.ConstantInt.get(i64, args));
  const argAt = (i: number) => b.CreateInBoundsGEP(ptr, argv, [llvm.ConstantInt.get(i64, i)]);
  for (let i = 0; i < args; i++) b.CreateStore(nullPtr, argAt(i));
  b.CreateCall(getCbInfo, [run.getArg(0), run.getArg(1), argc, argv, llvm.ConstantPointerNull.get(ptrPtr), llvm.ConstantPointerNull.get(ptrPtr)]);
  // data[0] is the arena, data[1 + i] buffer i.
  const data = b.CreateAlloca(ptr, llvm.ConstantInt.get(i64, args));
  const dataAt = (i: number) => b.CreateInBoundsGEP(ptr, data, [llvm.ConstantInt.get(i64, i)]);
  const nulls = { i32: llvm.ConstantPointerNull.get(T.getInt32PtrTy(ctx)), i64: llvm.ConstantPointerNull.get(i64Ptr), ptr: llvm.ConstantPointerNull.get(ptrPtr) };
  const out = llvm.BasicBlock.Create(ctx, "out", run);
  // Anything but typed arrays (status ≠ napi_ok, e.g. too few arguments): do nothing rather than touch a null pointer.
  for (let i = 0; i < args; i++) {
    b.CreateStore(nullPtr, dataAt(i));
    const status = b.CreateCall(getTypedArrayInfo, [run.getArg(0), b.CreateLoad(ptr, argAt(i)), nulls.i32, nulls.i64, dataAt(i), nulls.ptr, nulls.i64]);
    const ok = llvm.BasicBlock.Create(ctx, `ok${i}`, run);
    b.CreateCondBr(b.CreateICmpEQ(status, llvm.ConstantInt.get(i32, 0)), ok, out);
    b.SetInsertPoint(ok);
  }
  b.CreateCall(kernel, [b.CreateLoad(ptr, dataAt(0)), b.CreateBitCast(dataAt(1), ptrPtr)]);
  b.CreateBr(out);
  b.SetInsertPoint(out);
  b.CreateRet(nullPtr);

  // napi_value napi_register_module_v1(napi_env env, napi_value exports): exports.run = run
  const init = llvm.Function.Create(callbackType, ext, "napi_register_module_v1", module);
  b.SetInsertPoint(llvm.BasicBlock.Create(ctx, "entry", init));
  const name = b.CreateGlobalStringPtr("run");
  const fn = b.CreateAlloca(ptr);
  b.CreateCall(createFunction, [init.getArg(0), name, llvm.ConstantInt.get(i64, 3), run, nullPtr, fn]);
  b.CreateCall(setNamedProperty, [init.getArg(0), init.getArg(1), name, b.CreateLoad(ptr, fn)]);
  b.CreateRet(init.getArg(1));
}
