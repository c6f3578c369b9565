// Random small fhe graphs from a seed, for property tests. Every encrypted value starts at one
// wide type (so any graph verifies); `fhec.arg_ranges` records the input ranges the tests draw from.
import type { BatchTensor } from "../../backends/clear/index.js";
import { denseAttr, intAttr, intsAttr, arrayAttr, stringAttr } from "../../ir/attributes.js";
import { addFunction, type Builder } from "../../ir/builder.js";
import { type FuncOp, ModuleOp, type Value } from "../../ir/core.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { printModule } from "../../ir/printer.js";
import { verifyModule } from "../../ir/verifier.js";
import { type ElementType, elementOf, type EncryptedIntType, i64, intType, shapeOf, tensor, type Type } from "../../ir/types.js";

/** mulberry32: the tests' own PRNG (independent of the backend's). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(readonly rand: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }
  pick<X>(xs: readonly X[]): X {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }
  bool(p = 0.5): boolean {
    return this.rand() < p;
  }
  ints(n: number, lo: number, hi: number): number[] {
    return Array.from({ length: n }, () => this.int(lo, hi));
  }
}

interface Enc {
  v: Value;
  shape: number[];
  width: number;
  signed: boolean;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const encT = (shape: number[], width: number, signed: boolean): Type => {
  const e: ElementType = { kind: "eint", width, signed };
  return shape.length === 0 ? e : tensor(shape, e);
};

export interface GenGraph {
  readonly module: ModuleOp;
  readonly func: FuncOp;
  readonly argRanges: [number, number][];
}

export interface GenOptions {
  /** Width of every encrypted value before the bitwidth pass. */
  readonly width?: number;
  readonly steps?: number;
  /** Ops to choose from (default: all). */
  readonly ops?: readonly string[];
  /**
   * Probability that a `round` is approximate instead of exact (default 0: every round exact, and
   * the seeds' graphs stay what they were before this option existed).
   */
  readonly approximateRounding?: number;
}

export const ALL_OPS = [
  "tlu",
  "mapped",
  "addc",
  "subc",
  "rsubc",
  "mulc",
  "neg",
  "add",
  "sub",
  "matmul",
  "rmatmul",
  "dot",
  "conv",
  "sum",
  "round",
  "reshape",
  "transpose",
  "slice",
  "pad",
  "gather",
  "concat",
  "cast",
] as const;

function constant(b: Builder, g: Gen, shape: number[], lo: number, hi: number): Value {
  const data = g.ints(size(shape), lo, hi);
  return b.constant(denseAttr(tensor(shape, intType(8)), data));
}

