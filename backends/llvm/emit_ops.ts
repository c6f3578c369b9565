// LLVM IR for each step of a kernel plan. Every emitter computes what the clear backend's loop
// for the same op computes (backends/clear/simulate.ts), bit for bit: the same f64 operations in
// the same order, floor and JS `%`, no fused multiply-add, except where integer bounds make every
// order exact (matmulFast). Slots are element-major (plan.ts): each element runs over the samples
// in the innermost loop, which the optimizer vectorizes. Random draws are the clear backend's: each
// read's own, keyed by op, element and sample (emit_rng.ts, emit_draws.ts), so they need no order.
import type { LlvmFunction, LlvmValue } from "./llvm_api.js";
import { type MatmulForm, SAMPLE_BLOCK } from "./matmul_kernel.js";
import type { PermuteEntries } from "./lookup_kernel.js";
import type { KernelBuilder } from "./ir_builder.js";
import { emitNoisyReads } from "./emit_draws.js";
import { emitExactRoundBits } from "./emit_exact_round.js";
import { RngEmitter, type RngState } from "./emit_rng.js";
import { CONTROL, type FastMatmul, type KernelPlan, type Operand, type RandomStep, RESCALE_INT_LIMIT, type RescaleShifts, type Step } from "./plan.js";

/** Per-stage values the emitters share: the arena, the samples of this call, slot base pointers. */
export interface StageEnv {
  readonly arena: LlvmValue;
  /**
   * Samples the loops run (i64), the real ones among them (the rest repeat the last real sample,
   * when the plan runs in blocks: plan.ts CHUNK), and the global index of the first (i64).
   */
  readonly ns: LlvmValue;
  readonly live: LlvmValue;
  readonly s0: LlvmValue;
  /** Samples per slot element (i64: a constant when the plan has a fixed chunk). */
  readonly cap: LlvmValue;
  /** The block's samples when the plan runs in blocks (plan.ts CHUNK: env.ns and env.cap are this constant), else undefined. */
  readonly blocked: number | undefined;
  /** Base pointer (f64*) of each slot. */
  readonly slots: readonly LlvmValue[];
  /** Base pointers (f64*) of the slot of noisy reads (element-major) and of the unsettled records (plan.ts). */
  readonly draws: LlvmValue;
  readonly unsettled: LlvmValue;
  /** The module constant holding the plan's constant item at a byte offset (f64* or i32*), if it is one. */
  readonly constant: (off: number) => LlvmValue | undefined;
  /** The vector kernel of the fast matmuls (matmul_kernel.ts), declared on first use. */
  readonly matmulKernel: (form: MatmulForm) => LlvmFunction;
  /** The permute kernel of tables of m entries (lookup_kernel.ts; its variant for a rescale's results), declared on first use. */
  readonly lookupKernel: (m: PermuteEntries, wrapped: boolean) => LlvmFunction;
  /** The inputs' and the results' transposing copies (transpose_kernels.ts), declared on first use; the copy into i16 pairs (FastMatmul.fromInput). */
  readonly inputKernel: () => LlvmFunction;
  readonly inputPairsKernel: () => LlvmFunction;
  readonly inputQuadsKernel: () => LlvmFunction;
  readonly outputKernel: () => LlvmFunction;
}

export class OpEmitter {
  private readonly rng: RngEmitter;
  /** Per input slot packed by the input copy (FastMatmul.fromInput): emits its f64 copy, for the fallback. */
  private readonly inputCopies = new Map<number, () => void>();
  /** Per slot a block's range scan was made for on the way (an i16 matmul's widening): [max |v| bits, OR of the bits], for its check. */
  private readonly rangeScans = new Map<number, LlvmValue[]>();

  constructor(
    private readonly k: KernelBuilder,
    private readonly env: StageEnv,
  ) {
    this.rng = new RngEmitter(k);
  }

  private f64At(off: number): LlvmValue {
    return this.env.constant(off) ?? this.k.at(this.env.arena, off, "f64");
  }

  private i32At(off: number): LlvmValue {
    return this.env.constant(off) ?? this.k.at(this.env.arena, off, "i32");
  }

  /** Pointer to element `e` (i64) of a slot: its `cap` samples follow. */
  private slotRow(slot: number, e: LlvmValue): LlvmValue {
    return this.slotRowOf(this.env.slots[slot]!, e);
  }

  private slotRowOf(base: LlvmValue, e: LlvmValue): LlvmValue {
    return this.k.elt(base, this.k.mul(e, this.env.cap));
  }

  /** Element `e` of an operand, as a function of the sample (a constant is the same for every sample). */
  private operandRow(o: Operand, e: LlvmValue): (s: LlvmValue) => LlvmValue {
    if ("constOff" in o) {
      const v = this.k.load(this.f64At(o.constOff), e);
      return () => v;
    }
    const p = this.slotRow(o.slot, e);
    return (s) => this.k.load(p, s);
  }

  private value(o: Operand, s: LlvmValue, e: LlvmValue): LlvmValue {
    return this.operandRow(o, e)(s);
  }

  private storeAt(slot: number, s: LlvmValue, e: LlvmValue, v: LlvmValue): void {
    this.k.store(this.slotRow(slot, e), s, v);
  }

  private param(off: number): LlvmValue {
    return this.k.load(this.f64At(off), this.k.int(0));
  }

