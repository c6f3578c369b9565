// Key classes of an `fhe` function: which encrypted values must live under the same big LWE key.
// A table lookup's result is produced under the big key of the table's partition; linear ops (and
// data movement, rounding) combine their encrypted operands coefficient-wise, which is only
// defined when all of them are under one key. So the operands and result of every linear op are
// unioned into one class, and each class lives in one partition. The alternative, a big→big
// keyswitch in front of the linear op, would add a keyswitch per element of every mixed operand
// and a noise term to every read behind it; circuits rarely mix partitions in one linear op (a
// residual add of two differently-sized tables), so merging is simpler and never less correct.
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import { elementOf } from "../../ir/types.js";
import { roundEndsWithTable } from "../../ir/dialects/fhe.js";

/** Ops whose result starts a new class (a PBS writes under its own partition's big key). */
export const PBS_OPS: ReadonlySet<string> = new Set(["fhe.apply_lookup_table", "fhe.apply_mapped_lookup_table", "fhe.to_signed", "fhe.to_unsigned"]);

export interface KeyClasses {
  /** Class of every encrypted value (0..count−1). */
  readonly classOf: ReadonlyMap<Value, number>;
  readonly count: number;
}

const isEnc = (v: Value): boolean => elementOf(v.type).kind === "eint";

export function keyClasses(func: FuncOp): KeyClasses {
  const parent: number[] = [];
  const node = new Map<Value, number>();
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const fresh = (v: Value): number => {
    const id = parent.length;
    parent.push(id);
    node.set(v, id);
    return id;
  };
  for (const a of func.args) if (isEnc(a)) fresh(a);
  for (const op of func.body.ops as readonly Operation[]) {
    if (op.results.length !== 1 || !isEnc(op.result)) continue;
    const id = fresh(op.result);
    // An exact rounding ending with a wide step also writes its result with a PBS.
    if (PBS_OPS.has(op.name) || roundEndsWithTable(op)) continue;
    // Linear ops, data movement and rounding: one key for all encrypted operands and the result.
    for (const v of op.operands) {
      const o = node.get(v);
      if (o !== undefined) parent[find(o)] = find(id);
    }
  }
  const dense = new Map<number, number>();
  const classOf = new Map<Value, number>();
  for (const [v, id] of node) {
    const root = find(id);
    if (!dense.has(root)) dense.set(root, dense.size);
    classOf.set(v, dense.get(root)!);
  }
  return { classOf, count: dense.size };
}
