// Noisy reads in native code. The clear backend reads round(z + noise) with noise σ·g, g a
// Box–Muller draw of the read's two uniforms (backends/simulation/draws.ts), skipping reads
// farther than 8σ from their tie. The kernel draws the same two uniforms (emit_rng.ts: each read's
// own, keyed by op, element and sample, so every read is independent of the others and the loop
// vectorizes) but computes g with its own series for log and cos (below; JavaScript's Math
// functions may differ from any other implementation in the last bits): its g is within 10^-11 of
// JavaScript's, not always the same bits. It settles every read whose result
// floor(z + 1/2 + σ·g) no such difference can change: a sum farther than
// `tolerance`·(1 + |sum| + σ) from an integer (the default tolerance 2^-30 is 40 times the largest
// difference σ·10^-11, plus the sum's roundings). It records the others, flat index, uniforms,
// z + 1/2 and σ, for fhec to redo with JavaScript's own functions (run.ts) before the next stage
// reads them. A read is left unsettled with probability about 2·tolerance·(1 + |sum| + σ).
import type { KernelBuilder } from "./ir_builder.js";
import type { LlvmValue } from "./llvm_api.js";
import { RngEmitter, type RngState } from "./emit_rng.js";
import { UNSETTLED_RECORD } from "./plan.js";

export interface NoisyReads {
  /** Elements per sample, and the samples of this call (i64). */
  readonly n: number;
  readonly samples: LlvmValue;
  /** The read position z of element e of sample s (the part that depends on e alone made first), and the noise σ of element e (steps). */
  readonly position: (e: LlvmValue) => (s: LlvmValue) => LlvmValue;
  readonly sigma: (e: LlvmValue) => LlvmValue;
  /** The draws of element e of sample s (noise stream). */
  readonly draws: (s: LlvmValue, e: LlvmValue) => RngState;
  /** Where the values of element e go (f64*, indexed by sample: a slot's row, `cap` per element), where unsettled reads are recorded, and their count (f64*). */
  readonly values: (e: LlvmValue) => LlvmValue;
  readonly cap: LlvmValue;
  readonly unsettled: LlvmValue;
  readonly unsettledCount: LlvmValue;
  readonly tolerance: LlvmValue;
}

export function emitNoisyReads(k: KernelBuilder, r: NoisyReads): void {
  const W = r.unsettled;
  const field = (j: LlvmValue, f: number) => k.add(k.mul(j, k.int(UNSETTLED_RECORD)), k.int(f));
  const rng = new RngEmitter(k);

  /** The read's two uniforms (clear: noisyRound's gauss). */
  const uniforms = (s: LlvmValue, e: LlvmValue) => {
    const [u1, s1] = rng.uniform(r.draws(s, e));
    const [u2] = rng.uniform(s1);
    return { u1, u2 };
  };

  // 1. Every read at once (no order, no branch: vectorizable): a read far from its tie (farther
  // than 8σ) is its rounded position; the others floor(z + 1/2 + σ·g), or NaN where that result is
  // not settled (fhec then redoes it; redoing a read that is NaN anyway is harmless).
  k.loop(r.n, (e) => {
    const position = r.position(e);
    const sigma = r.sigma(e);
    const values = r.values(e);
    k.loop(r.samples, (s) => {
      const z = position(s);
      const { u1, u2 } = uniforms(s, e);
      const fl = k.floor(z);
      const f = k.fsub(z, fl);
      const s8 = k.fmul(k.num(8), sigma);
      const far = k.and(k.gt(k.fabs(k.fsub(f, k.num(0.5))), s8), k.lt(s8, k.num(0.5)));
      const a = k.fadd(z, k.num(0.5));
      const g = k.fmul(k.sqrt(k.fmul(k.num(-2), logOfUnit(k, k.fsub(k.num(1), u1)))), cosOfTurns(k, u2));
      const sum = k.fadd(a, k.fmul(sigma, g));
      const nearest = k.floor(k.fadd(sum, k.num(0.5)));
      const margin = k.fmul(r.tolerance, k.fadd(k.fadd(k.num(1), k.fabs(sum)), k.fabs(sigma)));
      const unsettled = k.b.CreateFCmpOLE(k.fabs(k.fsub(sum, nearest)), margin);
      const rounded = k.select(k.ge(f, k.num(0.5)), k.fadd(fl, k.num(1)), fl);
      k.store(values, s, k.select(far, rounded, k.select(unsettled, k.num(NaN), k.floor(sum))));
    });
  });

  // 2. The unsettled reads, as records [index in the slot, u1, u2, z + 1/2, σ] (their draws made again: few).
  const [count] = k.loop(r.n, (e, outer) =>
    k.loop(r.samples, (s, [c]) => {
      const j = k.add(k.mul(e, r.cap), s);
      const v = k.load(r.values(e), s);
      const flagged = k.b.CreateFCmpUNE(v, v); // v is NaN
      return k.branch(
        flagged,
        () => {
          const { u1, u2 } = uniforms(s, e);
          [k.toNum(j), u1, u2, k.fadd(r.position(e)(s), k.num(0.5)), r.sigma(e)].forEach((x, i) => k.store(W, field(c!, i), x));
          return [k.add(c!, k.int(1))];
        },
        () => [c!],
      );
    }, outer),
  [k.int(0)]);
  k.b.CreateStore(k.toNum(count!), r.unsettledCount);
}

