// The simulation's keyed draws (backends/simulation/rng.ts) as LLVM IR, so that the kernel draws
// what the clear backend draws without calling back into TypeScript. A read's draws depend only on
// its op's key (written into the arena by fhec per run), its element and its sample, so the loops
// over samples carry no generator state and vectorize. The state of one read is its key and the
// number of its next draw: emitters that draw a varying number of times select between states.
import type { KernelBuilder } from "./ir_builder.js";
import type { LlvmValue } from "./llvm_api.js";
import { DRAW_STEP } from "../simulation/rng.js";

/** [read key (i32), number of the next draw (i32)]. */
export type RngState = readonly LlvmValue[];

export class RngEmitter {
  constructor(private readonly k: KernelBuilder) {}

  /** rng.ts mix32 on an i32. */
  private mix(x: LlvmValue): LlvmValue {
    const b = this.k.b;
    const xorShift = (v: LlvmValue, r: number) => b.CreateXor(v, b.CreateLShr(v, this.k.i32c(r)));
    x = b.CreateMul(xorShift(x, 16), this.k.i32c(0x7feb352d));
    x = b.CreateMul(xorShift(x, 15), this.k.i32c(0x846ca68b | 0));
    return xorShift(x, 16);
  }

  /** The op key stored at `ptr` (i32*). */
  key(ptr: LlvmValue): LlvmValue {
    return this.k.b.CreateLoad(this.k.i32, ptr);
  }

  /** rng.ts readKey: the draws of element `e` (i64) of sample `s` (i64, its index in the run's batch). */
  start(key: LlvmValue, e: LlvmValue, s: LlvmValue): RngState {
    const b = this.k.b;
    const read = this.mix(b.CreateXor(this.mix(b.CreateXor(key, b.CreateTrunc(e, this.k.i32))), b.CreateTrunc(s, this.k.i32)));
    return [read, this.k.i32c(0)];
  }

  /** nextU32(): rng.ts drawOf, and the state after it. */
  next(s: RngState): [LlvmValue, RngState] {
    const b = this.k.b;
    const [read, n] = s as [LlvmValue, LlvmValue];
    const after = b.CreateAdd(n, this.k.i32c(1));
    return [this.mix(b.CreateAdd(read, b.CreateMul(after, this.k.i32c(DRAW_STEP | 0)))), [read, after]];
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