  /** Whether lane `s` holds a real sample (counts leave out the lanes that repeat the last one; maxima need not). */
  private get blocked(): number | undefined {
    return this.env.blocked;
  }

  private isLive(s: LlvmValue): LlvmValue {
    return this.k.b.CreateICmpSLT(s, this.env.live);
  }

  /** for e < n: for s < ns (samples innermost, vectorized): body(e) gives the per-sample body. */
  private elements(n: LlvmValue | number, body: (e: LlvmValue) => (s: LlvmValue) => void): void {
    this.k.loop(n, (e) => {
      const perSample = body(e);
      this.k.loop(this.env.ns, (s) => perSample(s));
    });
  }

  /** Every (sample, element), elements outer and samples inner, with values (reductions) carried through. */
  private each(n: number, body: (s: LlvmValue, e: LlvmValue, vals: LlvmValue[]) => LlvmValue[] | void, init: LlvmValue[] = []): LlvmValue[] {
    const k = this.k;
    return k.loop(n, (e, outer) => k.loop(this.env.ns, (s, inner) => body(s, e, inner), outer), init);
  }

  /**
   * Copies the inputs (sample-major, from fhec's arrays) into their slots and counts values outside
   * their integer range, by the transposing kernel (transpose_kernels.ts); lanes past the real samples
   * repeat the last one.
   */
  emitInputs(plan: KernelPlan, buffers: readonly LlvmValue[]): void {
    const k = this.k;
    let bad = k.load(this.f64At(CONTROL.badInputs), k.int(0));
    // Whole groups of 8 lanes: slot capacities are whole sample blocks, so they fit.
    const lanes = k.b.CreateAnd(k.add(this.env.ns, k.int(7)), k.int(-8));
    const packed = plan.stages[0]!.steps.flatMap((s) => (s.kind === "matmul" && s.fast?.fromInput ? [s.fast] : []));
    plan.args.forEach((slot, i) => {
      const n = plan.slotSizes[slot]!;
      const range = plan.argRanges[i];
      const src = k.elt(buffers[i]!, k.mul(this.env.s0, k.int(n)));
      const bounds = [k.num(range?.min ?? -Infinity), k.num(range?.max ?? Infinity)];
      const copy = () => k.b.CreateCall(this.env.inputKernel(), [this.slotRow(slot, k.int(0)), src, k.int(n), this.env.cap, lanes, this.env.live, ...bounds]);
      const pairs = packed.find((f) => f.fromInput!.arg === i);
      if (pairs) this.inputCopies.set(slot, () => void copy());
      const quads = pairs?.fromInput!.quads;
      const count = !pairs ? copy()
        : quads
        ? k.b.CreateCall(this.env.inputQuadsKernel(), [this.wordRow(pairs.narrowIn, k.int(0)), src, k.int(n), this.env.cap, lanes, this.env.live, ...bounds, this.f64At(pairs.fromInput!.widest), this.wordRow(quads.narrow, k.int(0)), this.f64At(quads.widest)])
        : k.b.CreateCall(this.env.inputPairsKernel(), [this.wordRow(pairs.narrowIn, k.int(0)), src, k.int(n), this.env.cap, lanes, this.env.live, ...bounds, this.f64At(pairs.fromInput!.widest)]);
      // An input without an integer type has no range to check.
      if (range) bad = k.fadd(bad, k.toNum(count));
    });
    k.store(this.f64At(CONTROL.badInputs), k.int(0), bad);
  }

  /** Copies the batched results of the real samples out of their slots into fhec's arrays (sample-major), by the transposing kernel. */
  emitOutputs(plan: KernelPlan, buffers: readonly LlvmValue[]): void {
    const k = this.k;
    plan.results.forEach((r, i) => {
      if (!("slot" in r)) return;
      const dst = k.elt(buffers[i]!, k.mul(this.env.s0, k.int(r.size)));
      k.b.CreateCall(this.env.outputKernel(), [dst, this.slotRow(r.slot, k.int(0)), k.int(r.size), this.env.cap, this.env.live]);
    });
  }

