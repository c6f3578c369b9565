// Noisy reads in native code. The clear backend reads round(z + noise) with noise σ·g, g a
// Box–Muller draw from the run's noise stream (backends/simulation/draws.ts), skipping reads
// farther than 8σ from their tie. The kernel draws the same two uniforms from the same stream
// (emit_rng.ts), but its log and cos come from the C library, which may differ from JavaScript's
// Math in the last bits: so g is a close approximation only. It settles every read whose result
// floor(z + 1/2 + σ·g) no such difference can change (a sum farther than `tolerance`·(1 + |sum| +
// σ) from an integer; the functions differ by a few ulps, about 2^-50 of the sum), and records the
// others, flat index, uniforms, z + 1/2 and σ, for fhec to redo with JavaScript's own functions
// (run.ts) before the next stage reads them. With tolerance 2^-30, a read is left unsettled with
// probability about 10^-9.
import type { KernelBuilder } from "./ir_builder.js";
import type { LlvmValue } from "./llvm_api.js";
import { RngEmitter } from "./emit_rng.js";
import { UNSETTLED_RECORD } from "./plan.js";

export interface NoisyReads {
  /** Elements per sample, and the samples of this call (i64). */
  readonly n: number;
  readonly samples: LlvmValue;
  /** The read position z of element e of sample s, and the noise σ of element e (steps). */
  readonly position: (s: LlvmValue, e: LlvmValue) => LlvmValue;
  readonly sigma: (e: LlvmValue) => LlvmValue;
  /** The noise stream's state (i32*). */
  readonly rng: LlvmValue;
  /** Where the values go (f64*, flat index s·n + e), where unsettled reads are recorded, and their count (f64*). */
  readonly values: LlvmValue;
  readonly unsettled: LlvmValue;
  readonly unsettledCount: LlvmValue;
  readonly tolerance: LlvmValue;
}

export function emitNoisyReads(k: KernelBuilder, r: NoisyReads): void {
  const rng = new RngEmitter(k);
  const init = [...rng.load(r.rng), k.int(0)];
  const res = k.loop(r.samples, (s, outer) =>
    k.loop(r.n, (e, vals) => {
      const state = vals.slice(0, 4);
      const count = vals[4]!;
      const j = k.add(k.mul(s, k.int(r.n)), e);
      const z = r.position(s, e);
      const sigma = r.sigma(e);
      // clear: noisyRound
      const fl = k.floor(z);
      const f = k.fsub(z, fl);
      const s8 = k.fmul(k.num(8), sigma);
      const far = k.and(k.gt(k.fabs(k.fsub(f, k.num(0.5))), s8), k.lt(s8, k.num(0.5)));
      const [value, ...after] = k.branch(
        far,
        () => [k.select(k.ge(f, k.num(0.5)), k.fadd(fl, k.num(1)), fl), ...state, count],
        () => {
          const [u1, s1] = rng.uniform(state);
          const [u2, s2] = rng.uniform(s1);
          const g = k.fmul(k.sqrt(k.fmul(k.num(-2), k.log(k.fsub(k.num(1), u1)))), k.cos(k.fmul(k.num(2 * Math.PI), u2)));
          const a = k.fadd(z, k.num(0.5));
          const sum = k.fadd(a, k.fmul(sigma, g));
          const nearest = k.floor(k.fadd(sum, k.num(0.5)));
          const margin = k.fmul(r.tolerance, k.fadd(k.fadd(k.num(1), k.fabs(sum)), k.fabs(sigma)));
          const unsettled = k.b.CreateFCmpOLE(k.fabs(k.fsub(sum, nearest)), margin);
          const [counted] = k.branch(
            unsettled,
            () => {
              const rec = k.elt(r.unsettled, k.mul(count, k.int(UNSETTLED_RECORD)));
              [k.toNum(j), u1, u2, a, sigma].forEach((v, i) => k.store(rec, k.int(i), v));
              return [k.add(count, k.int(1))];
            },
            () => [count],
          );
          return [k.floor(sum), ...s2, counted!];
        },
      );
      k.store(r.values, j, value!);
      return after;
    }, outer),
    init,
  );
  rng.store(r.rng, res.slice(0, 4));
  k.b.CreateStore(k.toNum(res[4]!), r.unsettledCount);
}
