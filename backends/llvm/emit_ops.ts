// LLVM IR for each step of a kernel plan. Every emitter mirrors the clear backend's loop for the
// same op (backends/clear/simulate.ts) operation for operation on f64, in the same order, so the
// results are the same bits: the same additions in the same order, floor and JS `%` (frem), no
// fused multiply-add. Branches become selects where both sides are safe to compute.
import type { LlvmValue } from "./llvm_api.js";
import type { KernelBuilder } from "./ir_builder.js";
import { CONTROL, type Operand, type RandomStep, type Step } from "./plan.js";

/** Per-stage values the emitters share: the arena, the samples of this call, slot base pointers. */
export interface StageEnv {
  readonly arena: LlvmValue;
  /** Samples in this call (i64) and the global index of its first sample (i64). */
  readonly ns: LlvmValue;
  readonly s0: LlvmValue;
  /** Base pointer (f64*) of each slot. */
  readonly slots: readonly LlvmValue[];
  /** Base pointer (f64*) of the counted-draws slot. */
  readonly draws: LlvmValue;
}

export class OpEmitter {
  constructor(
    private readonly k: KernelBuilder,
    private readonly env: StageEnv,
  ) {}

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
        // The clear backend sums over t for each output in order; looping t outside c keeps that
        // order per output while the inner loop runs along a row of B.
        const { m, n, k: kk, nb } = step;
        const aBase = this.i32At(step.aBase);
        const bBase = this.i32At(step.bBase);
        const zero = k.num(0);
        k.loop(this.env.ns, (s) => {
          const A = this.row(step.a, s);
          const B = this.row(step.b, s);
          const O = this.outRow(step.out, nb * m * n, s);
          k.loop(nb, (bi) => {
            const a0 = k.elt(A, k.loadIndex(aBase, bi));
            const b0 = k.elt(B, k.loadIndex(bBase, bi));
            k.loop(m, (r) => {
              const oRow = k.elt(O, k.mul(k.add(k.mul(bi, k.int(m)), r), k.int(n)));
              k.loop(n, (c) => k.store(oRow, c, zero));
              k.loop(kk, (t) => {
                const av = k.load(a0, k.add(k.mul(r, k.int(kk)), t));
                const bRow = k.elt(b0, k.mul(t, k.int(n)));
                k.loop(n, (c) => k.store(oRow, c, k.fadd(k.load(oRow, c), k.fmul(av, k.load(bRow, c)))));
              });
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

  // ---- noise and ties ------------------------------------------------------------------------

  /** Whether a read at position z draws (clear: noisyRound skips draws farther than 8σ from the tie). */
  private drawsAt(z: LlvmValue, sigma: LlvmValue): { fl: LlvmValue; f: LlvmValue; far: LlvmValue } {
    const k = this.k;
    const fl = k.floor(z);
    const f = k.fsub(z, fl);
    const s8 = k.fmul(k.num(8), sigma);
    const far = k.and(k.gt(k.fabs(k.fsub(f, k.num(0.5))), s8), k.lt(s8, k.num(0.5)));
    return { fl, f, far };
  }

  /** noisyRound(z, σ) consuming the next supplied draw when near the tie; returns [value, cursor]. */
  private noisyRound(z: LlvmValue, sigma: LlvmValue, cursor: LlvmValue): [LlvmValue, LlvmValue] {
    const k = this.k;
    const { fl, f, far } = this.drawsAt(z, sigma);
    const near = k.select(k.ge(f, k.num(0.5)), k.fadd(fl, k.num(1)), fl);
    const g = k.load(this.env.draws, cursor);
    const drawn = k.floor(k.fadd(k.fadd(z, k.num(0.5)), k.fmul(sigma, g)));
    return [k.select(far, near, drawn), k.select(far, cursor, k.add(cursor, k.int(1)))];
  }

  /** The count stage of a random step: how many draws its apply stage will consume (to CONTROL.drawCount). */
  emitCount(step: RandomStep): void {
    const k = this.k;
    const [count] = this.each(step.n, (s, e, [c]) => {
      const need = this.needsDraw(step, s, e);
      return [k.add(c!, k.b.CreateZExt(need, k.i64))];
    }, [k.int(0)]);
    k.b.CreateStore(k.toNum(count!), this.f64At(CONTROL.drawCount));
  }

  private needsDraw(step: RandomStep, s: LlvmValue, e: LlvmValue): LlvmValue {
    const k = this.k;
    const v = k.load(this.row(step.x, s), e);
    if (step.draws === "noise") {
      const sigma = k.load(this.f64At(step.sigma), e);
      const off = this.param(step.param);
      const z = step.kind === "lookup" ? k.fadd(v, off) : step.kind === "round" ? k.fadd(k.fdiv(v, k.num(step.d)), off) : k.fadd(k.fdiv(k.fsub(v, k.load(this.f64At(step.offsets), e)), k.load(this.f64At(step.ds), e)), off);
      return k.not(this.drawsAt(z, sigma).far);
    }
    if (step.kind === "round") {
      const d = k.num(step.d);
      return k.eq(k.fsub(v, k.fmul(k.floor(k.fdiv(v, d)), d)), k.num(step.half));
    }
    if (step.kind === "rescale") {
      const d = k.load(this.f64At(step.ds), e);
      const x = k.fsub(v, k.load(this.f64At(step.offsets), e));
      return k.and(k.gt(d, k.num(1)), k.eq(k.fsub(x, k.fmul(k.floor(k.fdiv(x, d)), d)), k.fdiv(d, k.num(2))));
    }
    throw new Error(`LLVM backend: ${step.kind} has no counted draws`);
  }

  // ---- table lookups, rounding, rescale ------------------------------------------------------

  private lookup(step: Extract<Step, { kind: "lookup" }>): void {
    const k = this.k;
    const m = k.num(step.m);
    const T = this.f64At(step.tables);
    const TO = step.tableOf !== undefined ? this.f64At(step.tableOf) : undefined;
    const sigma = step.draws === "noise" ? this.f64At(step.sigma) : undefined;
    const off = step.draws === "noise" ? this.param(step.param) : undefined;
    const SH = step.shift !== undefined ? this.env.slots[step.shift]! : undefined;
    this.each(step.n, (s, e, [cursor]) => {
      const j = k.add(k.mul(s, k.int(step.n)), e);
      let v = k.load(this.row(step.x, s), e);
      let next = cursor!;
      if (sigma && off) [v, next] = this.noisyRound(k.fadd(v, off), k.load(sigma, e), cursor!);
      const inRange = k.and(k.ge(v, k.num(0)), k.lt(v, m));
      let idx = k.select(inRange, v, k.frem(k.fadd(k.frem(v, m), m), m));
      // Outside the domain the torus is read negacyclically (the padding half negates).
      const u = step.signed ? k.fadd(v, k.num(step.m / 2)) : v;
      const odd = k.b.CreateICmpEQ(k.and(k.toInt(k.floor(k.fdiv(u, m))), k.int(1)), k.int(1));
      const negate = k.and(k.or(k.lt(u, k.num(0)), k.ge(u, m)), odd);
      if (SH) {
        const sh = k.load(SH, j);
        const up = k.frem(k.fadd(idx, k.num(1)), m);
        const down = k.frem(k.fsub(k.fadd(idx, m), k.num(1)), m);
        idx = k.select(k.gt(sh, k.num(0)), up, k.select(k.lt(sh, k.num(0)), down, idx));
      }
      const pos = TO ? k.fadd(k.fmul(k.load(TO, e), m), idx) : idx;
      // Memory safety only: for finite values the index is always inside the tables.
      const pi = k.toInt(pos);
      const safe = k.select(k.b.CreateICmpULT(pi, k.int(step.tablesLen)), pi, k.int(0));
      const t = k.load(T, safe);
      k.store(this.outRow(step.out, step.n, s), e, k.select(negate, k.fneg(t), t));
      return [next];
    }, [k.int(0)]);
  }

  private round(step: Extract<Step, { kind: "round" }>): void {
    const k = this.k;
    const d = k.num(step.d);
    const half = k.num(step.half);
    this.each(step.n, (s, e, [cursor]) => {
      const v = k.load(this.row(step.x, s), e);
      let r: LlvmValue;
      let next = cursor!;
      if (step.draws === "noise") {
        [r, next] = this.noisyRound(k.fadd(k.fdiv(v, d), this.param(step.param)), k.load(this.f64At(step.sigma), e), cursor!);
      } else {
        r = k.floor(k.fdiv(k.fadd(v, half), d));
        if (step.draws === "ties") {
          const fl = k.floor(k.fdiv(v, d));
          const tie = k.eq(k.fsub(v, k.fmul(fl, d)), half);
          const bit = k.load(this.env.draws, cursor!);
          r = k.select(tie, k.select(k.b.CreateFCmpUNE(bit, k.num(0)), k.fadd(fl, k.num(1)), fl), r);
          next = k.select(tie, k.add(cursor!, k.int(1)), cursor!);
        }
      }
      k.store(this.outRow(step.out, step.n, s), e, r);
      return [next];
    }, [k.int(0)]);
  }

  private rescale(step: Extract<Step, { kind: "rescale" }>): void {
    const k = this.k;
    const m = k.num(step.m);
    const m2 = k.num(2 * step.m);
    const offsets = this.f64At(step.offsets);
    const ds = this.f64At(step.ds);
    const outsideP = this.f64At(step.outside);
    const [, outside] = this.each(step.n, (s, e, [cursor, out]) => {
      const d = k.load(ds, e);
      const v = k.fsub(k.load(this.row(step.x, s), e), k.load(offsets, e));
      const fl = k.floor(k.fdiv(v, d));
      let r: LlvmValue;
      let next = cursor!;
      if (step.draws === "noise") {
        [r, next] = this.noisyRound(k.fadd(k.fdiv(v, d), this.param(step.param)), k.load(this.f64At(step.sigma), e), cursor!);
      } else {
        const half = k.fdiv(d, k.num(2));
        r = k.floor(k.fdiv(k.fadd(v, half), d));
        if (step.draws === "ties") {
          const tie = k.and(k.gt(d, k.num(1)), k.eq(k.fsub(v, k.fmul(fl, d)), half));
          const bit = k.load(this.env.draws, cursor!);
          r = k.select(tie, k.fadd(fl, k.select(k.b.CreateFCmpUNE(bit, k.num(0)), k.num(1), k.num(0))), r);
          next = k.select(tie, k.add(cursor!, k.int(1)), cursor!);
        }
      }
      const wrap = k.or(k.lt(r, k.num(0)), k.ge(r, m));
      const wrapped = k.frem(k.fadd(k.frem(r, m2), m2), m2);
      k.store(this.outRow(step.out, step.n, s), e, k.select(wrap, wrapped, r));
      return [next, k.fadd(out!, k.select(wrap, k.num(1), k.num(0)))];
    }, [k.int(0), k.load(outsideP, k.int(0))]);
    k.store(outsideP, k.int(0), outside!);
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
