// An independent, deliberately plain per-sample evaluator of the fhe dialect for property tests.
// Shares no code with backends/clear: multi-indices are unravelled per element, loops are direct.
import type { DenseAttr } from "../../ir/attributes.js";
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import type { EncryptedIntType, Type } from "../../ir/types.js";

export interface T {
  shape: number[];
  data: number[];
}

export class BruteOverflow extends Error {
  constructor(
    readonly op: Operation,
    readonly value: number,
  ) {
    super(`overflow in ${op.name}: ${value}`);
  }
}

const shapeOfT = (t: Type): number[] => (t.kind === "tensor" ? (t.shape as number[]) : []);
const elemOf = (t: Type) => (t.kind === "tensor" ? t.element : t);
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function unravel(i: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

function ravel(idx: number[], shape: number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d]! + idx[d]!;
  return i;
}

function bcastRead(t: T, outIdx: number[]): number {
  const off = outIdx.length - t.shape.length;
  const idx = t.shape.map((d, i) => (d === 1 ? 0 : outIdx[i + off]!));
  return t.data[ravel(idx, t.shape)]!;
}

function elementwise(outShape: number[], ins: T[], f: (...xs: number[]) => number): T {
  const data: number[] = [];
  for (let i = 0; i < size(outShape); i++) {
    const idx = unravel(i, outShape);
    data.push(f(...ins.map((t) => bcastRead(t, idx))));
  }
  return { shape: outShape, data };
}

const ints = (op: Operation, k: string) => (op.attr(k) as unknown as { items: { value: number }[] }).items.map((x) => x.value);
const int = (op: Operation, k: string) => (op.attr(k) as { value: number }).value;
const dense = (op: Operation, k: string) => op.attr(k) as DenseAttr;

export function tableIdx(x: number, p: number): number {
  const m = 2 ** p;
  return ((x % m) + m) % m;
}

function matmul(a: T, b: T, outShape: number[]): T {
  const a2 = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const b2 = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const K = a2.shape[a2.shape.length - 1]!;
  const M = a2.shape[a2.shape.length - 2]!;
  const N = b2.shape[b2.shape.length - 1]!;
  const batchOut = outShape.slice(0, outShape.length - (a.shape.length > 1 ? 1 : 0) - (b.shape.length > 1 ? 1 : 0));
  const data: number[] = [];
  for (let bi = 0; bi < size(batchOut); bi++) {
    const bidx = unravel(bi, batchOut);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const ai = [...bidx.slice(bidx.length - (a2.shape.length - 2)), m, k].map((v, i) => (a2.shape[i] === 1 && i < a2.shape.length - 2 ? 0 : v));
          const bj = [...bidx.slice(bidx.length - (b2.shape.length - 2)), k, n].map((v, i) => (b2.shape[i] === 1 && i < b2.shape.length - 2 ? 0 : v));
          acc += a2.data[ravel(ai, a2.shape)]! * b2.data[ravel(bj, b2.shape)]!;
        }
        data.push(acc);
      }
    }
  }
  return { shape: outShape, data };
}

function conv(op: Operation, x: T, w: T, bias: T | undefined, outShape: number[]): T {
  const [s0, s1] = ints(op, "strides") as [number, number];
  const [pt, pl] = ints(op, "pads") as [number, number];
  const [d0, d1] = ints(op, "dilations") as [number, number];
  const g = int(op, "group");
  const [, C, H, W] = x.shape as [number, number, number, number];
  const [F, CG, KH, KW] = w.shape as [number, number, number, number];
  const data: number[] = [];
  for (let i = 0; i < size(outShape); i++) {
    const [n, f, oy, ox] = unravel(i, outShape) as [number, number, number, number];
    let acc = bias ? bias.data[f]! : 0;
    const grp = Math.floor(f / (F / g));
    for (let c = 0; c < CG; c++) {
      for (let ky = 0; ky < KH; ky++) {
        for (let kx = 0; kx < KW; kx++) {
          const iy = oy * s0 - pt + ky * d0;
          const ix = ox * s1 - pl + kx * d1;
          if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
          acc += x.data[ravel([n, grp * CG + c, iy, ix], [x.shape[0]!, C, H, W])]! * w.data[ravel([f, c, ky, kx], w.shape)]!;
        }
      }
    }
    data.push(acc);
  }
  return { shape: outShape, data };
}

