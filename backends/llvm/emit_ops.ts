// LLVM IR for each step of a kernel plan. Every emitter mirrors the clear backend's loop for the
// same op (backends/clear/simulate.ts) operation for operation on f64, in the same order, so the
// results are the same bits: the same additions in the same order, floor and JS `%`, no fused
// multiply-add. Branches become selects where both sides are safe to compute. Random draws come
// from the same streams, drawn in the same order (emit_rng.ts, emit_draws.ts).
import type { LlvmValue } from "./llvm_api.js";
import type { KernelBuilder } from "./ir_builder.js";
import { emitNoisyReads } from "./emit_draws.js";
import { emitExactRoundBits } from "./emit_exact_round.js";
import { RngEmitter, type RngState } from "./emit_rng.js";
import { CONTROL, type KernelPlan, type Operand, type RandomStep, type Step } from "./plan.js";

/** Per-stage values the emitters share: the arena, the samples of this call, slot base pointers. */
export interface StageEnv {
  readonly arena: LlvmValue;
  /** Samples in this call (i64) and the global index of its first sample (i64). */
  readonly ns: LlvmValue;
  readonly s0: LlvmValue;
  /** Base pointer (f64*) of each slot. */
  readonly slots: readonly LlvmValue[];
  /** Base pointers (f64*) of the slot of noisy reads and of the unsettled records (plan.ts). */
  readonly draws: LlvmValue;
  readonly unsettled: LlvmValue;
  /** Byte offsets of the streams' generator states. */
  readonly rngStates: KernelPlan["rngStates"];
}

/** Outputs of a matmul row summed together (32 f64 registers: four AVX-512 vectors). */
const MATMUL_BLOCK = 32;

export class OpEmitter {
  private readonly rng: RngEmitter;

  constructor(
    private readonly k: KernelBuilder,
    private readonly env: StageEnv,
  ) {
    this.rng = new RngEmitter(k);
  }

  private f64At(off: number): LlvmValue {
    return this.k.at(this.env.arena, off, "f64");
  }

  private i32At(off: number): LlvmValue {
    return this.k.at(this.env.arena, off, "i32");
  }

  /** Pointer to sample `s`'s row of an operand (constants: the same row for every sample). */
  private row(o: Operand, s: LlvmValue): LlvmValue {
    if ("constOff" in o) return this.f64At(o.constOff);
    return this.k.elt(this.env.slots[o.slot]!, this.k.mul(s, this.k.int(o.size)));
  }

  private outRow(slot: number, n: number, s: LlvmValue): LlvmValue {
    return this.k.elt(this.env.slots[slot]!, this.k.mul(s, this.k.int(n)));
  }

  private param(off: number): LlvmValue {
    return this.k.load(this.f64At(off), this.k.int(0));
  }

  /** Loops over samples, then elements of one sample: body(s, e). */
  private each(n: number, body: (s: LlvmValue, e: LlvmValue, vals: LlvmValue[]) => LlvmValue[] | void, init: LlvmValue[] = []): LlvmValue[] {
    return this.k.loop(this.env.ns, (s, outer) => this.k.loop(n, (e, inner) => body(s, e, inner), outer), init);
  }

