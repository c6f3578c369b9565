// Exact rounding with drawn bit reads in native code: the clear backend's roundExactDrawn
// (backends/simulation/exact_round.ts) operation for operation, on the same read probabilities
// (computed once by fhec and placed in the arena), with the same draws of each read (emit_rng.ts):
// per element one uniform for the first bit read wrong, then one per later read whose probability
// is neither negligible nor near 1, and one coin when the result sits on a half. Every value is an
// integer or a probability the clear backend computed, so the results are the same bits.
import type { KernelBuilder } from "./ir_builder.js";
import type { LlvmValue } from "./llvm_api.js";
import { RngEmitter, type RngState } from "./emit_rng.js";
import { NEGLIGIBLE } from "../simulation/exact_round.js";

export interface ExactRoundBits {
  /** Bits removed and elements per sample. */
  readonly k: number;
  readonly n: number;
  readonly samples: LlvmValue;
  /** Element e of sample s of the input, and the store of the output's. */
  readonly input: (s: LlvmValue, e: LlvmValue) => LlvmValue;
  readonly output: (s: LlvmValue, e: LlvmValue, v: LlvmValue) => void;
  /** ExactRoundReads.rows (i32*, k·n), .odd and .firstWrong (f64*). */
  readonly rows: LlvmValue;
  readonly odd: LlvmValue;
  readonly firstWrong: LlvmValue;
  /** The draws of element e of sample s (bit-read stream). */
  readonly draws: (s: LlvmValue, e: LlvmValue) => RngState;
}

export function emitExactRoundBits(k: KernelBuilder, r: ExactRoundBits): void {
  const rng = new RngEmitter(k);
  const never = k.num(NEGLIGIBLE);
  const always = k.num(1 - NEGLIGIBLE);
  const d = 2 ** r.k;
  /** uniformOf: (32 random bits + ½)/2^32, exact in f64. */
  const uniform = (st: RngState): [LlvmValue, LlvmValue[]] => {
    const [bits, after] = rng.next(st);
    return [k.fmul(k.fadd(k.b.CreateUIToFP(bits, k.f64), k.num(0.5)), k.num(2 ** -32)), [...after]];
  };
  const exactOf = (x: LlvmValue) => k.floor(k.fdiv(k.fadd(x, k.num(d / 2)), k.num(d)));
  k.loop(r.samples, (s) => {
    k.loop(r.n, (e) => {
      const x = r.input(s, e);
      const live = k.not(k.b.CreateICmpSLT(k.loadIndex(r.rows, e), k.int(0)));
      const [value] = k.branch(live, () => {
        const [u, drawn] = uniform(r.draws(s, e));
        const wrong = k.lt(u, k.load(r.firstWrong, k.add(k.int((r.k - 1) * r.n), e)));
        return k.branch(wrong, () => drawnRound(x, e, u, drawn).slice(0, 1), () => [exactOf(x)]);
      }, () => [exactOf(x)]);
      r.output(s, e, value!);
    });
  });

  /** roundExactDrawn past its first uniform u, which picked a wrong bit: [value, ...state]. */
  function drawnRound(x: LlvmValue, e: LlvmValue, u: LlvmValue, st: LlvmValue[]): LlvmValue[] {
    // The first bit read wrong (the clear backend's while loop), unrolled: bits whose
    // firstWrong ≤ u are read right.
    let first = k.num(0);
    for (let j = 0; j < r.k - 1; j++) first = k.fadd(first, k.select(k.ge(u, k.load(r.firstWrong, k.add(k.int(j * r.n), e))), k.num(1), k.num(0)));
    let z = k.fadd(x, k.num(d / 2));
    let cur: LlvmValue[] = st;
    for (let j = 0; j < r.k; j++) {
      const unit = 2 ** j;
      const fl = k.floor(k.fdiv(z, k.num(unit)));
      const m = k.fsub(z, k.fmul(fl, k.num(unit)));
      const odd = k.eq(k.mod(fl, 2), k.num(1));
      // Below the first wrong bit: read right; at it: read wrong; above it: drawn.
      const isFirst = k.eq(first, k.num(j));
      const above = k.lt(first, k.num(j));
      const p = k.load(r.odd, k.add(k.loadIndex(r.rows, k.add(k.int(j * r.n), e)), k.toInt(m)));
      const draws = k.and(above, k.and(k.gt(p, never), k.lt(p, always)));
      const [v, next] = uniform(cur);
      const drawnFlip = k.select(k.and(k.gt(p, never), k.lt(p, always)), k.lt(v, p), k.ge(p, always));
      const flipped = k.or(isFirst, k.and(above, drawnFlip));
      cur = [...rng.pick(draws, next, cur)];
      z = k.select(k.b.CreateXor(odd, flipped), k.fsub(z, k.num(unit)), z);
    }
    const fl = k.floor(k.fdiv(z, k.num(d)));
    const rest = k.fsub(z, k.fmul(fl, k.num(d)));
    const tie = k.eq(rest, k.num(d / 2));
    const [coin, next] = rng.bit(cur);
    cur = [...rng.pick(tie, next, cur)];
    const up = k.or(k.gt(rest, k.num(d / 2)), k.and(tie, coin));
    return [k.select(up, k.fadd(fl, k.num(1)), fl), ...cur];
  }
}
