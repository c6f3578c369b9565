// The simulation's seeded generator (backends/simulation/rng.ts, xoshiro128**) as LLVM IR, so that
// the kernel draws from the same streams as the clear backend without calling back into
// TypeScript. The state is four i32 values the emitters carry through their loops; the arena holds
// it between ops (written by fhec from the stream it opened, read back by the next op).
import type { KernelBuilder } from "./ir_builder.js";
import type { LlvmValue } from "./llvm_api.js";

export type RngState = readonly LlvmValue[];

export class RngEmitter {
  constructor(private readonly k: KernelBuilder) {}

  private rotl(x: LlvmValue, r: number): LlvmValue {
    const b = this.k.b;
    return b.CreateOr(b.CreateShl(x, this.k.i32c(r)), b.CreateLShr(x, this.k.i32c(32 - r)));
  }

  /** The state stored at `ptr` (i32*). */
  load(ptr: LlvmValue): RngState {
    return [0, 1, 2, 3].map((i) => this.k.b.CreateLoad(this.k.i32, this.k.b.CreateInBoundsGEP(this.k.i32, ptr, [this.k.int(i)])));
  }

  store(ptr: LlvmValue, s: RngState): void {
    s.forEach((v, i) => this.k.b.CreateStore(v, this.k.b.CreateInBoundsGEP(this.k.i32, ptr, [this.k.int(i)])));
  }

  /** nextU32(): the 32-bit result and the state after it. */
  next(s: RngState): [LlvmValue, RngState] {
    const b = this.k.b;
    const [s0, s1, s2, s3] = s as [LlvmValue, LlvmValue, LlvmValue, LlvmValue];
    const result = b.CreateMul(this.rotl(b.CreateMul(s1, this.k.i32c(5)), 7), this.k.i32c(9));
    const t = b.CreateShl(s1, this.k.i32c(9));
    const n2 = b.CreateXor(s2, s0);
    const n3 = b.CreateXor(s3, s1);
    const n1 = b.CreateXor(s1, n2);
    const n0 = b.CreateXor(s0, n3);
    return [result, [n0, n1, b.CreateXor(n2, t), this.rotl(n3, 11)]];
  }

  /** next(): a uniform double in [0, 1), the 32-bit result over 2^32 (exact). */
  uniform(s: RngState): [LlvmValue, RngState] {
    const [x, after] = this.next(s);
    return [this.k.fmul(this.k.b.CreateUIToFP(x, this.k.f64), this.k.num(2 ** -32)), after];
  }

  /** bit(): the top bit of the next result (i1). */
  bit(s: RngState): [LlvmValue, RngState] {
    const [x, after] = this.next(s);
    return [this.k.b.CreateICmpNE(this.k.b.CreateAnd(x, this.k.i32c(0x80000000)), this.k.i32c(0)), after];
  }

  /** `cond ? a : b` for states. */
  pick(cond: LlvmValue, a: RngState, b: RngState): RngState {
    return a.map((v, i) => this.k.select(cond, v, b[i]!));
  }
}
