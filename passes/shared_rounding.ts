// shared_rounding: one exact-rounding chain per distinct comparison input, not one per comparison.
//
// The comparisons pass lowers `x ≥ j` on a selected feature to y = x + o (o = c − j, a clear
// constant per element), an exact `fhe.round` of k bits and a 1–2-bit table. Exact rounding pays
// one 1-bit PBS per removed bit and per element. Two elements that select the same linear
// combination of the inputs (equal columns of the constant selection matmul: two comparisons of
// one feature) with offsets o ≡ o' (mod 2^k) round to r and r + δ, δ = (o' − o)/2^k, for every
// input, since round(y + δ·2^k) = round(y) + δ exactly. So one chain serves both: the selection
// keeps one column per class, a gather repeats the rounded values, and the second element's table
// row reads r shifted by δ. Repeated thresholds (δ = 0, frequent in ensembles) and thresholds of one
// feature 2^k codes apart share this way; the decisions are the same for every input code.
import { type DenseAttr, denseAttr, intAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { FuncOp, Operation, Value } from "../ir/core.js";
import { fail } from "../ir/diagnostics.js";
import { tableIndex } from "../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, i64, intRange, shapeOf, tensor } from "../ir/types.js";
import { analyzeIntervals, applyBitwidths, reachable, roundExact } from "./bitwidth.js";

const encOf = (v: Value): EncryptedIntType => elementOf(v.type) as EncryptedIntType;

/** A lowered comparison as the comparisons pass writes it: table(round(matmul(src, W) + offsets)). */
interface Chain {
  readonly table: Operation;
  readonly round: Operation;
  readonly add: Operation;
  readonly select: Operation;
  /** The selection matrix [F, E] and the offset of each of the E elements. */
  readonly weights: DenseAttr;
  readonly offsets: number[];
  /** Bits the round removes. */
  readonly k: number;
}

const constantOf = (v: Value): DenseAttr | undefined => {
  const def = v.definingOp;
  return def?.name === "arith.constant" ? (def.attr("value") as DenseAttr) : undefined;
};

function asChain(table: Operation): Chain | undefined {
  const round = table.operands[0]!.definingOp;
  if (round?.name !== "fhe.round" || !round.result.hasOneUse()) return undefined;
  const method = round.attr("method");
  if (method?.kind !== "string" || method.value !== "exact") return undefined;
  const add = round.operands[0]!.definingOp;
  if (add?.name !== "fhe.add_eint_int" || !add.result.hasOneUse()) return undefined;
  const select = add.operands[0]!.definingOp;
  const cst = constantOf(add.operands[1]!);
  if (select?.name !== "fhe.matmul_eint_int" || !select.result.hasOneUse() || !cst) return undefined;
  const weights = constantOf(select.operands[1]!);
  const shape = shapeOf(select.result.type) as number[];
  if (!weights || weights.type.shape.length !== 2 || shape.length !== 2 || shape[0] !== 1) return undefined;
  const elements = shape[1]!;
  if (cst.data.length !== 1 && cst.data.length !== elements) return undefined;
  const offsets = Array.from({ length: elements }, (_, e) => cst.data[cst.data.length === 1 ? 0 : e]!);
  const k = encOf(round.operands[0]!).width - encOf(round.result).width;
  return { table, round, add, select, weights, offsets, k };
}

/** Per element, the index of the element whose chain it reads and its shift δ. */
function classes(c: Chain): { rep: number[]; delta: number[]; reps: number[] } {
  const [features, elements] = c.weights.type.shape as [number, number];
  const d = 2 ** c.k;
  const byKey = new Map<string, number>();
  const reps: number[] = [];
  const rep: number[] = [];
  const delta: number[] = [];
  for (let e = 0; e < elements; e++) {
    const column = Array.from({ length: features }, (_, f) => c.weights.data[f * elements + e]!);
    const o = c.offsets[e]!;
    const key = `${column.join(",")}|${((o % d) + d) % d}`;
    let at = byKey.get(key);
    if (at === undefined) {
      at = reps.length;
      byKey.set(key, at);
      reps.push(e);
    }
    rep.push(at);
    delta.push((o - c.offsets[reps[at]!]!) / d);
  }
  return { rep, delta, reps };
}

/** The table attribute of a lowered comparison and each element's row (all 0 for a plain table). */
function tableRows(table: Operation, elements: number): { rows: DenseAttr; rowOf: ArrayLike<number> } {
  const mapped = table.name === "fhe.apply_mapped_lookup_table";
  return {
    rows: table.attr(mapped ? "tables" : "table") as DenseAttr,
    rowOf: mapped ? (table.attr("map") as DenseAttr).data : new Float64Array(elements),
  };
}

/** The table rows after sharing: element e's old row shifted by δ_e (deduplicated), and its map. */
function shiftedRows(c: Chain, delta: number[]): { rows: Float64Array; map: Float64Array } {
  const r = encOf(c.round.result);
  const size = 2 ** r.width;
  const { min, max } = intRange(r.width, r.signed);
  const { rows: old, rowOf: oldMap } = tableRows(c.table, delta.length);
  const index = new Map<string, number>();
  const rows: number[] = [];
  const map = delta.map((dl, e) => {
    const row = oldMap[e]!;
    const key = `${row}:${dl}`;
    let at = index.get(key);
    if (at === undefined) {
      at = index.size;
      index.set(key, at);
      // Values v + δ outside the q-bit range are never read (r + δ is the old, in-range input).
      const base = rows.length;
      rows.length += size;
      for (let v = min; v <= max; v++) rows[base + tableIndex(v, r.width)] = old.data[row * size + tableIndex(Math.min(max, Math.max(min, v + dl)), r.width)]!;
    }
    return at;
  });
  return { rows: Float64Array.from(rows), map: Float64Array.from(map) };
}

/** Checks every element against the original lowering for every reachable selected value. */
function checkShared(func: FuncOp, c: Chain, rep: number[], reps: number[], rows: Float64Array, map: Float64Array): void {
  const reach = reachable(analyzeIntervals(func).get(c.select.result)!, c.select.result.type);
  if (!reach) return;
  const r = encOf(c.round.result);
  const size = 2 ** r.width;
  const { rows: old, rowOf: oldMap } = tableRows(c.table, rep.length);
  for (let e = 0; e < rep.length; e++) {
    const o = c.offsets[e]!;
    const oRep = c.offsets[reps[rep[e]!]!]!;
    for (let x = reach.lo; x <= reach.hi; x++) {
      const before = old.data[oldMap[e]! * size + tableIndex(roundExact(x + o, c.k), r.width)];
      const after = rows[map[e]! * size + tableIndex(roundExact(x + oRep, c.k), r.width)];
      if (before !== after) fail("E0302", `internal: shared rounding of element ${e} differs at x = ${x}`, c.table.loc, c.table.name);
    }
  }
}

/** One chain after sharing: the table op that replaced the original, and the rounded elements before and after. */
export interface SharedChain {
  readonly table: Operation;
  readonly before: number;
  readonly after: number;
}

/** Rewrites one chain to round each class once. */
function share(func: FuncOp, c: Chain): SharedChain | undefined {
  const { rep, delta, reps } = classes(c);
  if (reps.length === rep.length) return undefined;
  const { rows, map } = shiftedRows(c, delta);
  checkShared(func, c, rep, reps, rows, map);
  const [features, elements] = c.weights.type.shape as [number, number];
  const b = Builder.before(c.table);
  const m = reps.length;
  const weights = new Float64Array(features * m);
  reps.forEach((e, j) => {
    for (let f = 0; f < features; f++) weights[f * m + j] = c.weights.data[f * elements + e]!;
  });
  const cstType = (c.add.operands[1]!.definingOp!.attr("value") as DenseAttr).type.element;
  const w = b.constant(denseAttr(tensor([features, m], c.weights.type.element), weights));
  const at = (v: Value, shape: number[]) => tensor(shape, elementOf(v.type));
  const select = b.create("fhe.matmul_eint_int", [c.select.operands[0]!, w], [at(c.select.result, [1, m])], [], { names: [c.select.result.nameHint] }).result;
  const cst = b.constant(denseAttr(tensor([1, m], cstType), reps.map((e) => c.offsets[e]!)));
  const y = b.create("fhe.add_eint_int", [select, cst], [at(c.add.result, [1, m])]).result;
  const round = b.create("fhe.round", [y], [at(c.round.result, [1, m])], c.round.attributes).result;
  const gathered = b.create("fhe.gather", [round], [at(c.round.result, [1, elements])], { indices: denseAttr(tensor([elements], i64), rep), axis: intAttr(1) }).result;
  const size = 2 ** encOf(c.round.result).width;
  const tables = denseAttr(tensor([rows.length / size, size], tableRows(c.table, elements).rows.type.element), rows);
  const attrs = { tables, map: denseAttr(tensor([1, elements], i64), map) };
  const table = b.create("fhe.apply_mapped_lookup_table", [gathered], [c.table.result.type], attrs, { names: [c.table.result.nameHint] });
  c.table.result.replaceAllUsesWith(table.result);
  const oldCst = c.add.operands[1]!.definingOp!;
  const oldWeights = c.select.operands[1]!.definingOp!;
  for (const op of [c.table, c.round, c.add, c.select]) op.erase();
  for (const op of [oldCst, oldWeights]) if (op.result.uses.length === 0) op.erase();
  return { table, before: elements, after: m };
}

/**
 * One exact-rounding chain per class of equal selected inputs with congruent offsets (see the
 * header), for the given lowered comparison tables; maps each rewritten table to its replacement.
 */
export function shareRoundingChains(func: FuncOp, tables: readonly Operation[]): Map<Operation, SharedChain> {
  const out = new Map<Operation, SharedChain>();
  for (const table of tables) {
    const c = asChain(table);
    const shared = c && share(func, c);
    if (shared) out.set(table, shared);
  }
  if (out.size > 0) applyBitwidths(func);
  return out;
}
