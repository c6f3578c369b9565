// Noise at every read, after parameter selection: each op where a PBS reads a value — a table
// lookup on an exact integer, an approximate `fhe.round`, an `fhe.rescale` window — records the
// standard deviation (fraction of the torus, per element) of what the PBS sees there:
//   σ² = ν²_pbs·σ²_BR + ν²_fresh·σ²_fresh + σ²_KS + σ²_MS   (σ²_MS = 0 for a read by decryption)
// as attribute `fhec.read_std`. The clear backend's `simulate` draws from it what FHE does
// (approximate rounding decisions, misread table entries); it survives the circuit's serialization.
// Every draw is independent: the runtime's keyswitch digits are zero-mean, so no part of the
// noise is shared by all reads through one key (tests/runtime/noise.test.ts checks this).
import { denseAttr, floatAttr } from "../../ir/attributes.js";
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import { elementOf, f64, tensor } from "../../ir/types.js";
import { analyzeNorms, DATA_MOVEMENT } from "./norms.js";
import { PARTITION_ATTR } from "./pass.js";
import { valuePartitions } from "./constraints_report.js";
import type { NoiseParameters } from "../../crypto-model/index.js";
import { type ConversionParameters, readTerms } from "./partitions.js";
import { compactsOutputs } from "./compact_outputs.js";
import { outputTarget } from "./output_key.js";

export const READ_STD_ATTR = "fhec.read_std";
/**
 * Where the read's rounding tie really is, in steps of the value read: the PBS rounds the phase to
 * an integer rotation out of 2N (round half up), and a q-bit table gives each entry N/2^q
 * rotations starting half a box early, so the integer rotation that first reads the upper entry
 * is half a rotation below the continuous tie: reads go up from f = 1/2 − 2^(q−1)/N.
 */
export const READ_OFFSET_ATTR = "fhec.read_offset";
const TABLES = new Set(["fhe.apply_lookup_table", "fhe.apply_mapped_lookup_table"]);

/** Whether a table's input was rounded by the PBS that reads it (its noise is drawn there). */
function roundedBefore(v: Value): boolean {
  const def = v.definingOp;
  if (!def) return false;
  if (def.name === "fhe.rescale") return true;
  if (def.name === "fhe.round") return (def.attr("method") as { value: string }).value === "approximate";
  if (DATA_MOVEMENT.has(def.name)) return def.operands.some(roundedBefore);
  return false;
}

/** The value whose noise a read sees, or undefined when the op reads nothing through a PBS here. */
function readValue(op: Operation): Value | undefined {
  if (op.name === "fhe.rescale") return op.result;
  if (op.name === "fhe.round") return (op.attr("method") as { value: string }).value === "approximate" ? op.result : undefined;
  if (TABLES.has(op.name)) return roundedBefore(op.operands[0]!) ? undefined : op.operands[0]!;
  return undefined;
}

/** Bits of the table index a read produces. */
function readBits(op: Operation, v: Value): number {
  return (elementOf(op.name === "fhe.rescale" || op.name === "fhe.round" ? op.result.type : v.type) as { width: number }).width;
}

/** The partition of the table that reads a rounded value (its first table reader), if any. */
function readerPartition(op: Operation, v: Value): number | undefined {
  if (TABLES.has(op.name)) return partitionOf(op);
  for (const use of v.uses) if (TABLES.has(use.op.name)) return partitionOf(use.op);
  return undefined;
}

function partitionOf(op: Operation): number {
  const a = op.attributes.get(PARTITION_ATTR);
  return a?.kind === "int" ? a.value : 0;
}

/**
 * Writes `fhec.read_std` and `fhec.read_offset` on every read of `func`, for its partitions'
 * parameter sets (one set: `[params]`, no conversions) and output key. Each read sees the noise of its value's
 * key (partition) and the keyswitch into the reading table's partition. Returns how many reads.
 */
export function annotateReadNoise(
  func: FuncOp,
  partitions: readonly NoiseParameters[],
  conversions: readonly Pick<ConversionParameters, "from" | "to" | "ksBaseLog" | "ksLevel">[] = [],
  outputKey?: number,
): number {
  const { elementNorms, constraints } = analyzeNorms(func);
  const compact = compactsOutputs(constraints);
  const homes = partitions.length > 1 ? valuePartitions(func) : undefined;
  let count = 0;
  for (const op of func.body.ops) {
    op.attributes.delete(READ_STD_ATTR);
    op.attributes.delete(READ_OFFSET_ATTR);
    const v = readValue(op);
    const n = v && elementNorms.get(v);
    if (!v || !n) continue;
    const source = homes?.get(v) ?? 0;
    // A rounding that only the function's results read is read by decryption: after the
    // keyswitch that compacts the outputs, no modulus switch, and the client rounds the phase
    // itself (no rotation offset).
    const decrypted = op.name === "fhe.round" && v.uses.every((u) => u.op.name === "func.return");
    const reader = decrypted ? undefined : (readerPartition(op, v) ?? source);
    const target = reader === undefined ? outputTarget(source, conversions, outputKey) : undefined;
    const t = readTerms({ source, reader, ...(target !== undefined ? { target } : {}) }, partitions, conversions, compact);
    const std = new Float64Array(n.pbs.length);
    for (let e = 0; e < std.length; e++) std[e] = Math.sqrt(n.pbs[e]! * t.bootstrap + n.fresh[e]! * t.fresh + t.keyswitch + t.modulusSwitch);
    op.attributes.set(READ_STD_ATTR, denseAttr(tensor([std.length], f64), std));
    op.attributes.set(READ_OFFSET_ATTR, floatAttr(reader === undefined ? 0 : 2 ** (readBits(op, v) - 1) / partitions[reader]!.polynomialSize));
    count++;
  }
  return count;
}
