// The part of the `llvm-bindings` API the backend uses, declared here so that fhec type-checks
// and builds on machines where the optional package is not installed (it is loaded at run time).
/* eslint-disable @typescript-eslint/no-explicit-any */

export interface LlvmType {
  readonly __llvmType?: never;
}
export interface LlvmValue {
  getType(): LlvmType;
}
export interface LlvmBlock extends LlvmValue {
  readonly __llvmBlock?: never;
}
export interface LlvmPhi extends LlvmValue {
  addIncoming(value: LlvmValue, block: LlvmBlock): void;
}
export interface LlvmSwitch extends LlvmValue {
  addCase(onVal: LlvmValue, dest: LlvmBlock): void;
}
export interface LlvmFunction extends LlvmValue {
  getArg(i: number): LlvmValue;
}
export interface LlvmModule {
  print(): string;
  setTargetTriple(triple: string): void;
  getFunction(name: string): LlvmFunction | null;
}

export interface LlvmBuilder {
  SetInsertPoint(block: LlvmBlock): void;
  GetInsertBlock(): LlvmBlock;
  CreateRetVoid(): LlvmValue;
  CreateRet(v: LlvmValue): LlvmValue;
  CreateBr(dest: LlvmBlock): LlvmValue;
  CreateCondBr(cond: LlvmValue, a: LlvmBlock, b: LlvmBlock): LlvmValue;
  CreateSwitch(v: LlvmValue, dflt: LlvmBlock, n?: number): LlvmSwitch;
  CreatePHI(t: LlvmType, n: number, name?: string): LlvmPhi;
  CreateAdd(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateSub(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateMul(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateSRem(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateSDiv(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateAnd(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateOr(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateXor(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateShl(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateLShr(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateAShr(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFAdd(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFSub(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFMul(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFDiv(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFRem(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFNeg(a: LlvmValue, name?: string): LlvmValue;
  CreateICmpEQ(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateICmpSLT(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateICmpULT(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateICmpNE(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateICmpSGT(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFCmpUNE(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFCmpOEQ(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFCmpOGE(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFCmpOGT(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFCmpOLT(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFCmpOLE(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFCmpUGT(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateFCmpULT(a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateSelect(c: LlvmValue, a: LlvmValue, b: LlvmValue, name?: string): LlvmValue;
  CreateLoad(t: LlvmType, ptr: LlvmValue, name?: string): LlvmValue;
  CreateStore(v: LlvmValue, ptr: LlvmValue): LlvmValue;
  CreateInBoundsGEP(t: LlvmType, ptr: LlvmValue, idx: LlvmValue[], name?: string): LlvmValue;
  CreateAlloca(t: LlvmType, size?: LlvmValue | null, name?: string): LlvmValue;
  CreateBitCast(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateFPToSI(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateFPTrunc(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateFPExt(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateSIToFP(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateSExt(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateZExt(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateTrunc(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateUIToFP(v: LlvmValue, t: LlvmType, name?: string): LlvmValue;
  CreateCall(callee: LlvmFunction, args: LlvmValue[], name?: string): LlvmValue;
  CreateGlobalStringPtr(s: string, name?: string): LlvmValue;
}

/** The `llvm-bindings` module object (the subset used). */
export interface LlvmBindings {
  LLVMContext: new () => unknown;
  Module: new (id: string, ctx: unknown) => LlvmModule;
  IRBuilder: new (ctx: unknown) => LlvmBuilder;
  BasicBlock: { Create(ctx: unknown, name?: string, parent?: LlvmFunction): LlvmBlock };
  Function: { Create(t: LlvmType, linkage: number, name: string, m: LlvmModule): LlvmFunction };
  FunctionType: { get(ret: LlvmType, params: LlvmType[], varArg: boolean): LlvmType };
  Type: {
    getVoidTy(ctx: unknown): LlvmType;
    getDoubleTy(ctx: unknown): LlvmType;
    getFloatTy(ctx: unknown): LlvmType;
    getInt8Ty(ctx: unknown): LlvmType;
    getInt32Ty(ctx: unknown): LlvmType;
    getInt64Ty(ctx: unknown): LlvmType;
    getDoublePtrTy(ctx: unknown): LlvmType;
    getInt8PtrTy(ctx: unknown): LlvmType;
    getInt32PtrTy(ctx: unknown): LlvmType;
    getInt64PtrTy(ctx: unknown): LlvmType;
  };
  PointerType: { getUnqual(t: LlvmType): LlvmType };
  ArrayType: { get(elem: LlvmType, n: number): LlvmType };
  ConstantArray: { get(t: LlvmType, values: LlvmValue[]): LlvmValue };
  GlobalVariable: new (module: LlvmModule, t: LlvmType, isConstant: boolean, linkage: number, init: LlvmValue | null, name?: string) => LlvmValue;
  ConstantInt: { get(t: LlvmType, v: number, signed?: boolean): LlvmValue; getTrue(ctx: unknown): LlvmValue };
  ConstantFP: { get(t: LlvmType, v: number): LlvmValue };
  ConstantPointerNull: { get(t: LlvmType): LlvmValue };
  GlobalValue: { LinkageTypes: { ExternalLinkage: number; InternalLinkage: number; PrivateLinkage: number } };
  Intrinsic: { floor: number; fabs: number; sqrt: number; getDeclaration(m: LlvmModule, id: number, types?: LlvmType[]): LlvmFunction };
  verifyModule(m: LlvmModule): boolean;
  WriteBitcodeToFile(m: LlvmModule, file: string): void;
  SMDiagnostic: new () => unknown;
  parseIRFile(file: string, err: unknown, ctx: unknown): LlvmModule | null;
  /** Links `src` into `dest` (consuming `src`); true when it failed. */
  Linker: { linkModules(dest: LlvmModule, src: LlvmModule): boolean };
}
