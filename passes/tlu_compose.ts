// Table composition shared by canonicalize and tlu-fusion: apply_lookup_table ∘ apply_lookup_table
// becomes one table.
import { type DenseAttr, denseAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { Operation } from "../ir/core.js";
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
  const x = inner.operands[0]!;
  const fused = Builder.before(outer).create(
    "fhe.apply_lookup_table",
    [x],
    [outer.result.type],
    { table: denseAttr(tensor([composed.length], i64), composed) },
    { loc: outer.loc, names: [outer.result.nameHint] },
  );
  outer.result.replaceAllUsesWith(fused.result);
  outer.erase();
  const revisit = [fused, ...fused.result.uses.map((u) => u.op)];
  if (inner.result.uses.length === 0) inner.erase();
  return revisit;
}
