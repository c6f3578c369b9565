// Noise at every read, after parameter selection: each op where a PBS reads a value — a table
// lookup on an exact integer, an approximate `fhe.round`, an `fhe.rescale` window, every bit of an
// exact `fhe.round` — records the standard deviation (fraction of the torus, per element) of what
// the PBS sees there:
//   σ² = ν²_pbs·σ²_BR + ν²_fresh·σ²_fresh + σ²_KS + σ²_MS   (σ²_MS = 0 for a read by decryption)
// as attribute `fhec.read_std`. An exact rounding in S extraction steps records S·n values, step
// after step: the 1-bit step at bit i reads y·2^(P−i), a wide last step y itself (passes/lower_tfhe.ts
// lowerExactRound), whose ciphertext carries the input's noise plus the PBS outputs of the steps
// before it, so for step s ν² = 4^(P−i)·(ν²_pbs + s, ν²_fresh) (no 4^(P−i) for the wide one) —
// the `round-bit` constraints of norms.ts, here per element with the exact keyswitch and modulus
// switch terms. The clear backend's `simulate` draws from it what FHE does
// (approximate rounding decisions, misread table entries); it survives the circuit's serialization.
// Every draw is independent: the runtime's keyswitch digits are zero-mean, so no part of the
// noise is shared by all reads through one key (tests/runtime/noise.test.ts checks this).
import { denseAttr, floatAttr } from "../../ir/attributes.js";
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import { elementOf, f64, tensor } from "../../ir/types.js";
import { roundDigits, roundEndsWithTable } from "../../ir/dialects/fhe.js";
import { analyzeNorms, DATA_MOVEMENT } from "./norms.js";
import { PARTITION_ATTR } from "./attributes.js";
import { readerPartitionOf, valuePartitions } from "./constraints_report.js";
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
  if (op.name === "fhe.round") return isExactRound(op) ? op.operands[0]! : op.result;
  if (TABLES.has(op.name)) return roundedBefore(op.operands[0]!) ? undefined : op.operands[0]!;
  return undefined;
}

const isExactRound = (op: Operation): boolean => op.name === "fhe.round" && (op.attr("method") as { value: string }).value === "exact";
const widthOf = (v: Value): number => (elementOf(v.type) as { width: number }).width;

/**
 * Bits of the table index a read produces, for its offset 2^(bits−1)/N in steps of 2^−(bits+1)
 * of the torus. An exact-rounding bit is a 1-bit PBS, but its offset is recorded in units of the
 * bit it reads (half the torus, backends/simulation/exact_round.ts): 0 bits. A rounding ending with
 * a wide step records one offset per step instead, each in its read's unit (exact_round_steps.ts).
 */
function readBits(op: Operation, v: Value): number {
  if (isExactRound(op)) return 0;
  return widthOf(op.name === "fhe.rescale" || op.name === "fhe.round" ? op.result : v);
}

/** The partition of the table that reads a rounded value (its first table reader), if any. */
function readerPartition(op: Operation, v: Value): number | undefined {
  if (TABLES.has(op.name) || isExactRound(op)) return partitionOf(op);
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
    if (!v || !n || (isExactRound(op) && widthOf(v) === widthOf(op.result))) continue;
    const source = homes?.get(v) ?? 0;
    // A rounding that only the function's results read is read by decryption: after the
    // keyswitch that compacts the outputs, no modulus switch, and the client rounds the phase
    // itself (no rotation offset).
    const decrypted = op.name === "fhe.round" && !isExactRound(op) && v.uses.every((u) => u.op.name === "func.return");
    const reader = decrypted ? undefined : (readerPartition(op, v) ?? source);
    const termsAt = (reader: number | undefined) => {
      const target = reader === undefined ? outputTarget(source, conversions, outputKey) : undefined;
      return readTerms({ source, reader, ...(target !== undefined ? { target } : {}) }, partitions, conversions, compact);
    };
    const size = n.pbs.length;
    // Exact rounding: one read per extraction step and element, after s PBS outputs were added: a
    // 1-bit step at bit i scaled by 2^(P−i), a wide last step unscaled.
    // The wide step runs under the round result's partition (its own keyswitch and N).
    const digits = isExactRound(op) ? roundDigits(op) : [0];
    const wide = roundEndsWithTable(op);
    const lastReader = wide ? readerPartitionOf(op, "table") : reader;
    const std = new Float64Array(digits.length * size);
    let i = 0;
    digits.forEach((d, s) => {
      const t = termsAt(wide && s === digits.length - 1 ? lastReader : reader);
      const amp = isExactRound(op) && d === 1 ? 4 ** (widthOf(v) - i) : 1;
      for (let e = 0; e < size; e++) {
        std[s * size + e] = Math.sqrt(amp * ((n.pbs[e]! + s) * t.bootstrap + n.fresh[e]! * t.fresh) + t.keyswitch + t.modulusSwitch);
      }
      i += d;
    });
    op.attributes.set(READ_STD_ATTR, denseAttr(tensor([std.length], f64), std));
    if (wide) {
      // One offset per step, in the unit of its read: a 1-bit step's half torus, the last step's Δ_(d+q).
      const offsets = digits.map((d, s) => (s === digits.length - 1 ? 2 ** (d + widthOf(op.result) - 1) / partitions[lastReader!]!.polynomialSize : 2 ** -1 / partitions[reader!]!.polynomialSize));
      op.attributes.set(READ_OFFSET_ATTR, denseAttr(tensor([offsets.length], f64), offsets));
    } else op.attributes.set(READ_OFFSET_ATTR, floatAttr(reader === undefined ? 0 : 2 ** (readBits(op, v) - 1) / partitions[reader]!.polynomialSize));
    count++;
  }
  return count;
}
