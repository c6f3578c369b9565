// tlu-fusion: (a) apply_lookup_table ∘ apply_lookup_table → one table; (b, c) an elementwise
// subgraph that computes a function of one encrypted value x (tables, splat-constant ops, negation,
// add/sub of two such functions of x, all of x's shape) and contains a table lookup becomes one
// table over x, computed by evaluating the subgraph on x's reachable values. Unreachable indices
// take the value of the nearest reachable one. Fuses only when at least one table lookup of the
// subgraph disappears, so the number of table lookups never grows.
import { type DenseAttr, denseAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { FuncOp, ModuleOp, Operation, Value } from "../ir/core.js";
import { tableIndex } from "../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, i64, intRange, shapeOf, tensor } from "../ir/types.js";
import { analyzeIntervals, type Interval, reachable } from "./bitwidth.js";
import type { Pass, PassReport } from "./pass.js";
import { composeTables, replaceWithTable } from "./tlu_compose.js";

/** Widest x the pass builds a table over. */
export const MAX_FUSED_INPUT_BITS = 16;

const isEnc = (v: Value): boolean => elementOf(v.type).kind === "eint";
const encOf = (v: Value): EncryptedIntType => elementOf(v.type) as EncryptedIntType;

function sameShape(a: Value, b: Value): boolean {
  const x = shapeOf(a.type);
  const y = shapeOf(b.type);
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/** The single value of a splat clear constant operand, or undefined. */
function splat(v: Value): number | undefined {
  const def = v.definingOp;
  if (!def || def.name !== "arith.constant") return undefined;
  const d = def.attr("value") as DenseAttr | undefined;
  if (!d || d.data.length === 0) return undefined;
  const c = d.data[0]!;
  return d.data.every((x) => x === c) ? c : undefined;
}

const UNARY_CONST: Record<string, { enc: number; clear: number }> = {
  "fhe.add_eint_int": { enc: 0, clear: 1 },
  "fhe.sub_eint_int": { enc: 0, clear: 1 },
  "fhe.mul_eint_int": { enc: 0, clear: 1 },
  "fhe.sub_int_eint": { enc: 1, clear: 0 },
};

/** Encrypted operands through which `op` is an elementwise function (undefined: not fusible). */
function fusibleInputs(op: Operation): Value[] | undefined {
  if (op.results.length !== 1 || !isEnc(op.result)) return undefined;
  const out = op.result;
  switch (op.name) {
    case "fhe.apply_lookup_table":
    case "fhe.neg_eint":
      return sameShape(op.operands[0]!, out) ? [op.operands[0]!] : undefined;
    case "fhe.add_eint":
    case "fhe.sub_eint": {
      const [a, b] = op.operands as [Value, Value];
      return sameShape(a, out) && sameShape(b, out) ? [a, b] : undefined;
    }
    default: {
      const u = UNARY_CONST[op.name];
      if (!u) return undefined;
      const x = op.operands[u.enc]!;
      return sameShape(x, out) && splat(op.operands[u.clear]!) !== undefined ? [x] : undefined;
    }
  }
}

/** For each value, the values it is an elementwise function of: [itself, nearest source, …, deepest]. */
function sourceChains(func: FuncOp): Map<Value, Value[]> {
  const chains = new Map<Value, Value[]>();
  const chain = (v: Value): Value[] => chains.get(v) ?? [v];
  for (const op of func.body.ops) {
    if (op.results.length !== 1) continue;
    const ins = fusibleInputs(op);
    if (!ins) continue;
    if (ins.length === 1) {
      chains.set(op.result, [op.result, ...chain(ins[0]!)]);
    } else {
      const cb = new Set(chain(ins[1]!));
      const ca = chain(ins[0]!);
      const at = ca.findIndex((v) => cb.has(v));
      if (at >= 0) chains.set(op.result, [op.result, ...ca.slice(at)]);
    }
  }
  return chains;
}

/** Evaluates `op` elementwise on arrays of sample values (exact integers; tables index mod 2^p). */
function evalOp(op: Operation, get: (v: Value) => Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  const o = op.operands;
  switch (op.name) {
    case "fhe.apply_lookup_table": {
      const t = (op.attr("table") as DenseAttr).data;
      const p = encOf(o[0]!).width;
      const a = get(o[0]!);
      for (let i = 0; i < n; i++) out[i] = t[tableIndex(a[i]!, p)]!;
      return out;
    }
    case "fhe.neg_eint": {
      const a = get(o[0]!);
      for (let i = 0; i < n; i++) out[i] = -a[i]!;
      return out;
    }
    case "fhe.add_eint":
    case "fhe.sub_eint": {
      const [a, b] = [get(o[0]!), get(o[1]!)];
      const s = op.name === "fhe.add_eint" ? 1 : -1;
      for (let i = 0; i < n; i++) out[i] = a[i]! + s * b[i]!;
      return out;
    }
    default: {
      const u = UNARY_CONST[op.name]!;
      const a = get(o[u.enc]!);
      const c = splat(o[u.clear]!)!;
      for (let i = 0; i < n; i++) {
        const x = a[i]!;
        out[i] = op.name === "fhe.add_eint_int" ? x + c : op.name === "fhe.sub_eint_int" ? x - c : op.name === "fhe.mul_eint_int" ? x * c : c - x;
      }
      return out;
    }
  }
}

interface Plan {
  readonly x: Value;
  readonly cone: Operation[];
  readonly dying: Set<Operation>;
}

function planFor(root: Operation, x: Value, position: Map<Operation, number>): Plan | undefined {
  const cone = new Set<Operation>([root]);
  const stack = [root];
  while (stack.length > 0) {
    const op = stack.pop()!;
    for (const a of fusibleInputs(op)!) {
      if (a === x) continue;
      const def = a.definingOp;
      if (!def || !fusibleInputs(def)) return undefined;
      if (!cone.has(def)) {
        cone.add(def);
        stack.push(def);
      }
    }
  }
  const ordered = [...cone].sort((p, q) => position.get(p)! - position.get(q)!);
  const tlus = ordered.filter((op) => op.name === "fhe.apply_lookup_table");
  if (tlus.length === 0) return undefined;
  if (ordered.length === 1 && root.operands[0] === x) return undefined; // already one table on x
  const dying = new Set<Operation>([root]);
  for (let i = ordered.length - 1; i >= 0; i--) {
    const op = ordered[i]!;
    if (op === root) continue;
    if (op.result.uses.every((u) => dying.has(u.op))) dying.add(op);
  }
  if (![...dying].some((op) => op.name === "fhe.apply_lookup_table")) return undefined;
  return { x, cone: ordered, dying };
}

/** The fused table over x, or undefined when some reachable value would not fit the result. */
function fusedTable(plan: Plan, root: Operation, reach: Interval): Float64Array | undefined {
  const n = reach.hi - reach.lo + 1;
  const vals = new Map<Value, Float64Array>();
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = reach.lo + i;
  vals.set(plan.x, xs);
  const get = (v: Value): Float64Array => vals.get(v)!;
  for (const op of plan.cone) {
    const r = evalOp(op, get, n);
    // A reachable value that overflows would be an error in the original program: keep it as is.
    const t = encOf(op.result);
    const { min, max } = intRange(t.width, t.signed);
    if (r.some((v) => v < min || v > max)) return undefined;
    vals.set(op.result, r);
  }
  const f = get(root.result);
  const e = encOf(plan.x);
  const dom = intRange(e.width, e.signed);
  const table = new Float64Array(2 ** e.width);
  for (let v = dom.min; v <= dom.max; v++) {
    const src = Math.min(Math.max(v, reach.lo), reach.hi);
    table[tableIndex(v, e.width)] = f[src - reach.lo]!;
  }
  return table;
}

/**
 * mapped(alt(x, t), T) → mapped(x, T ∘ t) and alt(mapped(x, T), t) → mapped(x, t ∘ T): per-channel
 * tables compose row by row. The inner op stays if it has other users.
 */
function composeMapped(outer: Operation): boolean {
  const inner = outer.operands[0]!.definingOp;
  if (!inner) return false;
  const outerMapped = outer.name === "fhe.apply_mapped_lookup_table";
  const innerMapped = inner.name === "fhe.apply_mapped_lookup_table";
  if (!(outerMapped || innerMapped) || (outerMapped && innerMapped)) return false;
  if (!TABLE_OPS_ALL.has(inner.name)) return false;
  const x = inner.operands[0]!;
  const pIn = encOf(x).width;
  const pMid = encOf(inner.result).width;
  const mapped = outerMapped ? outer : inner;
  const rowsAttr = mapped.attr("tables") as DenseAttr;
  const rows = rowsAttr.type.shape[0]!;
  const data = new Float64Array(rows * 2 ** pIn);
  if (outerMapped) {
    const t1 = (inner.attr("table") as DenseAttr).data;
    for (let r = 0; r < rows; r++) for (let i = 0; i < 2 ** pIn; i++) data[r * 2 ** pIn + i] = rowsAttr.data[r * 2 ** pMid + tableIndex(t1[i]!, pMid)]!;
  } else {
    const t2 = (outer.attr("table") as DenseAttr).data;
    for (let j = 0; j < data.length; j++) data[j] = t2[tableIndex(rowsAttr.data[j]!, pMid)]!;
  }
  const op = Builder.before(outer).create(
    "fhe.apply_mapped_lookup_table",
    [x],
    [outer.result.type],
    { tables: denseAttr(tensor([rows, 2 ** pIn], i64), data), map: mapped.attr("map")! },
    { loc: outer.loc, names: [outer.result.nameHint] },
  );
  outer.result.replaceAllUsesWith(op.result);
  outer.erase();
  if (inner.result.uses.length === 0) inner.erase();
  return true;
}

const TABLE_OPS_ALL = new Set(["fhe.apply_lookup_table", "fhe.apply_mapped_lookup_table"]);

export function fuseFunc(func: FuncOp): { composed: number; fused: number } {
  // (a) TLU ∘ TLU, to a fixed point.
  let composed = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (const op of [...func.body.ops]) {
      if (op.parent !== func.body || !TABLE_OPS_ALL.has(op.name)) continue;
      if (op.name === "fhe.apply_lookup_table" ? composeTables(op) || composeMapped(op) : composeMapped(op)) {
        composed++;
        changed = true;
      }
    }
  }
  // (b, c) elementwise subgraphs of one source.
  const chains = sourceChains(func);
  const intervals = analyzeIntervals(func);
  const position = new Map(func.body.ops.map((op, i) => [op, i] as [Operation, number]));
  let fused = 0;
  for (const root of [...func.body.ops].reverse()) {
    if (root.parent !== func.body || root.results.length !== 1) continue;
    const chain = chains.get(root.result);
    if (!chain || chain.length < 2) continue;
    for (let i = chain.length - 1; i >= 1; i--) {
      const x = chain[i]!;
      if (encOf(x).width > MAX_FUSED_INPUT_BITS) continue;
      const plan = planFor(root, x, position);
      if (!plan) continue;
      const iv = intervals.get(x);
      const reach = iv && reachable(iv, x.type);
      if (!reach) continue;
      const table = fusedTable(plan, root, reach);
      if (!table) continue;
      replaceWithTable(root, x, table);
      const clear = new Set<Operation>();
      for (const dead of [...plan.dying].sort((p, q) => position.get(q)! - position.get(p)!)) {
        for (const v of dead.operands) if (v.definingOp?.name === "arith.constant") clear.add(v.definingOp);
        dead.erase();
      }
      for (const c of clear) if (c.result.uses.length === 0) c.erase();
      fused++;
      break;
    }
  }
  return { composed, fused };
}

export const tluFusionPass: Pass = {
  name: "tlu-fusion",
  summary: "Compose table lookups and fold elementwise subgraphs of one encrypted value into one table",
  options: {},
  run(module: ModuleOp): PassReport {
    let composed = 0;
    let fused = 0;
    for (const func of module.funcs) {
      const r = fuseFunc(func);
      composed += r.composed;
      fused += r.fused;
    }
    return { changed: composed + fused > 0, details: { composed, fused } };
  },
};