  emit(step: Step): void {
    const k = this.k;
    switch (step.kind) {
      case "binary": {
        const ia = step.ia !== undefined ? this.i32At(step.ia) : undefined;
        const ib = step.ib !== undefined ? this.i32At(step.ib) : undefined;
        this.elements(step.n, (e) => {
          const A = this.operandRow(step.a, ia ? k.loadIndex(ia, e) : e);
          const B = this.operandRow(step.b, ib ? k.loadIndex(ib, e) : e);
          const O = this.slotRow(step.out, e);
          return (s) => {
            const [x, y] = [A(s), B(s)];
            k.store(O, s, step.bin === "add" ? k.fadd(x, y) : step.bin === "sub" ? k.fsub(x, y) : k.fmul(x, y));
          };
        });
        return;
      }
      case "neg":
      case "toSigned":
      case "toUnsigned": {
        const m = k.num(step.m);
        const half = k.num(step.m / 2);
        this.elements(step.n, (e) => {
          const X = this.operandRow(step.x, e);
          const O = this.slotRow(step.out, e);
          return (s) => {
            const v = X(s);
            k.store(O, s, step.kind === "neg" ? k.fneg(v) : step.kind === "toSigned" ? k.select(k.ge(v, half), k.fsub(v, m), v) : k.select(k.lt(v, k.num(0)), k.fadd(v, m), v));
          };
        });
        return;
      }
      case "matmul":
        return this.matmul(step);
      case "conv": {
        // Per output: bias (or 0), then + x·w term by term in the clear backend's order, over all samples at once.
        const rowPtr = this.i32At(step.rowPtr);
        const inIdx = this.i32At(step.inIdx);
        const wIdx = this.i32At(step.wIdx);
        const biasIdx = this.i32At(step.biasIdx);
        k.loop(step.n, (r) => {
          const O = this.slotRow(step.out, r);
          const bias = step.bias ? this.operandRow(step.bias, k.loadIndex(biasIdx, r)) : () => k.num(0);
          k.loop(this.env.ns, (s) => k.store(O, s, bias(s)));
          k.loop(k.loadIndex(rowPtr, k.add(r, k.int(1))), (j) => {
            const X = this.operandRow(step.x, k.loadIndex(inIdx, j));
            const W = this.operandRow(step.w, k.loadIndex(wIdx, j));
            k.loop(this.env.ns, (s) => k.store(O, s, k.fadd(k.load(O, s), k.fmul(X(s), W(s)))));
          }, [], k.loadIndex(rowPtr, r));
        });
        return;
      }
      case "sum": {
        const map = this.i32At(step.map);
        this.elements(step.outSize, (e) => {
          const O = this.slotRow(step.out, e);
          return (s) => k.store(O, s, k.num(0));
        });
        this.elements(step.inSize, (i) => {
          const X = this.operandRow(step.x, i);
          const O = this.slotRow(step.out, k.loadIndex(map, i));
          return (s) => k.store(O, s, k.fadd(k.load(O, s), X(s)));
        });
        return;
      }
      case "move": {
        const plan = this.i32At(step.plan);
        k.loop(step.n, (i) => {
          const src = k.loadIndex(plan, i);
          const O = this.slotRow(step.out, i);
          k.branch(
            k.b.CreateICmpSLT(src, k.int(0)),
            () => (k.loop(this.env.ns, (s) => k.store(O, s, k.num(step.fill))), []),
            () => {
              const X = this.operandRow(step.x, src);
              k.loop(this.env.ns, (s) => k.store(O, s, X(s)));
              return [];
            },
          );
        });
        return;
      }
      case "concat": {
        for (const p of step.parts) {
          const outIdx = this.i32At(p.outIdx);
          const srcIdx = this.i32At(p.srcIdx);
          this.elements(p.count, (i) => {
            const X = this.operandRow(p.x, k.loadIndex(srcIdx, i));
            const O = this.slotRow(step.out, k.loadIndex(outIdx, i));
            return (s) => k.store(O, s, X(s));
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

  // ---- matmul --------------------------------------------------------------------------------

  /**
   * Output (bi, r, j) = Σ_t a[aBase(bi) + r·k + t] · b[bBase(bi) + t·n + j]: the fast form
   * (plan.ts: FastMatmul) when the call's inputs are all within its bound, else the clear
   * backend's sums in its order.
   */
  private matmul(step: Extract<Step, { kind: "matmul" }>): void {
    const k = this.k;
    const fast = step.fast;
    if (!fast) return this.matmulInOrder(step);
    const x = step.a as Extract<Operand, { slot: number }>;
    // Whether any input is outside ±bound (or NaN): the largest |v| as integer bits (NaN above
    // every number), one max per value instead of a count; a proven bound needs no check. One max
    // reduction per loop (a pair's larger |v| first), which the vectorizer recognizes.
    const absBits = (v: LlvmValue): LlvmValue => k.b.CreateBitCast(k.fabs(v), k.i64);
    const larger = (a: LlvmValue, b: LlvmValue): LlvmValue => k.select(k.b.CreateICmpSGT(a, b), a, b);
    const widest = (m: LlvmValue, bits: () => LlvmValue): LlvmValue => (fast.proven ? m : larger(bits(), m));
    // The narrow copies of the inputs, made on the way (by the input copy for a function input).
    const [widestBits] = fast.fromInput ? [k.b.CreateBitCast(k.load(this.f64At(fast.fromInput.widest), k.int(0)), k.i64)]
      : fast.form === "f32"
      ? k.loop(x.size, (e, outer) => {
        const row = this.slotRow(x.slot, e);
        const narrow = this.narrowRow(fast.narrowIn, e);
        return k.loop(this.env.ns, (s, [m]) => {
          const v = k.load(row, s);
          k.store32(narrow, s, k.narrow(v));
          return [widest(m!, () => absBits(v))];
        }, outer);
      }, [k.int(0)])
      // i16: rows 2t and 2t + 1 as the low and high halves of one i32 word per sample (zero past k).
      : k.loop(Math.ceil(x.size / 2), (t, outer) => {
        const lo = this.slotRow(x.slot, k.mul(t, k.int(2)));
        const hasHi = k.b.CreateICmpSLT(k.add(k.mul(t, k.int(2)), k.int(1)), k.int(x.size));
        const hi = this.slotRow(x.slot, k.select(hasHi, k.add(k.mul(t, k.int(2)), k.int(1)), k.mul(t, k.int(2))));
        const narrow = this.wordRow(fast.narrowIn, t);
        return k.loop(this.env.ns, (s, [m]) => {
          const a = k.load(lo, s);
          const b = k.select(hasHi, k.load(hi, s), k.num(0));
          const word = k.b.CreateOr(k.b.CreateAnd(k.b.CreateFPToSI(a, k.i32), k.i32c(0xffff)), k.b.CreateShl(k.b.CreateFPToSI(b, k.i32), k.i32c(16)));
          k.b.CreateStore(word, k.b.CreateInBoundsGEP(k.i32, narrow, [s]));
          return [widest(m!, () => larger(absBits(a), absBits(b)))];
        }, outer);
      }, [k.int(0)]);
    // In blocks, an i16 matmul scans its output's range while widening it (see rangeScan); the
    // clear order's branch scans after its sums, so that the check finds the scan either way.
    const scans = this.blocked !== undefined && fast.form === "i16";
    if (fast.proven) {
      const scan = this.matmulFast(step, fast);
      if (scans) this.rangeScans.set(step.out, scan);
      return;
    }
    const within = k.not(k.b.CreateICmpSGT(widestBits!, k.b.CreateBitCast(k.num(fast.bound), k.i64)));
    const i16OrInOrder = () => k.branch(within, () => (scans ? this.matmulFast(step, fast) : (this.matmulFast(step, fast), [])), () => {
      // A packed function input has no f64 copy yet: made here, its values counted already.
      this.inputCopies.get(x.slot)?.();
      this.matmulInOrder(step);
      return scans ? this.rangeScan(this.slotRow(step.out, k.int(0)), step.n) : [];
    });
    // Inputs all u8 (the copy's word, as bits: least ≥ 0 and largest ≤ 255; −1 has the sign bit): the u8 form.
    const quads = fast.fromInput?.quads;
    const fitsU8 = quads && k.not(k.b.CreateICmpULT(k.b.CreateBitCast(k.num(255), k.i64), k.b.CreateBitCast(k.load(this.f64At(quads.widest), k.int(0)), k.i64)));
    const scan = fitsU8 ? k.branch(fitsU8, () => (scans ? this.matmulFast(step, fast, "u8") : (this.matmulFast(step, fast, "u8"), [])), i16OrInOrder) : i16OrInOrder();
    if (scans) this.rangeScans.set(step.out, scan);
  }

  /**
   * One block's max |v| (as integer bits: NaN above every number) and OR of the bits (the sign
   * bit set by any negative value, −0 included) over `n` rows, with `value(i)` giving value i of
   * the row-major run of n·CHUNK values (a flat loop, reduced once).
   */
  private rangeScanOf(n: number, value: (i: LlvmValue) => LlvmValue): LlvmValue[] {
    const k = this.k;
    return k.loop(n * this.blocked!, (i, [m, o]) => {
      const v = value(i);
      const abs = k.b.CreateBitCast(k.fabs(v), k.i64);
      return [k.select(k.b.CreateICmpSGT(abs, m!), abs, m!), k.b.CreateOr(o!, k.b.CreateBitCast(v, k.i64))];
    }, [k.int(0), k.int(0)]);
  }

  private rangeScan(row: LlvmValue, n: number): LlvmValue[] {
    return this.rangeScanOf(n, (i) => this.k.load(row, i));
  }

  /** Element `e` of an i32 copy slot (i32*). */
  private wordRow(slot: number, e: LlvmValue): LlvmValue {
    return this.k.b.CreateInBoundsGEP(this.k.i32, this.k.b.CreateBitCast(this.env.slots[slot]!, this.k.i32p), [this.k.mul(e, this.env.cap)]);
  }

  /** Element `e` of an f32 copy slot (f32*). */
  private narrowRow(slot: number, e: LlvmValue): LlvmValue {
    return this.k.b.CreateInBoundsGEP(this.k.f32, this.k.b.CreateBitCast(this.env.slots[slot]!, this.k.f32p), [this.k.mul(e, this.env.cap)]);
  }

  /**
   * Row after row of the batch's matmuls, the vector kernel (matmul_kernel.ts) over the call's
   * sample blocks, the weights read from a module constant; then the narrow outputs widened (exact: integers below 2^24, or i32).
   */
  private matmulFast(step: Extract<Step, { kind: "matmul" }>, fast: FastMatmul, form: MatmulForm = fast.form): LlvmValue[] {
    const k = this.k;
    const { m, n, k: kk } = step;
    const blocks = k.b.CreateSDiv(k.add(this.env.ns, k.int(SAMPLE_BLOCK - 1)), k.int(SAMPLE_BLOCK));
    const i16 = fast.form === "i16";
    if (form === "u8") {
      // One row of inputs: k/4 rows of u8 quads, by s8 quads of weights (plan.ts: byteWeights).
      const weights = k.constant(fast.byteWeights!, `wb${step.out}`);
      k.b.CreateCall(this.env.matmulKernel("u8"), [this.wordRow(fast.narrowOut, k.int(0)), this.wordRow(fast.fromInput!.quads!.narrow, k.int(0)), weights, k.int(kk / 4), k.int(fast.nPad), this.env.cap, blocks]);
    } else if (i16) {
      const weights = k.constant(fast.weights, `w${step.out}`);
      // One row of inputs (plan.ts): k/2 rows of i16 pairs.
      k.b.CreateCall(this.env.matmulKernel("i16"), [this.wordRow(fast.narrowOut, k.int(0)), this.wordRow(fast.narrowIn, k.int(0)), weights, k.int(Math.ceil(kk / 2)), k.int(fast.nPad), this.env.cap, blocks]);
    } else {
      const weights = k.constant(fast.weights, `w${step.out}`);
      const aBase = this.i32At(step.aBase);
      k.loop(step.nb, (bi) => {
        const w = k.b.CreateInBoundsGEP(k.f32, weights, [k.mul(bi, k.int(kk * fast.nPad))]);
        k.loop(m, (r) => {
          const input = this.narrowRow(fast.narrowIn, k.add(k.loadIndex(aBase, bi), k.mul(r, k.int(kk))));
          const output = this.narrowRow(fast.narrowOut, k.mul(k.add(k.mul(bi, k.int(m)), r), k.int(fast.nPad)));
          k.b.CreateCall(this.env.matmulKernel("f32"), [output, input, w, k.int(kk), k.int(fast.nPad), this.env.cap, blocks]);
        });
      });
    }
    if (i16 && this.blocked !== undefined) {
      // One row of outputs: rows j of the i32 copy and of the slot are both at j·CHUNK, so the
      // widening is one flat run of n·CHUNK values, which scans the range for the check on the way.
      const from = this.wordRow(fast.narrowOut, k.int(0));
      const to = this.slotRow(step.out, k.int(0));
      return this.rangeScanOf(n, (i) => {
        const v = k.toNum(k.b.CreateLoad(k.i32, k.b.CreateInBoundsGEP(k.i32, from, [i])));
        k.store(to, i, v);
        return v;
      });
    }
    k.loop(step.nb * m, (row) => {
      k.loop(n, (j) => {
        const e = k.add(k.mul(row, k.int(fast.nPad)), j);
        const to = this.slotRow(step.out, k.add(k.mul(row, k.int(n)), j));
        if (i16) {
          const from = this.wordRow(fast.narrowOut, e);
          k.loop(this.env.ns, (s) => k.store(to, s, k.toNum(k.b.CreateLoad(k.i32, k.b.CreateInBoundsGEP(k.i32, from, [s])))));
        } else {
          const from = this.narrowRow(fast.narrowOut, e);
          k.loop(this.env.ns, (s) => k.store(to, s, k.widen(k.load32(from, s))));
        }
      });
    });
    return [];
  }

  /** The clear backend's sums: per output, 0 then + a·b for t in order (products rounded, then added). */
  private matmulInOrder(step: Extract<Step, { kind: "matmul" }>): void {
    const k = this.k;
    const { m, n, k: kk } = step;
    const aBase = this.i32At(step.aBase);
    const bBase = this.i32At(step.bBase);
    k.loop(step.nb, (bi) => {
      const a0 = k.loadIndex(aBase, bi);
      const b0 = k.loadIndex(bBase, bi);
      k.loop(m, (r) => {
        k.loop(n, (j) => {
          const O = this.slotRow(step.out, k.add(k.mul(k.add(k.mul(bi, k.int(m)), r), k.int(n)), j));
          k.loop(this.env.ns, (s) => k.store(O, s, k.num(0)));
          k.loop(kk, (t) => {
            const A = this.operandRow(step.a, k.add(a0, k.add(k.mul(r, k.int(kk)), t)));
            const B = this.operandRow(step.b, k.add(b0, k.add(k.mul(t, k.int(n)), j)));
            k.loop(this.env.ns, (s) => k.store(O, s, k.fadd(k.load(O, s), k.fmul(A(s), B(s)))));
          });
        });
      });
    });
  }

  // ---- draws -----------------------------------------------------------------------------------

  /**
   * Where a noisy read of `step` lands before its noise, in steps of the read (clear: the z of
   * noisyRound): table reads at v + offset, roundings at v/d + offset, rescales at (v − o)/d + offset.
   */
  private readPosition(step: RandomStep, e: LlvmValue): (s: LlvmValue) => LlvmValue {
    // What does not change with the sample is loaded here, before the loop over samples.
    const k = this.k;
    const X = this.operandRow(step.x, e);
    const off = this.param(step.param);
    if (step.kind === "lookup") return (s) => k.fadd(X(s), off);
    if (step.kind === "round") return (s) => k.fadd(k.fdiv(X(s), k.num(step.d)), off);
    const o = k.load(this.f64At(step.offsets), e);
    const d = k.load(this.f64At(step.ds), e);
    return (s) => k.fadd(k.fdiv(k.fsub(X(s), o), d), off);
  }

  /** The stage end of a step with read noise: its noisy reads, drawn into the draw slot (emit_draws.ts). */
  emitNoisyReads(step: RandomStep): void {
    emitNoisyReads(this.k, {
      n: step.n,
      samples: this.env.ns,
      position: (e) => this.readPosition(step, e),
      sigma: (e) => this.k.load(this.f64At(step.sigma), e),
      draws: this.drawsOf(step),
      values: (e) => this.slotRowOf(this.env.draws, e),
      cap: this.env.cap,
      unsettled: this.env.unsettled,
      unsettledCount: this.f64At(CONTROL.unsettled),
      tolerance: this.param(CONTROL.drawTolerance),
    });
  }

  /** The value of a noisy read drawn by the previous stage, or undefined when `step` has no read noise. */
  private noisyRead(step: RandomStep, s: LlvmValue, e: LlvmValue): LlvmValue | undefined {
    if (step.draws !== "noise") return undefined;
    return this.k.load(this.slotRowOf(this.env.draws, e), s);
  }

  /**
   * The draws of `step`'s reads (emit_rng.ts): of element `e` and local sample `s`, by its key, the
   * element and the sample's index in the batch. The key is loaded here, before the loops, so that
   * no store in them can be taken to change it (the loops then vectorize).
   */
  private drawsOf(step: RandomStep): (s: LlvmValue, e: LlvmValue) => RngState {
    const k = this.k;
    const key = this.rng.key(k.at(this.env.arena, step.key, "i32"));
    // In blocks, the lanes past the batch's end draw as its last sample, whose values they repeat.
    const last = k.b.CreateSub(this.env.live, k.int(1));
    const sample = (s: LlvmValue) => k.add(this.env.s0, this.blocked ? k.select(this.isLive(s), s, last) : s);
    return (s, e) => this.rng.start(key, e, sample(s));
  }

  // ---- table lookups, rounding, rescale ------------------------------------------------------

  private lookup(step: Extract<Step, { kind: "lookup" }>): void {
    if (step.permute) return this.lookupByPermutes(step, step.permute);
    if (step.wrapped) return this.lookupWrapped(step);
    const k = this.k;
    const m = k.num(step.m);
    const T = this.f64At(step.tables);
    const TO = step.tableOf !== undefined ? this.f64At(step.tableOf) : undefined;
    const errors = step.draws === "errors";
    const pError = this.param(CONTROL.pError);
    const drawsAt = errors ? this.drawsOf(step) : undefined;
    const res = this.each(step.n, (s, e, vals) => {
      const v = this.noisyRead(step, s, e) ?? this.value(step.x, s, e);
      // Values are integers (or not finite): the clear backend's ((v % m) + m) % m is k.mod.
      let idx = k.select(k.and(k.ge(v, k.num(0)), k.lt(v, m)), v, k.mod(v, step.m));
      // Outside the domain the torus is read negacyclically (the padding half negates).
      const u = step.signed ? k.fadd(v, k.num(step.m / 2)) : v;
      const odd = k.b.CreateICmpEQ(k.and(k.toInt(k.floor(k.fdiv(u, m))), k.int(1)), k.int(1));
      const negate = k.and(k.or(k.lt(u, k.num(0)), k.ge(u, m)), odd);
      let next: LlvmValue[] = [];
      if (errors) {
        // p_error: next() < p_error redirects the read, then bit() picks the neighbour (clear: lookup).
        const [x, s1] = this.rng.uniform(drawsAt!(s, e));
        const [up] = this.rng.bit(s1);
        const hit = k.lt(x, pError);
        idx = k.select(hit, k.select(up, k.mod(k.fadd(idx, k.num(1)), step.m), k.mod(k.fsub(k.fadd(idx, m), k.num(1)), step.m)), idx);
        next = [k.add(vals[0]!, k.count(k.and(hit, this.isLive(s))))];
      }
      const pos = TO ? k.fadd(k.fmul(k.load(TO, e), m), idx) : idx;
      // Memory safety only: for finite values the index is always inside the tables.
      const pi = k.toInt(pos);
      const safe = k.select(k.b.CreateICmpULT(pi, k.int(step.tablesLen)), pi, k.int(0));
      const t = k.load(T, safe);
      this.storeAt(step.out, s, e, k.select(negate, k.fneg(t), t));
      return next;
    }, errors ? [k.int(0)] : []);
    if (errors) k.store(this.f64At(CONTROL.tluErrors), k.int(0), k.fadd(k.load(this.f64At(CONTROL.tluErrors), k.int(0)), k.toNum(res[0]!)));
  }

  /**
   * A read without draws of a rescale's result (plan.ts: integers in [0, 2m) or NaN): the index is
   * the integer's low bits, the sign its bit log2(m), as the general read computes them; NaN reads
   * entry 0 unnegated, as there.
   */
  private lookupWrapped(step: Extract<Step, { kind: "lookup" }>): void {
    const k = this.k;
    const T = this.f64At(step.tables);
    const TO = step.tableOf !== undefined ? this.f64At(step.tableOf) : undefined;
    this.elements(step.n, (e) => {
      const X = this.operandRow(step.x, e);
      const O = this.slotRow(step.out, e);
      const base = TO ? k.toInt(k.fmul(k.load(TO, e), k.num(step.m))) : k.int(0);
      return (s) => {
        const v = X(s);
        const i = k.toInt(v);
        const ordered = k.not(k.isNaN(v));
        const pos = k.add(base, k.and(i, k.int(step.m - 1)));
        const safe = k.select(k.and(ordered, k.b.CreateICmpULT(pos, k.int(step.tablesLen))), pos, k.int(0));
        const negate = k.and(ordered, k.b.CreateICmpNE(k.and(i, k.int(step.m)), k.int(0)));
        const t = k.load(T, safe);
        k.store(O, s, k.select(negate, k.fneg(t), t));
      };
    });
  }

  /** Element after element, the permute kernel over the samples in whole vectors (slot capacities are whole sample blocks). */
  private lookupByPermutes(step: Extract<Step, { kind: "lookup" }>, m: PermuteEntries): void {
    const k = this.k;
    const x = step.x as Extract<Operand, { slot: number }>;
    const T = this.f64At(step.tables);
    const TO = step.tableOf !== undefined ? this.f64At(step.tableOf) : undefined;
    const lanes = k.b.CreateAnd(k.add(this.env.ns, k.int(7)), k.int(-8));
    k.loop(step.n, (e) => {
      const table = TO ? k.elt(T, k.toInt(k.fmul(k.load(TO, e), k.num(m)))) : T;
      k.b.CreateCall(this.env.lookupKernel(m, step.wrapped ?? false), [this.slotRow(step.out, e), this.slotRow(x.slot, e), table, lanes, k.num(step.signed ? m / 2 : 0)]);
    });
  }

  private round(step: Extract<Step, { kind: "round" }>): void {
    const k = this.k;
    if (step.bits) {
      emitExactRoundBits(k, {
        k: step.bits.k, n: step.n, samples: this.env.ns,
        input: (s, e) => this.value(step.x, s, e), output: (s, e, v) => this.storeAt(step.out, s, e, v),
        rows: this.i32At(step.bits.rows), odd: this.f64At(step.bits.odd), firstWrong: this.f64At(step.bits.firstWrong), draws: this.drawsOf(step),
      });
      return;
    }
    const d = k.num(step.d);
    const half = k.num(step.half);
    const drawsAt = step.draws === "ties" ? this.drawsOf(step) : undefined;
    this.each(step.n, (s, e) => {
      const v = this.value(step.x, s, e);
      let r = this.noisyRead(step, s, e) ?? k.floor(k.fdiv(k.fadd(v, half), d));
      if (step.draws === "ties") {
        const fl = k.floor(k.fdiv(v, d));
        const tie = k.eq(k.fsub(v, k.fmul(fl, d)), half);
        const [up] = this.rng.bit(drawsAt!(s, e));
        r = k.select(tie, k.select(up, k.fadd(fl, k.num(1)), fl), r);
      }
      this.storeAt(step.out, s, e, r);
    });
  }

  /**
   * In blocks, a rescale of a fast matmul's result whose range was scanned (rangeScans) runs in
   * integers (plan.ts RescaleShifts) when the block's inputs are within RESCALE_INT_LIMIT: about
   * half the vector operations of the f64 steps, with the same results and counts.
   */
  private rescale(step: Extract<Step, { kind: "rescale" }>): void {
    const scan = step.shifts && "slot" in step.x ? this.rangeScans.get(step.x.slot) : undefined;
    if (!scan) return this.rescaleFloats(step);
    const k = this.k;
    const small = k.not(k.b.CreateICmpSGT(scan[0]!, k.b.CreateBitCast(k.num(RESCALE_INT_LIMIT), k.i64)));
    k.branch(small, () => (this.rescaleInts(step, step.shifts!), []), () => (this.rescaleFloats(step), []));
  }

  private rescaleInts(step: Extract<Step, { kind: "rescale" }>, ints: RescaleShifts): void {
    const k = this.k;
    const adds = this.f64At(ints.adds);
    const shifts = this.f64At(ints.shifts);
    const outsideP = this.f64At(step.outside);
    const [outside] = this.each(step.n, (s, e, [count]) => {
      const r = k.b.CreateAShr(k.add(k.toInt(this.value(step.x, s, e)), k.toInt(k.load(adds, e))), k.toInt(k.load(shifts, e)));
      // Outside [0, m) (negative ones as unsigned are too): the low bits are the wrap mod 2m, and inside they are r.
      const wrap = k.not(k.b.CreateICmpULT(r, k.int(step.m)));
      this.storeAt(step.out, s, e, k.toNum(k.and(r, k.int(2 * step.m - 1))));
      return [k.add(count!, k.count(k.and(wrap, this.isLive(s))))];
    }, [k.int(0)]);
    k.store(outsideP, k.int(0), k.fadd(k.load(outsideP, k.int(0)), k.toNum(outside!)));
  }

  private rescaleFloats(step: Extract<Step, { kind: "rescale" }>): void {
    const k = this.k;
    const m = k.num(step.m);
    const offsets = this.f64At(step.offsets);
    const ds = this.f64At(step.ds);
    const inv = step.invDs !== undefined ? this.f64At(step.invDs) : undefined;
    const outsideP = this.f64At(step.outside);
    const drawsAt = step.draws === "ties" ? this.drawsOf(step) : undefined;
    const [outside] = this.each(step.n, (s, e, [count]) => {
      const d = k.load(ds, e);
      const over = (x: LlvmValue) => (inv ? k.fmul(x, k.load(inv, e)) : k.fdiv(x, d));
      const v = k.fsub(this.value(step.x, s, e), k.load(offsets, e));
      const half = k.fdiv(d, k.num(2));
      let r = this.noisyRead(step, s, e) ?? k.floor(over(k.fadd(v, half)));
      if (step.draws === "ties") {
        const fl = k.floor(over(v));
        const tie = k.and(k.gt(d, k.num(1)), k.eq(k.fsub(v, k.fmul(fl, d)), half));
        const [up] = this.rng.bit(drawsAt!(s, e));
        r = k.select(tie, k.fadd(fl, k.select(up, k.num(1), k.num(0))), r);
      }
      // r is an integer (or not finite): the clear backend's ((r % 2m) + 2m) % 2m is k.mod.
      const wrap = k.or(k.lt(r, k.num(0)), k.ge(r, m));
      this.storeAt(step.out, s, e, k.select(wrap, k.mod(r, 2 * step.m), r));
      return [k.add(count!, k.count(k.and(wrap, this.isLive(s))))];
    }, [k.int(0)]);
    k.store(outsideP, k.int(0), k.fadd(k.load(outsideP, k.int(0)), k.toNum(outside!)));
  }

  // ---- overflow statistics -------------------------------------------------------------------

  /**
   * The block's max |v| (as bits) and count of values outside [min, max] in one cheap pass when
   * every value is provably inside: max |v| as integer bits (NaN above every number) and the OR of
   * the sign bits bound the values, and then nothing is outside (lanes past the batch repeat its
   * last sample, so they are outside only if it is). Otherwise `exact` counts them.
   */
  private checkInRange(step: Extract<Step, { kind: "check" }>, exact: () => LlvmValue[]): LlvmValue[] {
    const k = this.k;
    // [−max, max] ⊂ [min, max] needs only |v| ≤ max; [0, max] ⊂ [min, max] needs v ≥ +0 too.
    const symmetric = step.min <= -step.max;
    if (!symmetric && step.min > 0) return exact();
    const [mx, signs] = this.rangeScans.get(step.slot) ?? this.rangeScan(this.slotRow(step.slot, k.int(0)), step.n);
    const bounded = k.not(k.b.CreateICmpSGT(mx!, k.b.CreateBitCast(k.num(step.max), k.i64)));
    const inside = symmetric ? bounded : k.and(bounded, k.b.CreateICmpSGT(signs!, k.int(-1)));
    return k.branch(inside, () => [mx!, k.int(0)], exact);
  }

  /**
   * max |v|, and the count and first (global flat index, value) of values outside [min, max]. The
   * maximum and the count are order-free (integer reductions over all samples); the first value
   * outside is searched for, sample by sample, only in a call that finds the first ones.
   */
  private check(step: Extract<Step, { kind: "check" }>): void {
    const k = this.k;
    const S = this.f64At(step.stat);
    const min = k.num(step.min);
    const max = k.num(step.max);
    const outside = (v: LlvmValue) => k.or(k.lt(v, min), k.gt(v, max));
    // |v| ordered as doubles is its bit pattern ordered as integers; NaN is left out (as `a > max` leaves it).
    const reduce = (v: LlvmValue, s: LlvmValue, [mx, c]: LlvmValue[]): LlvmValue[] => {
      const bits = k.select(k.isNaN(v), k.int(0), k.b.CreateBitCast(k.fabs(v), k.i64));
      return [k.select(k.b.CreateICmpSGT(bits, mx!), bits, mx!), k.add(c!, k.count(k.and(outside(v), this.isLive(s))))];
    };
    const init = [k.int(0), k.int(0)];
    // In blocks (a constant capacity, every lane a sample) the slot's rows are one run of n·cap
    // values: one loop, reduced once, rather than a reduction at the end of every row (the lane is
    // the index's low bits, CHUNK being a power of two).
    const exact = (): LlvmValue[] => this.blocked
      ? k.loop(step.n * this.blocked, (i, acc) => reduce(k.load(this.slotRow(step.slot, k.int(0)), i), k.b.CreateAnd(i, k.int(this.blocked! - 1)), acc), init)
      : k.loop(step.n, (e, outer) => {
        const row = this.slotRow(step.slot, e);
        return k.loop(this.env.ns, (s, acc) => reduce(k.load(row, s), s, acc), outer);
      }, init);
    const [maxBits, count] = this.blocked ? this.checkInRange(step, exact) : exact();
    const maxAbs = k.b.CreateBitCast(maxBits!, k.f64);
    const before = [0, 1].map((i) => k.load(S, k.int(i)));
    k.store(S, k.int(0), k.select(k.gt(maxAbs, before[0]!), maxAbs, before[0]!));
    k.store(S, k.int(1), k.fadd(before[1]!, k.toNum(count!)));
    const firstHere = k.and(k.eq(before[1]!, k.num(0)), k.b.CreateICmpSGT(count!, k.int(0)));
    k.branch(firstHere, () => {
      const base = k.mul(this.env.s0, k.int(step.n));
      const none = k.int(-1);
      const [first] = k.loop(this.env.live, (s, outer) =>
        k.loop(step.n, (e, [f]) => {
          const j = k.add(k.mul(s, k.int(step.n)), e);
          return [k.select(k.and(k.b.CreateICmpSLT(f!, k.int(0)), outside(this.value({ slot: step.slot, size: step.n }, s, e))), j, f!)];
        }, outer),
      [none]);
      const s = k.b.CreateSDiv(first!, k.int(step.n));
      const e = k.b.CreateSRem(first!, k.int(step.n));
      k.store(S, k.int(2), k.toNum(k.add(base, first!)));
      k.store(S, k.int(3), this.value({ slot: step.slot, size: step.n }, s, e));
      return [];
    }, () => []);
  }
}