/**
 * c0 + c1·x + c2·x² + … by Estrin's scheme (pairs, then pairs of pairs): a shorter chain of
 * dependent operations than Horner's rule, for the same accuracy here.
 */
function poly(k: KernelBuilder, x: LlvmValue, coefficients: readonly number[]): LlvmValue {
  let terms = coefficients.map((c) => k.num(c));
  let power = x;
  while (terms.length > 1) {
    const next: LlvmValue[] = [];
    for (let i = 0; i < terms.length; i += 2) next.push(i + 1 < terms.length ? k.fadd(terms[i]!, k.fmul(power, terms[i + 1]!)) : terms[i]!);
    terms = next;
    if (terms.length > 1) power = k.fmul(power, power);
  }
  return terms[0]!;
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

/**
 * ln(v) for v in [2^-32, 1] (1 − a uniform draw): v = 2^e·m with m in [√½, √2), then
 * ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172, by its series to s^13 (relative error < 2·10^-12).
 */
function logOfUnit(k: KernelBuilder, v: LlvmValue): LlvmValue {
  const b = k.b;
  const bits = b.CreateBitCast(v, k.i64);
  const e0 = k.b.CreateSub(b.CreateAnd(b.CreateLShr(bits, k.int(52)), k.int(0x7ff)), k.int(1023));
  // The mantissa with the exponent of 1: m0 in [1, 2).
  const m0 = b.CreateBitCast(b.CreateOr(b.CreateAnd(bits, k.int(0x000fffffffffffff)), k.int(0x3ff0000000000000)), k.f64);
  const high = k.gt(m0, k.num(Math.SQRT2));
  const m = k.select(high, k.fmul(m0, k.num(0.5)), m0);
  const e = k.toNum(k.select(high, k.add(e0, k.int(1)), e0));
  const s = k.fdiv(k.fsub(m, k.num(1)), k.fadd(m, k.num(1)));
  const series = poly(k, k.fmul(s, s), Array.from({ length: 7 }, (_, i) => 2 / (2 * i + 1)));
  return k.fadd(k.fmul(e, k.num(Math.LN2)), k.fmul(s, series));
}

/**
 * cos(2π·u) for u in [0, 1): q quarter turns plus θ in [−π/4, π/4), then ±cos θ or ±sin θ by their
 * Taylor series (to θ^12 and θ^13: error < 5·10^-13).
 */
function cosOfTurns(k: KernelBuilder, u: LlvmValue): LlvmValue {
  const t = k.fadd(k.fmul(u, k.num(4)), k.num(0.5));
  const ft = k.floor(t);
  const theta = k.fmul(k.fsub(k.fsub(t, ft), k.num(0.5)), k.num(Math.PI / 2));
  const q = k.and(k.toInt(ft), k.int(3));
  const t2 = k.fmul(theta, theta);
  const cos = poly(k, t2, Array.from({ length: 7 }, (_, i) => (i % 2 ? -1 : 1) / factorial(2 * i)));
  const sin = k.fmul(theta, poly(k, t2, Array.from({ length: 7 }, (_, i) => (i % 2 ? -1 : 1) / factorial(2 * i + 1))));
  const is = (n: number) => k.b.CreateICmpEQ(q, k.int(n));
  return k.select(is(0), cos, k.select(is(1), k.fneg(sin), k.select(is(2), k.fneg(cos), sin)));
}
