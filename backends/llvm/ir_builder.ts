// A thin layer over llvm-bindings' IRBuilder for the kernel code: typed constants, f64/i32 loads
// and stores at element indices, and counted loops that carry values (phi nodes), so that the
// op emitters read like the clear backend's loops they mirror.
import type { LlvmBindings, LlvmBlock, LlvmBuilder, LlvmFunction, LlvmModule, LlvmPhi, LlvmType, LlvmValue } from "./llvm_api.js";

export class KernelBuilder {
  readonly ctx: unknown;
  readonly b: LlvmBuilder;
  readonly f64: LlvmType;
  readonly f32: LlvmType;
  readonly f32p: LlvmType;
  readonly i64: LlvmType;
  readonly i32: LlvmType;
  readonly i8p: LlvmType;
  readonly f64p: LlvmType;
  readonly i32p: LlvmType;
  private readonly floorFn: LlvmFunction;
  private readonly fabsFn: LlvmFunction;
  private readonly sqrtFn: LlvmFunction;
  fn!: LlvmFunction;

  constructor(
    readonly llvm: LlvmBindings,
    readonly module: LlvmModule,
    ctx: unknown,
  ) {
    this.ctx = ctx;
    this.b = new llvm.IRBuilder(ctx);
    this.f64 = llvm.Type.getDoubleTy(ctx);
    this.f32 = llvm.Type.getFloatTy(ctx);
    this.f32p = llvm.PointerType.getUnqual(this.f32);
    this.i64 = llvm.Type.getInt64Ty(ctx);
    this.i32 = llvm.Type.getInt32Ty(ctx);
    this.i8p = llvm.Type.getInt8PtrTy(ctx);
    this.f64p = llvm.Type.getDoublePtrTy(ctx);
    this.i32p = llvm.Type.getInt32PtrTy(ctx);
    this.floorFn = llvm.Intrinsic.getDeclaration(module, llvm.Intrinsic.floor, [this.f64]);
    this.fabsFn = llvm.Intrinsic.getDeclaration(module, llvm.Intrinsic.fabs, [this.f64]);
    this.sqrtFn = llvm.Intrinsic.getDeclaration(module, llvm.Intrinsic.sqrt, [this.f64]);
  }

  block(name: string): LlvmBlock {
    return this.llvm.BasicBlock.Create(this.ctx, name, this.fn);
  }

  i32c(v: number): LlvmValue {
    return this.llvm.ConstantInt.get(this.i32, v >>> 0, false);
  }

  int(v: number): LlvmValue {
    return this.llvm.ConstantInt.get(this.i64, v, true);
  }

  num(v: number): LlvmValue {
    return this.llvm.ConstantFP.get(this.f64, v);
  }

  // ---- arithmetic (f64 mirrors the clear backend's JS numbers; i64 is for indices) -----------

  add = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateAdd(a, c);
  mul = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateMul(a, c);
  fadd = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFAdd(a, c);
  fsub = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFSub(a, c);
  fmul = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFMul(a, c);
  fdiv = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFDiv(a, c);
  /** JS `%` on numbers (the sign of the dividend), which LLVM's frem is. */
  frem = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFRem(a, c);
  fneg = (a: LlvmValue): LlvmValue => this.b.CreateFNeg(a);
  floor = (a: LlvmValue): LlvmValue => this.b.CreateCall(this.floorFn, [a]);
  fabs = (a: LlvmValue): LlvmValue => this.b.CreateCall(this.fabsFn, [a]);
  /** f64 → f32 (exact for integers below 2^24) and back (always exact). */
  narrow = (a: LlvmValue): LlvmValue => this.b.CreateFPTrunc(a, this.f32);
  widen = (a: LlvmValue): LlvmValue => this.b.CreateFPExt(a, this.f64);
  /** Correctly rounded, as JavaScript's Math.sqrt. */
  sqrt = (a: LlvmValue): LlvmValue => this.b.CreateCall(this.sqrtFn, [a]);
  /**
   * JavaScript's ((v % m) + m) % m for a power of two m and an integer (or non-finite) v, without
   * a call to fmod: v/m and m·floor(v/m) are exact, and so is their difference, an integer in [0, m).
   */
  mod = (v: LlvmValue, m: number): LlvmValue => this.fsub(v, this.fmul(this.num(m), this.floor(this.fmul(v, this.num(1 / m)))));
  select = (c: LlvmValue, a: LlvmValue, d: LlvmValue): LlvmValue => this.b.CreateSelect(c, a, d);
  not = (a: LlvmValue): LlvmValue => this.b.CreateXor(a, this.llvm.ConstantInt.getTrue(this.ctx));
  and = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateAnd(a, c);
  or = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateOr(a, c);
  // Ordered comparisons, as JS compares numbers (false with NaN).
  lt = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFCmpOLT(a, c);
  gt = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFCmpOGT(a, c);
  ge = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFCmpOGE(a, c);
  eq = (a: LlvmValue, c: LlvmValue): LlvmValue => this.b.CreateFCmpOEQ(a, c);
  toInt = (a: LlvmValue): LlvmValue => this.b.CreateFPToSI(a, this.i64);
  /** 1 or 0 as an i64 (for counts summed in integers, which vectorize in any order). */
  count = (c: LlvmValue): LlvmValue => this.b.CreateZExt(c, this.i64);
  isNaN = (a: LlvmValue): LlvmValue => this.b.CreateFCmpUNE(a, a);
  toNum = (a: LlvmValue): LlvmValue => this.b.CreateSIToFP(a, this.f64);