  emit(step: Step): void {
    const k = this.k;
    switch (step.kind) {
      case "binary": {
        const ia = step.ia !== undefined ? this.i32At(step.ia) : undefined;
        const ib = step.ib !== undefined ? this.i32At(step.ib) : undefined;
        k.loop(this.env.ns, (s) => {
          const A = this.row(step.a, s);
          const B = this.row(step.b, s);
          const O = this.outRow(step.out, step.n, s);
          k.loop(step.n, (i) => {
            const x = k.load(A, ia ? k.loadIndex(ia, i) : i);
            const y = k.load(B, ib ? k.loadIndex(ib, i) : i);
            k.store(O, i, step.bin === "add" ? k.fadd(x, y) : step.bin === "sub" ? k.fsub(x, y) : k.fmul(x, y));
          });
        });
        return;
      }
      case "neg":
      case "toSigned":
      case "toUnsigned": {
        const m = k.num(step.m);
        const half = k.num(step.m / 2);
        const X = this.row(step.x, k.int(0));
        const O = this.outRow(step.out, step.n, k.int(0));
        k.loop(k.mul(this.env.ns, k.int(step.n)), (j) => {
          const v = k.load(X, j);
          const r = step.kind === "neg" ? k.fneg(v) : step.kind === "toSigned" ? k.select(k.ge(v, half), k.fsub(v, m), v) : k.select(k.lt(v, k.num(0)), k.fadd(v, m), v);
          k.store(O, j, r);
        });
        return;
      }
      case "matmul": {
        // The clear backend sums over t for each output in order. Here a block of up to
        // MATMUL_BLOCK outputs of a row is summed at once, each in its own register (loop-carried
        // values, never memory, so the code generator can vectorize across the block); the
        // additions per output stay the clear backend's, in its order.
        const { m, n, k: kk, nb } = step;
        const aBase = this.i32At(step.aBase);
        const bBase = this.i32At(step.bBase);
        const width = Math.min(n, MATMUL_BLOCK);
        const full = Math.floor(n / width);
        k.loop(this.env.ns, (s) => {
          const A = this.row(step.a, s);
          const B = this.row(step.b, s);
          const O = this.outRow(step.out, nb * m * n, s);
          k.loop(nb, (bi) => {
            const a0 = k.elt(A, k.loadIndex(aBase, bi));
            const b0 = k.elt(B, k.loadIndex(bBase, bi));
            k.loop(m, (r) => {
              const oRow = k.elt(O, k.mul(k.add(k.mul(bi, k.int(m)), r), k.int(n)));
              const aRow = k.elt(a0, k.mul(r, k.int(kk)));
              const block = (c0: LlvmValue, w: number): void => {
                const sums = k.loop(kk, (t, acc) => {
                  const av = k.load(aRow, t);
                  const bRow = k.elt(b0, k.add(k.mul(t, k.int(n)), c0));
                  return acc.map((x, c) => k.fadd(x, k.fmul(av, k.load(bRow, k.int(c)))));
                }, Array.from({ length: w }, () => k.num(0)));
                const out = k.elt(oRow, c0);
                sums.forEach((v, c) => k.store(out, k.int(c), v));
              };
              k.loop(full, (cb) => block(k.mul(cb, k.int(width)), width));
              if (n % width) block(k.int(full * width), n % width);
            });
          });
        });
        return;
      }
      case "conv": {
        const rowPtr = this.i32At(step.rowPtr);
        const inIdx = this.i32At(step.inIdx);
        const wIdx = this.i32At(step.wIdx);
        const biasIdx = this.i32At(step.biasIdx);
        k.loop(this.env.ns, (s) => {
          const X = this.row(step.x, s);
          const W = this.row(step.w, s);
          const Bias = step.bias ? this.row(step.bias, s) : undefined;
          const O = this.outRow(step.out, step.n, s);
          k.loop(step.n, (r) => {
            const init = Bias ? k.load(Bias, k.loadIndex(biasIdx, r)) : k.num(0);
            const lo = k.loadIndex(rowPtr, r);
            const hi = k.loadIndex(rowPtr, k.add(r, k.int(1)));
            const [acc] = k.loop(hi, (j, [a]) => [k.fadd(a!, k.fmul(k.load(X, k.loadIndex(inIdx, j)), k.load(W, k.loadIndex(wIdx, j))))], [init], lo);
            k.store(O, r, acc!);
          });
        });
        return;
      }
      case "sum": {
        const map = this.i32At(step.map);
        k.loop(this.env.ns, (s) => {
          const X = this.row(step.x, s);
          const O = this.outRow(step.out, step.outSize, s);
          k.loop(step.outSize, (i) => k.store(O, i, k.num(0)));
          k.loop(step.inSize, (i) => {
            const d = k.loadIndex(map, i);
            k.store(O, d, k.fadd(k.load(O, d), k.load(X, i)));
          });
        });
        return;
      }
      case "move": {
        const plan = this.i32At(step.plan);
        const fill = k.num(step.fill);
        k.loop(this.env.ns, (s) => {
          const X = this.row(step.x, s);
          const O = this.outRow(step.out, step.n, s);
          k.loop(step.n, (i) => {
            const src = k.loadIndex(plan, i);
            const missing = k.b.CreateICmpSLT(src, k.int(0));
            const v = k.load(X, k.select(missing, k.int(0), src));
            k.store(O, i, k.select(missing, fill, v));
          });
        });
        return;
      }
      case "concat": {
        for (const p of step.parts) {
          const outIdx = this.i32At(p.outIdx);
          const srcIdx = this.i32At(p.srcIdx);
          k.loop(this.env.ns, (s) => {
            const X = this.row(p.x, s);
            const O = this.outRow(step.out, step.n, s);
            k.loop(p.count, (i) => k.store(O, k.loadIndex(outIdx, i), k.load(X, k.loadIndex(srcIdx, i))));
          });
        }
        return;
      }
      case "lookup":
        return this.lookup(step);
      case "round":
        return this.round(step);
      case "rescale":
        return this.rescale(step);
      case "check":
        return this.check(step);
    }
  }

  // ---- draws -----------------------------------------------------------------------------------