export function genGraph(seed: number, opts: GenOptions = {}): GenGraph {
  const g = new Gen(prng(seed));
  const W = opts.width ?? 12;
  const ops = opts.ops ?? ALL_OPS;
  const module = new ModuleOp();
  const shapes = [[4], [2, 3], [1, 2, 3, 3], [3, 2]];
  const nArgs = g.int(1, 2);
  const argShapes = Array.from({ length: nArgs }, () => g.pick(shapes));
  const argSigned = Array.from({ length: nArgs }, () => g.bool());
  const { func, builder: b } = addFunction(
    module,
    "main",
    argShapes.map((s, i) => ({ type: encT(s, W, argSigned[i]!), name: `x${i}` })),
    [],
  );
  const argRanges: [number, number][] = argSigned.map((s) => {
    const r = g.int(1, 7);
    return s ? [-g.int(0, r), r] : [Math.min(g.int(0, 2), r), r];
  });
  func.attributes.set("fhec.arg_ranges", arrayAttr(argRanges.map((r) => intsAttr(r))));
  const pool: Enc[] = func.args.map((v, i) => ({ v, shape: argShapes[i]!, width: W, signed: argSigned[i]! }));
  const add = (v: Value, shape: number[], width: number, signed: boolean) => {
    const e = { v, shape, width, signed };
    pool.push(e);
    return e;
  };
  const steps = opts.steps ?? g.int(3, 8);
  let linearSinceTlu = 0;
  for (let step = 0, tries = 0; step < steps && tries < 200; tries++) {
    const kind = linearSinceTlu >= 2 && ops.includes("tlu") ? "tlu" : g.pick(ops);
    const x = g.pick(pool.slice(-4));
    const T = (shape: number[], e = x) => encT(shape, e.width, e.signed);
    const nonneg = !x.signed;
    let made: Enc | undefined;
    switch (kind) {
      case "tlu": {
        const signedOut = g.bool();
        const table = g.ints(2 ** x.width, signedOut ? -6 : 0, 6);
        const op = b.create("fhe.apply_lookup_table", [x.v], [encT(x.shape, W, signedOut)], { table: denseAttr(tensor([table.length], i64), table) });
        made = add(op.result, x.shape, W, signedOut);
        linearSinceTlu = 0;
        break;
      }
      case "mapped": {
        if (x.shape.length === 0) continue;
        const tables = g.ints(2 * 2 ** x.width, 0, 5);
        const map = g.ints(size(x.shape), 0, 1);
        const op = b.create("fhe.apply_mapped_lookup_table", [x.v], [encT(x.shape, W, false)], {
          tables: denseAttr(tensor([2, 2 ** x.width], i64), tables),
          map: denseAttr(tensor(x.shape, i64), map),
        });
        made = add(op.result, x.shape, W, false);
        linearSinceTlu = 0;
        break;
      }
      case "addc":
      case "subc":
      case "rsubc":
      case "mulc": {
        if (nonneg && (kind === "subc" || kind === "rsubc")) continue;
        const cShape = g.bool() ? [] : x.shape;
        const [lo, hi] = kind === "mulc" ? (nonneg ? [0, 2] : [-2, 2]) : nonneg ? [0, 3] : [-3, 3];
        const c = constant(b, g, cShape, lo, hi);
        const name = { addc: "fhe.add_eint_int", subc: "fhe.sub_eint_int", rsubc: "fhe.sub_int_eint", mulc: "fhe.mul_eint_int" }[kind];
        const operands = kind === "rsubc" ? [c, x.v] : [x.v, c];
        made = add(b.create(name, operands, [T(x.shape)]).result, x.shape, x.width, x.signed);
        linearSinceTlu++;
        break;
      }
      case "neg": {
        if (nonneg) continue;
        made = add(b.create("fhe.neg_eint", [x.v], [T(x.shape)]).result, x.shape, x.width, x.signed);
        break;
      }
      case "add":
      case "sub": {
        if (kind === "sub" && nonneg) continue;
        const partners = pool.filter((p) => p.width === x.width && p.signed === x.signed && p.shape.join() === x.shape.join());
        const y = g.pick(partners);
        made = add(b.create(kind === "add" ? "fhe.add_eint" : "fhe.sub_eint", [x.v, y.v], [T(x.shape)]).result, x.shape, x.width, x.signed);
        linearSinceTlu++;
        break;
      }
      case "matmul":
      case "rmatmul": {
        if (x.shape.length !== 2) continue;
        const [m, k] = x.shape as [number, number];
        const n = g.int(1, 3);
        const lo = nonneg ? 0 : -2;
        if (kind === "matmul") {
          const w = constant(b, g, [k, n], lo, 2);
          made = add(b.create("fhe.matmul_eint_int", [x.v, w], [T([m, n])]).result, [m, n], x.width, x.signed);
        } else {
          const w = constant(b, g, [n, m], lo, 2);
          made = add(b.create("fhe.matmul_int_eint", [w, x.v], [T([n, k])]).result, [n, k], x.width, x.signed);
        }
        linearSinceTlu++;
        break;
      }
      case "dot": {
        if (x.shape.length !== 1) continue;
        const w = constant(b, g, x.shape, nonneg ? 0 : -2, 2);
        made = add(b.create("fhe.dot_eint_int", [x.v, w], [T([])]).result, [], x.width, x.signed);
        linearSinceTlu++;
        break;
      }
      case "conv": {
        if (x.shape.length !== 4) continue;
        const [n, c, h, w] = x.shape as [number, number, number, number];
        const f = g.int(1, 2);
        const kh = g.int(1, Math.min(2, h));
        const kw = g.int(1, Math.min(2, w));
        const pads = [g.int(0, 1), g.int(0, 1), g.int(0, 1), g.int(0, 1)];
        const strides = [g.int(1, 2), g.int(1, 2)];
        const oh = Math.floor((h + pads[0]! + pads[2]! - kh) / strides[0]!) + 1;
        const ow = Math.floor((w + pads[1]! + pads[3]! - kw) / strides[1]!) + 1;
        const wt = constant(b, g, [f, c, kh, kw], nonneg ? 0 : -1, 1);
        const operands = [x.v, wt];
        if (g.bool()) operands.push(constant(b, g, [f], nonneg ? 0 : -2, 2));
        const out = [n, f, oh, ow];
        const op = b.create("fhe.conv2d", operands, [T(out)], {
          strides: intsAttr(strides),
          pads: intsAttr(pads),
          dilations: intsAttr([1, 1]),
          group: intAttr(1),
        });
        made = add(op.result, out, x.width, x.signed);
        linearSinceTlu++;
        break;
      }
      case "sum": {
        if (x.shape.length === 0) continue;
        const axes = x.shape.map((_, i) => i).filter(() => g.bool());
        const keep = g.bool();
        const all = axes.length === 0 ? x.shape.map((_, i) => i) : axes;
        const out = keep ? x.shape.map((d, i) => (all.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !all.includes(i));
        const op = b.create("fhe.sum", [x.v], [T(out)], { axes: intsAttr(axes), keep_dims: { kind: "bool", value: keep } });
        made = add(op.result, out, x.width, x.signed);
        linearSinceTlu++;
        break;
      }
      case "round": {
        if (x.width < 4) continue;
        const k = g.int(1, 2);
        const method = opts.approximateRounding && g.bool(opts.approximateRounding) ? "approximate" : "exact";
        const op = b.create("fhe.round", [x.v], [encT(x.shape, x.width - k, x.signed)], { method: stringAttr(method) });
        made = add(op.result, x.shape, x.width - k, x.signed);
        break;
      }
      case "reshape": {
        if (x.shape.length === 0) continue;
        const out = x.shape.length === 1 ? [1, x.shape[0]!] : [size(x.shape)];
        made = add(b.create("fhe.reshape", [x.v], [T(out)]).result, out, x.width, x.signed);
        break;
      }
      case "transpose": {
        if (x.shape.length < 2) continue;
        const perm = x.shape.map((_, i) => i).reverse();
        const out = perm.map((p) => x.shape[p]!);
        made = add(b.create("fhe.transpose", [x.v], [T(out)], { perm: intsAttr(perm) }).result, out, x.width, x.signed);
        break;
      }
      case "slice": {
        if (x.shape.length === 0) continue;
        const starts = x.shape.map((d) => g.int(0, d - 1));
        const steps2 = x.shape.map(() => g.int(1, 2));
        const ends = x.shape.map((d) => d);
        const out = x.shape.map((d, i) => Math.ceil((d - starts[i]!) / steps2[i]!));
        const op = b.create("fhe.slice", [x.v], [T(out)], { starts: intsAttr(starts), ends: intsAttr(ends), steps: intsAttr(steps2) });
        made = add(op.result, out, x.width, x.signed);
        break;
      }
      case "pad": {
        if (x.shape.length === 0) continue;
        const pads = [...x.shape.map(() => g.int(0, 1)), ...x.shape.map(() => g.int(0, 1))];
        const out = x.shape.map((d, i) => d + pads[i]! + pads[i + x.shape.length]!);
        const value = nonneg ? g.int(0, 2) : g.int(-2, 2);
        made = add(b.create("fhe.pad", [x.v], [T(out)], { pads: intsAttr(pads), value: intAttr(value) }).result, out, x.width, x.signed);
        break;
      }
      case "gather": {
        if (x.shape.length === 0) continue;
        const n = g.int(1, 3);
        const idx = g.ints(n, 0, x.shape[0]! - 1);
        const out = [n, ...x.shape.slice(1)];
        const op = b.create("fhe.gather", [x.v], [T(out)], { indices: denseAttr(tensor([n], i64), idx), axis: intAttr(0) });
        made = add(op.result, out, x.width, x.signed);
        break;
      }
      case "concat": {
        if (x.shape.length === 0) continue;
        const partners = pool.filter((p) => p.width === x.width && p.signed === x.signed && p.shape.length === x.shape.length && p.shape.slice(1).join() === x.shape.slice(1).join());
        const y = g.pick(partners);
        const out = [x.shape[0]! + y.shape[0]!, ...x.shape.slice(1)];
        made = add(b.create("fhe.concat", [x.v, y.v], [T(out)], { axis: intAttr(0) }).result, out, x.width, x.signed);
        break;
      }
      case "cast": {
        // to_signed of an unsigned value (no wrap on small values); to_unsigned after a non-negative table.
        if (!x.signed) {
          made = add(b.create("fhe.to_signed", [x.v], [encT(x.shape, x.width, true)]).result, x.shape, x.width, true);
        } else {
          const table = g.ints(2 ** x.width, 0, 5);
          const t = b.create("fhe.apply_lookup_table", [x.v], [encT(x.shape, W, true)], { table: denseAttr(tensor([table.length], i64), table) });
          made = add(b.create("fhe.to_unsigned", [t.result], [encT(x.shape, W, false)]).result, x.shape, W, false);
          linearSinceTlu = 0;
        }
        break;
      }
    }
    if (made) step++;
  }
  const outs = [pool[pool.length - 1]!];
  if (pool.length > 3 && g.bool()) outs.push(pool[pool.length - 3]!);
  b.ret(outs.map((o) => o.v));
  func.resultTypes = outs.map((o) => o.v.type);
  const v = verifyModule(module, defaultRegistry);
  if (v.hasErrors()) throw new Error(`generated graph does not verify: ${v.diagnostics.map((d) => d.message).join("; ")}\n${printModule(module)}`);
  return { module, func, argRanges };
}

/** Deep copy through the textual form. */
export function cloneModule(m: ModuleOp): ModuleOp {
  const r = parseModule(printModule(m), "clone.mlir", defaultRegistry);
  if (!r.module) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.module;
}

/** Random inputs within the argument ranges; unless `corners` is false, the first samples are the corners (all lo, all hi). */
export function randomInputs(func: FuncOp, ranges: [number, number][], batch: number, seed: number, corners = true): BatchTensor[] {
  const g = new Gen(prng(seed));
  return func.args.map((a, i) => {
    const shape = shapeOf(a.type) as number[];
    const n = shape.reduce((x, y) => x * y, 1);
    const [lo, hi] = ranges[i]!;
    const data = new Float64Array(n * batch);
    for (let s = 0; s < batch; s++) for (let j = 0; j < n; j++) data[s * n + j] = corners && s === 0 ? lo : corners && s === 1 ? hi : g.int(lo, hi);
    return { batch, shape, data };
  });
}

/** Widest PBS input: table lookups, and with `withCasts` sign casts (lowered to re-encoding lookups). */
export const widestPbsInput = (func: FuncOp, withCasts = false): number =>
  Math.max(
    0,
    ...func.body.ops
      .filter((o) => o.name.includes("lookup_table") || (withCasts && (o.name === "fhe.to_signed" || o.name === "fhe.to_unsigned")))
      .map((o) => (elementOf(o.operands[0]!.type) as EncryptedIntType).width),
  );