  // ---- memory ------------------------------------------------------------------------------

  /** A typed pointer `byteOff` bytes into the arena (`byteOff` an i64 value or a number). */
  at(arena: LlvmValue, byteOff: LlvmValue | number, type: "f64" | "i32"): LlvmValue {
    const off = typeof byteOff === "number" ? this.int(byteOff) : byteOff;
    const p = this.b.CreateInBoundsGEP(this.llvm.Type.getInt8Ty(this.ctx), arena, [off]);
    return this.b.CreateBitCast(p, type === "f64" ? this.f64p : this.i32p);
  }

  /**
   * A module constant holding `data` (never written: loads from it may move across any store),
   * as an f64*, f32* or i32* pointer to its first element.
   */
  constant(data: Float64Array | Float32Array | Int32Array, name: string): LlvmValue {
    const [elem, ptr, value] =
      data instanceof Float64Array ? [this.f64, this.f64p, (v: number) => this.num(v)]
      : data instanceof Float32Array ? [this.f32, this.f32p, (v: number) => this.llvm.ConstantFP.get(this.f32, v)]
      : [this.i32, this.i32p, (v: number) => this.i32c(v)];
    const type = this.llvm.ArrayType.get(elem, data.length);
    const g = new this.llvm.GlobalVariable(this.module, type, true, this.llvm.GlobalValue.LinkageTypes.PrivateLinkage, this.llvm.ConstantArray.get(type, Array.from(data, value)), name);
    return this.b.CreateBitCast(g, ptr);
  }

  /** `base + idx` elements of f64 (`idx` an i64). */
  elt(base: LlvmValue, idx: LlvmValue): LlvmValue {
    return this.b.CreateInBoundsGEP(this.f64, base, [idx]);
  }

  load(base: LlvmValue, idx: LlvmValue): LlvmValue {
    return this.b.CreateLoad(this.f64, this.elt(base, idx));
  }

  store(base: LlvmValue, idx: LlvmValue, v: LlvmValue): void {
    this.b.CreateStore(v, this.elt(base, idx));
  }

  /** f32 element `idx` of `base` (an f32*). */
  load32(base: LlvmValue, idx: LlvmValue): LlvmValue {
    return this.b.CreateLoad(this.f32, this.b.CreateInBoundsGEP(this.f32, base, [idx]));
  }

  store32(base: LlvmValue, idx: LlvmValue, v: LlvmValue): void {
    this.b.CreateStore(v, this.b.CreateInBoundsGEP(this.f32, base, [idx]));
  }

  /** An i32 plan entry, widened to an i64 index. */
  loadIndex(base: LlvmValue, idx: LlvmValue): LlvmValue {
    return this.b.CreateSExt(this.b.CreateLoad(this.i32, this.b.CreateInBoundsGEP(this.i32, base, [idx])), this.i64);
  }

  // ---- control flow --------------------------------------------------------------------------

  /**
   * if (cond) then() else otherwise(): each side returns the values it gives (the same number and
   * types); the merged values are returned. Unlike a select, only the taken side runs.
   */
  branch(cond: LlvmValue, then: () => LlvmValue[], otherwise: () => LlvmValue[]): LlvmValue[] {
    const thenB = this.block("then");
    const elseB = this.block("else");
    const join = this.block("join");
    this.b.CreateCondBr(cond, thenB, elseB);
    this.b.SetInsertPoint(thenB);
    const a = then();
    const thenEnd = this.b.GetInsertBlock();
    this.b.CreateBr(join);
    this.b.SetInsertPoint(elseB);
    const c = otherwise();
    const elseEnd = this.b.GetInsertBlock();
    this.b.CreateBr(join);
    this.b.SetInsertPoint(join);
    return a.map((v, i) => {
      const phi = this.b.CreatePHI(v.getType(), 2);
      phi.addIncoming(v, thenEnd);
      phi.addIncoming(c[i]!, elseEnd);
      return phi;
    });
  }

  /**
   * for (i = from; i < to; i++), carrying `init` values through the iterations: `body` gets the
   * index and the current values and returns the next ones; the loop returns the final values.
   */
  loop(to: LlvmValue | number, body: (i: LlvmValue, vals: LlvmValue[]) => LlvmValue[] | void, init: LlvmValue[] = [], from: LlvmValue | number = 0): LlvmValue[] {
    const pre = this.b.GetInsertBlock();
    const head = this.block("loop");
    const bodyB = this.block("body");
    const exit = this.block("done");
    const start = typeof from === "number" ? this.int(from) : from;
    const end = typeof to === "number" ? this.int(to) : to;
    this.b.CreateBr(head);
    this.b.SetInsertPoint(head);
    const i = this.b.CreatePHI(this.i64, 2);
    i.addIncoming(start, pre);
    const phis: LlvmPhi[] = init.map((v) => {
      const p = this.b.CreatePHI(v.getType(), 2);
      p.addIncoming(v, pre);
      return p;
    });
    this.b.CreateCondBr(this.b.CreateICmpSLT(i, end), bodyB, exit);
    this.b.SetInsertPoint(bodyB);
    const next = body(i, phis) ?? [];
    const latch = this.b.GetInsertBlock();
    const i1 = this.b.CreateAdd(i, this.int(1));
    this.b.CreateBr(head);
    i.addIncoming(i1, latch);
    phis.forEach((p, k) => p.addIncoming(next[k]!, latch));
    this.b.SetInsertPoint(exit);
    return phis;
  }
}