  /**
   * Where a noisy read of `step` lands before its noise, in steps of the read (clear: the z of
   * noisyRound): table reads at v + offset, roundings at v/d + offset, rescales at (v − o)/d + offset.
   */
  private readPosition(step: RandomStep, s: LlvmValue, e: LlvmValue): LlvmValue {
    const k = this.k;
    const v = k.load(this.row(step.x, s), e);
    const off = this.param(step.param);
    if (step.kind === "lookup") return k.fadd(v, off);
    if (step.kind === "round") return k.fadd(k.fdiv(v, k.num(step.d)), off);
    return k.fadd(k.fdiv(k.fsub(v, k.load(this.f64At(step.offsets), e)), k.load(this.f64At(step.ds), e)), off);
  }

  /** The stage end of a step with read noise: its noisy reads, drawn into the draw slot (emit_draws.ts). */
  emitNoisyReads(step: RandomStep): void {
    emitNoisyReads(this.k, {
      n: step.n,
      samples: this.env.ns,
      position: (s, e) => this.readPosition(step, s, e),
      sigma: (e) => this.k.load(this.f64At(step.sigma), e),
      rng: this.i32At(this.env.rngStates.noise),
      values: this.env.draws,
      unsettled: this.env.unsettled,
      unsettledCount: this.f64At(CONTROL.unsettled),
      tolerance: this.param(CONTROL.drawTolerance),
    });
  }

  /** The value of a noisy read drawn by the previous stage, or undefined when `step` has no read noise. */
  private noisyRead(step: RandomStep, s: LlvmValue, e: LlvmValue): LlvmValue | undefined {
    if (step.draws !== "noise") return undefined;
    return this.k.load(this.env.draws, this.k.add(this.k.mul(s, this.k.int(step.n)), e));
  }

  /** Loads the state of a stream for a loop over `step`'s elements (stored back by `storeRng`). */
  private loadRng(step: RandomStep): RngState {
    const off = step.draws === "errors" ? this.env.rngStates.errors : step.draws === "ties" ? this.env.rngStates.ties : undefined;
    return off === undefined ? [] : this.rng.load(this.i32At(off));
  }

  private storeRng(step: RandomStep, state: readonly LlvmValue[]): void {
    const off = step.draws === "errors" ? this.env.rngStates.errors : step.draws === "ties" ? this.env.rngStates.ties : undefined;
    if (off !== undefined) this.rng.store(this.i32At(off), state);
  }

  /** A rounding tie's direction (clear: tieRng.bit() at exact ties only): [round up, state after]. */
  private tieBit(tie: LlvmValue, state: RngState): [LlvmValue, RngState] {
    const [bit, after] = this.rng.bit(state);
    return [bit, this.rng.pick(tie, after, state)];
  }

  // ---- table lookups, rounding, rescale ------------------------------------------------------

  private lookup(step: Extract<Step, { kind: "lookup" }>): void {
    const k = this.k;
    const m = k.num(step.m);
    const T = this.f64At(step.tables);
    const TO = step.tableOf !== undefined ? this.f64At(step.tableOf) : undefined;
    const errors = step.draws === "errors";
    const pError = this.param(CONTROL.pError);
    const init = this.loadRng(step);
    const res = this.each(step.n, (s, e, vals) => {
      const state = vals.slice(0, init.length);
      const v = this.noisyRead(step, s, e) ?? k.load(this.row(step.x, s), e);
      // Values are integers (or not finite): the clear backend's ((v % m) + m) % m is k.mod.
      let idx = k.select(k.and(k.ge(v, k.num(0)), k.lt(v, m)), v, k.mod(v, step.m));
      // Outside the domain the torus is read negacyclically (the padding half negates).
      const u = step.signed ? k.fadd(v, k.num(step.m / 2)) : v;
      const odd = k.b.CreateICmpEQ(k.and(k.toInt(k.floor(k.fdiv(u, m))), k.int(1)), k.int(1));
      const negate = k.and(k.or(k.lt(u, k.num(0)), k.ge(u, m)), odd);
      let next: LlvmValue[] = [];
      if (errors) {
        // p_error: next() < p_error redirects the read, then bit() picks the neighbour (clear: lookup).
        const [x, s1] = this.rng.uniform(state);
        const [up, s2] = this.rng.bit(s1);
        const hit = k.lt(x, pError);
        idx = k.select(hit, k.select(up, k.mod(k.fadd(idx, k.num(1)), step.m), k.mod(k.fsub(k.fadd(idx, m), k.num(1)), step.m)), idx);
        next = [...this.rng.pick(hit, s2, s1), k.fadd(vals[init.length]!, k.select(hit, k.num(1), k.num(0)))];
      }
      const pos = TO ? k.fadd(k.fmul(k.load(TO, e), m), idx) : idx;
      // Memory safety only: for finite values the index is always inside the tables.
      const pi = k.toInt(pos);
      const safe = k.select(k.b.CreateICmpULT(pi, k.int(step.tablesLen)), pi, k.int(0));
      const t = k.load(T, safe);
      k.store(this.outRow(step.out, step.n, s), e, k.select(negate, k.fneg(t), t));
      return next;
    }, errors ? [...init, k.load(this.f64At(CONTROL.tluErrors), k.int(0))] : []);
    if (errors) {
      this.storeRng(step, res.slice(0, init.length));
      k.store(this.f64At(CONTROL.tluErrors), k.int(0), res[init.length]!);
    }
  }

