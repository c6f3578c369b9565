// Table widths after the parameters are chosen. A partition's keys are sized for its widest read,
// so a narrower table in the same partition pays for bits it does not read: the same PBS could
// read its window with finer cells. These are the widths to try instead (compile keeps them only
// when the circuit parametrized again is at most 1% slower and its keys still fit).
import type { ModuleOp, Operation } from "../ir/core.js";
import { TABLE_OPS } from "../passes/bitwidth.js";
import { CRYPTO_ATTR, cryptoParametersFromAttr, PARTITION_ATTR, partitionsFromModule } from "../passes/params/index.js";

/** The precision of the parameter set each table op of `module` reads with, in op order (undefined when a table has none). */
export function tablePartitionPrecisions(module: ModuleOp): (number | undefined)[] {
  const func = module.funcs[0]!;
  const sets = partitionsFromModule(module)?.partitions ?? [cryptoParametersFromAttr(module.attributes.get(CRYPTO_ATTR))];
  const partOf = (op: Operation): number => {
    const a = op.attributes.get(PARTITION_ATTR);
    return a?.kind === "int" ? a.value : 0;
  };
  return func.body.ops.filter((op) => TABLE_OPS.has(op.name)).map((op) => sets[partOf(op)]?.precision);
}

/**
 * Each table at its partition's precision (never narrower than `bits`, never wider than `maxBits`),
 * or undefined when no table would change or the tables do not match `bits` one for one.
 */
export function widthsAtPartitionPrecision(module: ModuleOp, bits: readonly number[], maxBits: number): number[] | undefined {
  const precisions = tablePartitionPrecisions(module);
  if (precisions.length !== bits.length || precisions.some((p) => p === undefined)) return undefined;
  const wider = bits.map((b, i) => Math.max(b, Math.min(precisions[i]!, maxBits)));
  return wider.some((b, i) => b !== bits[i]) ? wider : undefined;
}