export interface BruteOptions {
  /** Approximate-rounding ties: called to pick floor (false) or ceil (true); default: ceil. */
  readonly tie?: () => boolean;
}

function evalOp(op: Operation, ins: T[], opts: BruteOptions): T {
  const outShape = shapeOfT(op.result.type);
  switch (op.name) {
    case "arith.constant": {
      const d = dense(op, "value");
      return { shape: outShape, data: Array.from(d.data) };
    }
    case "arith.add":
    case "fhe.add_eint":
    case "fhe.add_eint_int":
      return elementwise(outShape, ins, (a, b) => a! + b!);
    case "arith.sub":
    case "fhe.sub_eint":
    case "fhe.sub_eint_int":
    case "fhe.sub_int_eint":
      return elementwise(outShape, ins, (a, b) => a! - b!);
    case "arith.mul":
    case "fhe.mul_eint_int":
      return elementwise(outShape, ins, (a, b) => a! * b!);
    case "arith.neg":
    case "fhe.neg_eint":
      return elementwise(outShape, ins, (a) => -a!);
    case "fhe.dot_eint_int":
    case "fhe.matmul_eint_int":
    case "fhe.matmul_int_eint":
      return matmul(ins[0]!, ins[1]!, outShape);
    case "fhe.conv2d":
      return conv(op, ins[0]!, ins[1]!, ins[2], outShape);
    case "fhe.sum": {
      const x = ins[0]!;
      const axes0 = ints(op, "axes").map((a) => (a < 0 ? a + x.shape.length : a));
      const axes = axes0.length === 0 ? x.shape.map((_, i) => i) : axes0;
      const data = new Array<number>(size(outShape)).fill(0);
      for (let i = 0; i < x.data.length; i++) {
        const idx = unravel(i, x.shape);
        const kept = idx.flatMap((v, d) => (axes.includes(d) ? (outShape.length === x.shape.length ? [0] : []) : [v]));
        data[ravel(kept, outShape)]! += x.data[i]!;
      }
      return { shape: outShape, data };
    }
    case "fhe.apply_lookup_table": {
      const p = (elemOf(op.operands[0]!.type) as EncryptedIntType).width;
      const t = dense(op, "table").data;
      return { shape: outShape, data: ins[0]!.data.map((x) => t[tableIdx(x, p)]!) };
    }
    case "fhe.apply_mapped_lookup_table": {
      const p = (elemOf(op.operands[0]!.type) as EncryptedIntType).width;
      const t = dense(op, "tables").data;
      const map = dense(op, "map").data;
      return { shape: outShape, data: ins[0]!.data.map((x, i) => t[map[i]! * 2 ** p + tableIdx(x, p)]!) };
    }
    case "fhe.round": {
      const k = (elemOf(op.operands[0]!.type) as EncryptedIntType).width - (elemOf(op.result.type) as EncryptedIntType).width;
      const approx = (op.attr("method") as { value: string }).value === "approximate";
      return {
        shape: outShape,
        data: ins[0]!.data.map((x) => {
          const lo = Math.floor(x / 2 ** k);
          const rem = x - lo * 2 ** k;
          if (rem * 2 < 2 ** k) return lo;
          if (rem * 2 > 2 ** k) return lo + 1;
          return approx && opts.tie && !opts.tie() ? lo : lo + 1;
        }),
      };
    }
    case "fhe.to_signed": {
      const p = (elemOf(op.operands[0]!.type) as EncryptedIntType).width;
      return { shape: outShape, data: ins[0]!.data.map((x) => (x >= 2 ** (p - 1) ? x - 2 ** p : x)) };
    }
    case "fhe.to_unsigned": {
      const p = (elemOf(op.operands[0]!.type) as EncryptedIntType).width;
      return { shape: outShape, data: ins[0]!.data.map((x) => (x < 0 ? x + 2 ** p : x)) };
    }
    case "fhe.reshape":
      return { shape: outShape, data: [...ins[0]!.data] };
    case "fhe.transpose": {
      const perm = ints(op, "perm");
      const x = ins[0]!;
      const data: number[] = [];
      for (let i = 0; i < size(outShape); i++) {
        const o = unravel(i, outShape);
        const src = new Array<number>(o.length);
        perm.forEach((p, d) => (src[p] = o[d]!));
        data.push(x.data[ravel(src, x.shape)]!);
      }
      return { shape: outShape, data };
    }
    case "fhe.slice": {
      const [st, sp] = [ints(op, "starts"), ints(op, "steps")];
      const x = ins[0]!;
      const data: number[] = [];
      for (let i = 0; i < size(outShape); i++) {
        const o = unravel(i, outShape);
        data.push(x.data[ravel(o.map((v, d) => st[d]! + v * sp[d]!), x.shape)]!);
      }
      return { shape: outShape, data };
    }
    case "fhe.pad": {
      const pads = ints(op, "pads");
      const x = ins[0]!;
      const r = x.shape.length;
      const data: number[] = [];
      for (let i = 0; i < size(outShape); i++) {
        const o = unravel(i, outShape).map((v, d) => v - pads[d]!);
        const inside = o.every((v, d) => v >= 0 && v < x.shape[d]!);
        data.push(inside ? x.data[ravel(o, x.shape)]! : int(op, "value"));
      }
      void r;
      return { shape: outShape, data };
    }
    case "fhe.gather": {
      const axis = int(op, "axis");
      const idx = dense(op, "indices");
      const ir = idx.type.shape.length;
      const x = ins[0]!;
      const data: number[] = [];
      for (let i = 0; i < size(outShape); i++) {
        const o = unravel(i, outShape);
        const ii = o.slice(axis, axis + ir);
        const k = idx.data[ravel(ii, idx.type.shape as number[])]!;
        data.push(x.data[ravel([...o.slice(0, axis), k, ...o.slice(axis + ir)], x.shape)]!);
      }
      return { shape: outShape, data };
    }
    case "fhe.concat": {
      const axis = int(op, "axis");
      const data: number[] = [];
      for (let i = 0; i < size(outShape); i++) {
        const o = unravel(i, outShape);
        let a = o[axis]!;
        let part = 0;
        while (a >= ins[part]!.shape[axis]!) a -= ins[part++]!.shape[axis]!;
        const src = [...o];
        src[axis] = a;
        data.push(ins[part]!.data[ravel(src, ins[part]!.shape)]!);
      }
      return { shape: outShape, data };
    }
    default:
      throw new Error(`brute: no semantics for ${op.name}`);
  }
}

/** Evaluates one sample; throws BruteOverflow at the first encrypted value outside its type. */
export function bruteEval(func: FuncOp, inputs: T[], opts: BruteOptions = {}): T[] {
  const env = new Map<Value, T>();
  func.args.forEach((a, i) => env.set(a, inputs[i]!));
  for (const op of func.body.ops) {
    const ins = op.operands.map((v) => env.get(v)!);
    if (op.name === "func.return") return ins;
    const out = evalOp(op, ins, opts);
    const e = elemOf(op.result.type);
    if (e.kind === "eint") {
      const lo = e.signed ? -(2 ** (e.width - 1)) : 0;
      const hi = e.signed ? 2 ** (e.width - 1) - 1 : 2 ** e.width - 1;
      const bad = out.data.find((v) => v < lo || v > hi);
      if (bad !== undefined) throw new BruteOverflow(op, bad);
    }
    env.set(op.result, out);
  }
  throw new Error("no return");
}