  private round(step: Extract<Step, { kind: "round" }>): void {
    const k = this.k;
    if (step.bits) {
      emitExactRoundBits(k, {
        k: step.bits.k, n: step.n, samples: this.env.ns,
        input: (s) => this.row(step.x, s), output: (s) => this.outRow(step.out, step.n, s),
        rows: this.i32At(step.bits.rows), odd: this.f64At(step.bits.odd), firstWrong: this.f64At(step.bits.firstWrong), rng: this.i32At(this.env.rngStates.bits),
      });
      return;
    }
    const d = k.num(step.d);
    const half = k.num(step.half);
    const init = this.loadRng(step);
    const res = this.each(step.n, (s, e, state) => {
      const v = k.load(this.row(step.x, s), e);
      let r = this.noisyRead(step, s, e) ?? k.floor(k.fdiv(k.fadd(v, half), d));
      let next: RngState = state;
      if (step.draws === "ties") {
        const fl = k.floor(k.fdiv(v, d));
        const tie = k.eq(k.fsub(v, k.fmul(fl, d)), half);
        const [up, after] = this.tieBit(tie, state);
        r = k.select(tie, k.select(up, k.fadd(fl, k.num(1)), fl), r);
        next = after;
      }
      k.store(this.outRow(step.out, step.n, s), e, r);
      return [...next];
    }, [...init]);
    this.storeRng(step, res);
  }

  private rescale(step: Extract<Step, { kind: "rescale" }>): void {
    const k = this.k;
    const m = k.num(step.m);
    const offsets = this.f64At(step.offsets);
    const ds = this.f64At(step.ds);
    const outsideP = this.f64At(step.outside);
    const init = this.loadRng(step);
    const res = this.each(step.n, (s, e, vals) => {
      const state = vals.slice(0, init.length);
      const d = k.load(ds, e);
      const v = k.fsub(k.load(this.row(step.x, s), e), k.load(offsets, e));
      const half = k.fdiv(d, k.num(2));
      let r = this.noisyRead(step, s, e) ?? k.floor(k.fdiv(k.fadd(v, half), d));
      let next: RngState = state;
      if (step.draws === "ties") {
        const fl = k.floor(k.fdiv(v, d));
        const tie = k.and(k.gt(d, k.num(1)), k.eq(k.fsub(v, k.fmul(fl, d)), half));
        const [up, after] = this.tieBit(tie, state);
        r = k.select(tie, k.fadd(fl, k.select(up, k.num(1), k.num(0))), r);
        next = after;
      }
      // r is an integer (or not finite): the clear backend's ((r % 2m) + 2m) % 2m is k.mod.
      const wrap = k.or(k.lt(r, k.num(0)), k.ge(r, m));
      k.store(this.outRow(step.out, step.n, s), e, k.select(wrap, k.mod(r, 2 * step.m), r));
      return [...next, k.fadd(vals[init.length]!, k.select(wrap, k.num(1), k.num(0)))];
    }, [...init, k.load(outsideP, k.int(0))]);
    this.storeRng(step, res.slice(0, init.length));
    k.store(outsideP, k.int(0), res[init.length]!);
  }

  // ---- overflow statistics -------------------------------------------------------------------

  /** max |v|, and the count and first (global flat index, value) of values outside [min, max]. */
  private check(step: Extract<Step, { kind: "check" }>): void {
    const k = this.k;
    const S = this.f64At(step.stat);
    const X = this.env.slots[step.slot]!;
    const min = k.num(step.min);
    const max = k.num(step.max);
    const base = k.mul(this.env.s0, k.int(step.n));
    const init = [0, 1, 2, 3].map((i) => k.load(S, k.int(i)));
    const total = k.mul(this.env.ns, k.int(step.n));
    const res = k.loop(total, (j, [maxAbs, count, first, firstVal]) => {
      const v = k.load(X, j);
      const a = k.select(k.lt(v, k.num(0)), k.fneg(v), v);
      const over = k.or(k.lt(v, min), k.gt(v, max));
      const isFirst = k.and(over, k.eq(count!, k.num(0)));
      return [
        k.select(k.gt(a, maxAbs!), a, maxAbs!),
        k.fadd(count!, k.select(over, k.num(1), k.num(0))),
        k.select(isFirst, k.toNum(k.add(base, j)), first!),
        k.select(isFirst, v, firstVal!),
      ];
    }, init);
    res.forEach((v, i) => k.store(S, k.int(i), v));
  }
}
