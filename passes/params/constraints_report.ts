// Where every noise constraint of a (parametrized) fhe function sits and what it predicts: the
// partition whose big key holds the value read, the partition of the PBS reading it, and the
// conversion keyswitch in between when they differ. Used by `fhec info` (the `tables` list), so
// anyone can re-check each read with the noise model from the printed numbers alone.
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import { elementOf } from "../../ir/types.js";
import { PBS_OPS } from "./classes.js";
import { errorProbability } from "../../crypto-model/index.js";
import { compactsOutputs } from "./compact_outputs.js";
import { analyzeNorms, type NoiseConstraint, noiseBits } from "./norms.js";
import type { CryptoParameters } from "./optimizer.js";
import { INPUT_PARTITIONS_ATTR, LAST_STEP_PARTITION_ATTR, PARTITION_ATTR } from "./attributes.js";
import { roundEndsWithTable } from "../../ir/dialects/fhe.js";
import { type ConversionParameters, type Placement, readVariance } from "./partitions.js";
import { outputTarget } from "./output_key.js";

export interface ConstraintEntry {
  /** "table", "round-bit" or "output". */
  readonly kind: string;
  readonly op: string;
  readonly location: string;
  /** Index into the partitions: the PBS's partition, or for a decryption the value's. */
  readonly partition: number;
  /** Bits read. */
  readonly inputPrecision: number;
  /** Bits the noise must resolve: inputPrecision, or one less for reads of approximately rounded values. */
  readonly noisePrecision: number;
  /** ν² split into PBS-output units (σ²_BR of the value's partition) and fresh-encryption units (σ²_glwe). */
  readonly pbsNorm2: number;
  readonly freshNorm2: number;
  /** PBS (or decryptions) per sample this constraint stands for. */
  readonly count: number;
  /** Predicted error probability of one such read under the chosen sets. */
  readonly pError: number;
  /**
   * Present when the value arrives through a conversion keyswitch (big key of `from` → small key
   * of `partition`), and on a decryption of a compacted output (its partition's own keyswitch, or
   * the conversion into the output key, then `partition`).
   */
  readonly keyswitch?: { readonly from: number; readonly inputDimension: number; readonly ksBaseLog: number; readonly ksLevel: number; readonly lweNoiseStd: number };
}

const intOf = (op: Operation, name: string): number => {
  const a = op.attr(name);
  return a?.kind === "int" ? a.value : 0;
};

/** Partition of every encrypted value: arguments as annotated, PBS results their op's, others their input's. */
export function valuePartitions(func: FuncOp): Map<Value, number> {
  const out = new Map<Value, number>();
  const ins = func.attributes.get(INPUT_PARTITIONS_ATTR);
  func.args.forEach((a, i) => out.set(a, ins?.kind === "array" && ins.items[i]?.kind === "int" ? (ins.items[i] as { value: number }).value : 0));
  for (const op of func.body.ops) {
    if (op.results.length !== 1 || elementOf(op.result.type).kind !== "eint") continue;
    if (PBS_OPS.has(op.name)) out.set(op.result, intOf(op, PARTITION_ATTR));
    else if (roundEndsWithTable(op)) out.set(op.result, intOf(op, LAST_STEP_PARTITION_ATTR));
    else {
      const enc = op.operands.find((v) => out.has(v));
      out.set(op.result, enc ? out.get(enc)! : 0);
    }
  }
  return out;
}

/**
 * The partition whose keys run a read of `reader`: its `fhec.partition`, except the wide last step
 * of an exact rounding (its `table` constraint), which runs under its result's partition.
 */
export function readerPartitionOf(reader: Operation, kind: NoiseConstraint["kind"]): number {
  return intOf(reader, kind === "table" && reader.name === "fhe.round" ? LAST_STEP_PARTITION_ATTR : PARTITION_ATTR);
}

/** Each constraint's placement read back from the function's partition annotations. */
export function placementsOf(
  func: FuncOp,
  constraints: readonly NoiseConstraint[],
  conversions: readonly Pick<ConversionParameters, "from" | "to">[] = [],
  outputKey?: number,
): Placement[] {
  const home = valuePartitions(func);
  return constraints.map((c) => {
    const source = c.value ? (home.get(c.value) ?? 0) : 0;
    if (c.kind === "output") {
      const target = outputTarget(source, conversions, outputKey);
      return target === undefined ? { source, reader: undefined } : { source, reader: undefined, target };
    }
    return { source, reader: c.reader ? readerPartitionOf(c.reader, c.kind) : source };
  });
}

export function constraintReport(
  func: FuncOp,
  partitions: readonly CryptoParameters[],
  conversions: readonly ConversionParameters[],
  location: (op: Operation) => string,
  outputKey?: number,
): ConstraintEntry[] {
  const { constraints } = analyzeNorms(func);
  const placements = placementsOf(func, constraints, conversions, outputKey);
  const compact = compactsOutputs(constraints);
  return constraints.map((c, i) => {
    const pl = placements[i]!;
    const entry: ConstraintEntry = {
      kind: c.kind,
      op: c.op ?? "?",
      location: c.reader ? location(c.reader) : "?",
      partition: pl.reader ?? pl.target ?? pl.source,
      inputPrecision: c.precision,
      noisePrecision: noiseBits(c),
      pbsNorm2: c.pbsNorm2 ?? c.norm2,
      freshNorm2: c.freshNorm2 ?? 0,
      count: c.count ?? 1,
      pError: errorProbability(noiseBits(c), readVariance(c, pl, partitions, conversions, compact)),
    };
    const A = partitions[pl.source]!;
    if (pl.reader === undefined && pl.target === undefined) {
      if (!compact) return entry;
      // A compacted output through its own partition's keyswitching key, before decryption.
      return { ...entry, keyswitch: { from: pl.source, inputDimension: A.glweDimension * A.polynomialSize, ksBaseLog: A.ksBaseLog, ksLevel: A.ksLevel, lweNoiseStd: A.lweNoiseStd } };
    }
    const to = (pl.reader ?? pl.target)!;
    if (to === pl.source) return entry;
    const conv = conversions.find((x) => x.from === pl.source && x.to === to)!;
    return {
      ...entry,
      keyswitch: {
        from: pl.source,
        inputDimension: A.glweDimension * A.polynomialSize,
        ksBaseLog: conv.ksBaseLog,
        ksLevel: conv.ksLevel,
        lweNoiseStd: partitions[to]!.lweNoiseStd,
      },
    };
  });
}
