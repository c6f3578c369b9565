// Exact rounding with drawn bit reads in native code: the clear backend's roundExactDrawn
// (backends/simulation/exact_round.ts) operation for operation, on the same read probabilities
// (computed once by fhec and placed in the arena), drawing from the same stream in the same order:
// sample after sample, element after element, bit after bit, one uniform per read whose
// probability is neither negligible nor near 1, and one coin when the result sits on a half.
// Every value is an integer or a probability the clear backend computed, so the results are the
// same bits.
import type { KernelBuilder } from "./ir_builder.js";
import type { LlvmValue } from "./llvm_api.js";
import { RngEmitter } from "./emit_rng.js";
import { NEGLIGIBLE } from "../simulation/exact_round.js";

export interface ExactRoundBits {
  /** Bits removed and elements per sample. */
  readonly k: number;
  readonly n: number;
  readonly samples: LlvmValue;
  /** Pointers to sample s's input and output rows (f64*). */
  readonly input: (s: LlvmValue) => LlvmValue;
  readonly output: (s: LlvmValue) => LlvmValue;
  /** ExactRoundReads.rows (i32*, k·n) and .odd (f64*). */
  readonly rows: LlvmValue;
  readonly odd: LlvmValue;
  /** The bit-read stream's state (i32*). */
  readonly rng: LlvmValue;
}

export function emitExactRoundBits(k: KernelBuilder, r: ExactRoundBits): void {
  const rng = new RngEmitter(k);
  const never = k.num(NEGLIGIBLE);
  const always = k.num(1 - NEGLIGIBLE);
  const d = 2 ** r.k;
  const state = k.loop(r.samples, (s, outer) => {
    const X = r.input(s);
    const O = r.output(s);
    return k.loop(r.n, (e, st) => {
      const x = k.load(X, e);
      const exact = k.b.CreateICmpSLT(k.loadIndex(r.rows, e), k.int(0));
      const [value, ...after] = k.branch(
        exact,
        () => [k.floor(k.fdiv(k.fadd(x, k.num(d / 2)), k.num(d))), ...st],
        () => {
          let z = k.fadd(x, k.num(d / 2));
          let cur: LlvmValue[] = st;
          for (let j = 0; j < r.k; j++) {
            const unit = 2 ** j;
            const fl = k.floor(k.fdiv(z, k.num(unit)));
            const m = k.fsub(z, k.fmul(fl, k.num(unit)));
            const row = k.loadIndex(r.rows, k.add(k.int(j * r.n), e));
            const p = k.load(r.odd, k.add(row, k.toInt(m)));
            const drawn = k.and(k.gt(p, never), k.lt(p, always));
            const [u, next] = rng.uniform(cur);
            const flipped = k.select(drawn, k.lt(u, p), k.ge(p, always));
            cur = [...rng.pick(drawn, next, cur)];
            const odd = k.eq(k.mod(fl, 2), k.num(1));
            z = k.select(k.b.CreateXor(odd, flipped), k.fsub(z, k.num(unit)), z);
          }
          const fl = k.floor(k.fdiv(z, k.num(d)));
          const rest = k.fsub(z, k.fmul(fl, k.num(d)));
          const tie = k.eq(rest, k.num(d / 2));
          const [coin, next] = rng.bit(cur);
          cur = [...rng.pick(tie, next, cur)];
          const up = k.or(k.gt(rest, k.num(d / 2)), k.and(tie, coin));
          return [k.select(up, k.fadd(fl, k.num(1)), fl), ...cur];
        },
      );
      k.store(O, e, value!);
      return after;
    }, outer);
  }, [...rng.load(r.rng)]);
  rng.store(r.rng, state);
}
