// Table composition shared by canonicalize and tlu-fusion: apply_lookup_table ∘ apply_lookup_table
// becomes one table; and the rewrite both end with, a table lookup taking over an op's uses.
import { type DenseAttr, denseAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { Operation, Value } from "../ir/core.js";
import { tableIndex } from "../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, i64, tensor } from "../ir/types.js";

/** alt(alt(x, t1), t2) → alt(x, t2 ∘ t1). The inner op stays if it has other users. */
export function composeTables(outer: Operation): Operation[] | undefined {
  const inner = outer.operands[0]!.definingOp;
  if (!inner || inner.name !== "fhe.apply_lookup_table") return undefined;
  const t1 = inner.attr("table") as DenseAttr;
  const t2 = outer.attr("table") as DenseAttr;
  const mid = elementOf(inner.result.type) as EncryptedIntType;
  const composed = Array.from(t1.data, (v) => t2.data[tableIndex(v, mid.width)]!);
  const fused = replaceWithTable(outer, inner.operands[0]!, composed);
  outer.erase();
  const revisit = [fused, ...fused.result.uses.map((u) => u.op)];
  if (inner.result.uses.length === 0) inner.erase();
  return revisit;
}

/** A table lookup of `x` inserted before `root` takes over `root`'s uses (root itself stays). */
export function replaceWithTable(root: Operation, x: Value, table: ArrayLike<number>): Operation {
  const op = Builder.before(root).create(
    "fhe.apply_lookup_table",
    [x],
    [root.result.type],
    { table: denseAttr(tensor([table.length], i64), table) },
    { loc: root.loc, names: [root.result.nameHint] },
  );
  root.result.replaceAllUsesWith(op.result);
  return op;
}
