// lower-to-tfhe: rewrites the `fhe` dialect into the `tfhe` dialect (LWE ciphertexts with a
// per-value encoding) with open crypto parameters (`ks = "?"`, `pbs = "?"`); `tfhe-params`
// (passes/tfhe_params.ts) fills them in.
//
// Encoding contract: a value of type !fhe.eint<p> / !fhe.esint<p> becomes !tfhe.lwe<p, big>, an LWE
// ciphertext under the big key holding v·Δ_p mod 2^64 with Δ_p = 2^(63−p) (one padding bit;
// negative values in two's complement on the torus). Signedness is not part of the LWE type: it
// only matters where a value is looked up (lowering adds the offset) or decrypted (the function
// records its encrypted signature in `fhec.encrypted_io`).
//
//   linear ops            → tfhe.add_lwe / sub_lwe / neg_lwe / add_lwe_int / sub_lwe_int /
//                            sub_int_lwe / mul_lwe_int / dot_lwe_int / matmul_* / conv2d_lwe / sum_lwe
//   apply_lookup_table     → [add_lwe_int 2^(p−1) if signed] → keyswitch → bootstrap (table
//                            rotated by 2^(p−1) for signed inputs, so index j reads T[(j − 2^(p−1)) mod 2^p])
//   apply_mapped_lookup_table → same with tfhe.mapped_bootstrap
//   round approximate      → tfhe.reinterpret_precision (free: Δ_q = Δ_p·2^k) when only tables,
//                            data movement or the function results read it; otherwise followed by
//                            an identity lookup so linear ops see an integer again
//   round exact            → a 1-bit bootstrap per removed bit, the top ones possibly read with the
//                            kept bits by one wider table (see lowerExactRound)
//   to_signed/to_unsigned  → a table lookup re-encoding the value (the padding bit changes)
//   data movement          → the same fhe.* op on LWE tensors (pad fills trivial encryptions)
//   func.return            → in a circuit that runs PBS, a keyswitch to the small key of each
//                            encrypted result's partition (compact outputs, params/compact_outputs.ts)
import { type Attribute, arrayAttr, type DenseAttr, denseAttr, dictAttr, intAttr, stringAttr, typeAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { FuncOp, ModuleOp, Operation, Value } from "../ir/core.js";
import { fail } from "../ir/diagnostics.js";
import { roundDigits, roundEndsWithTable, tableIndex } from "../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, i64, lwe, shapeOf, tensor, type Type, withElement } from "../ir/types.js";
import { countingPass, type Pass } from "./pass.js";
import { INPUT_PARTITIONS_ATTR, PARTITION_ATTR, PARTITIONS_ATTR, partitionsFromModule } from "./params/pass.js";
import { LAST_STEP_PARTITION_ATTR } from "./params/attributes.js";
import { outputTarget } from "./params/output_key.js";
import { tfheParamsPass } from "./tfhe_params.js";
import { runsPbs } from "./params/compact_outputs.js";

export { tfheParamsPass };

/** Function attribute recording the encrypted (fhe) types of the arguments and results. */
export const ENCRYPTED_IO_ATTR = "fhec.encrypted_io";

/** Function attribute of a partitioned program: the partition whose big key holds each result. */
export const OUTPUT_PARTITIONS_ATTR = "fhec.output_partitions";
/** Op attributes of a partitioned program: bootstrap `partition`, keyswitch `from` → `to`. */
export const BSK_PARTITION_ATTR = "partition";
export const KS_FROM_ATTR = "from";
export const KS_TO_ATTR = "to";

/** Open parameter marker written on keyswitch / bootstrap ops. */
const OPEN: Attribute = stringAttr("?");

const LINEAR: Readonly<Record<string, string>> = {
  "fhe.add_eint": "tfhe.add_lwe",
  "fhe.add_eint_int": "tfhe.add_lwe_int",
  "fhe.sub_eint": "tfhe.sub_lwe",
  "fhe.sub_eint_int": "tfhe.sub_lwe_int",
  "fhe.sub_int_eint": "tfhe.sub_int_lwe",
  "fhe.mul_eint_int": "tfhe.mul_lwe_int",
  "fhe.neg_eint": "tfhe.neg_lwe",
  "fhe.dot_eint_int": "tfhe.dot_lwe_int",
  "fhe.matmul_eint_int": "tfhe.matmul_lwe_int",
  "fhe.matmul_int_eint": "tfhe.matmul_int_lwe",
  "fhe.conv2d": "tfhe.conv2d_lwe",
  "fhe.sum": "tfhe.sum_lwe",
};

const MOVES = new Set(["fhe.reshape", "fhe.transpose", "fhe.concat", "fhe.slice", "fhe.pad", "fhe.gather"]);

const isEnc = (t: Type): boolean => elementOf(t).kind === "eint";

/** The LWE type of an encrypted fhe type (big key, same precision and shape). */
export function lweTypeOf(t: Type): Type {
  const e = elementOf(t);
  if (e.kind !== "eint") return t;
  return withElement(t, lwe(e.width, "big"));
}

/** Table rotated for a signed p-bit input offset by 2^(p−1): out[j] = table[tableIndex(j − 2^(p−1), p)]. */
export function signedTable(table: ArrayLike<number>, p: number): Float64Array {
  const m = 2 ** p;
  const half = m / 2;
  const out = new Float64Array(m);
  for (let j = 0; j < m; j++) out[j] = table[tableIndex(j - half, p)]!;
  return out;
}

interface Lowerer {
  readonly b: Builder;
  /** Partitioned module: keyswitches and bootstraps name their keys (absent for one set). */
  readonly multi: boolean;
  /** Partition whose big key holds a (lowered) value. */
  readonly home: (v: Value) => number;
  /** Partition of the fhe op being lowered (its PBS keys). */
  readonly part: number;
  /** Original (fhe) type of a value, whatever it has been rewritten to. */
  readonly enc: (v: Value) => EncryptedIntType;
  readonly map: (v: Value) => Value;
  /** Records the partition of a value created inside a lowering (read by later keyswitches). */
  readonly setHome: (v: Value, p: number) => void;
}

function scalarConst(b: Builder, value: number): Value {
  return b.constant(denseAttr(tensor([], i64), [value]));
}

function keyswitchOf(l: Pick<Lowerer, "b" | "multi" | "home" | "part">, x: Value, p: number): Value {
  const attrs: Record<string, Attribute> = { ks: OPEN };
  if (l.multi) {
    attrs[KS_FROM_ATTR] = intAttr(l.home(x));
    attrs[KS_TO_ATTR] = intAttr(l.part);
  }
  return l.b.create("tfhe.keyswitch", [x], [withElement(x.type, lwe(p, "small"))], attrs).result;
}

/** `pbs = "?"` plus, in a partitioned module, the partition whose BSK runs it. */
function pbsAttrs(l: Pick<Lowerer, "multi" | "part">, attrs: Record<string, Attribute>): Record<string, Attribute> {
  return l.multi ? { ...attrs, pbs: OPEN, [BSK_PARTITION_ATTR]: intAttr(l.part) } : { ...attrs, pbs: OPEN };
}

/** x (lwe<p>) plus the signed offset 2^(p−1), so a p-bit two's-complement value reads as an index in [0, 2^p). */
function offsetSigned(l: Pick<Lowerer, "b" | "home" | "setHome">, x: Value, p: number): Value {
  const r = l.b.create("tfhe.add_lwe_int", [x, scalarConst(l.b, 2 ** (p - 1))], [x.type]).result;
  l.setHome(r, l.home(x));
  return r;
}

function lowerLookup(l: Lowerer, op: Operation): Value {
  const inE = l.enc(op.operands[0]!);
  const outE = elementOf(op.result.type) as EncryptedIntType;
  let x = l.map(op.operands[0]!);
  const p = inE.width;
  if (inE.signed) x = offsetSigned(l, x, p);
  const small = keyswitchOf(l, x, p);
  const outT = withElement(op.result.type, lwe(outE.width, "big"));
  if (op.name === "fhe.apply_lookup_table") {
    const t = op.attr("table") as DenseAttr;
    const data = inE.signed ? signedTable(t.data, p) : t.data;
    return l.b.create("tfhe.bootstrap", [small], [outT], pbsAttrs(l, { table: denseAttr(t.type, data) })).result;
  }
  const tables = op.attr("tables") as DenseAttr;
  const size = 2 ** p;
  const rows = tables.type.shape[0]!;
  const data = new Float64Array(tables.data.length);
  for (let r = 0; r < rows; r++) {
    const row = tables.data.subarray(r * size, (r + 1) * size);
    data.set(inE.signed ? signedTable(row, p) : row, r * size);
  }
  return l.b.create("tfhe.mapped_bootstrap", [small], [outT], pbsAttrs(l, {
    tables: denseAttr(tables.type, data),
    map: op.attr("map")!,
  })).result;
}

/** A sign cast as a table lookup: the value is kept, its encoding changes (the padding bit moves). */
function lowerSignCast(l: Lowerer, op: Operation): Value {
  const inE = l.enc(op.operands[0]!);
  const p = inE.width;
  const m = 2 ** p;
  // Indexed by the input's p-bit pattern (tableIndex), returns the value read with the other signedness.
  const table = new Float64Array(m);
  for (let j = 0; j < m; j++) table[j] = op.name === "fhe.to_signed" ? (j >= m / 2 ? j - m : j) : j;
  let x = l.map(op.operands[0]!);
  if (inE.signed) x = offsetSigned(l, x, p);
  const small = keyswitchOf(l, x, p);
  const data = inE.signed ? signedTable(table, p) : table;
  return l.b.create("tfhe.bootstrap", [small], [lweTypeOf(op.result.type)], pbsAttrs(l, {
    table: denseAttr(tensor([m], i64), data),
  })).result;
}

/**
 * Exact rounding of a P-bit value to q = P − k bits: floor((x + 2^(k−1)) / 2^k). The low k − d bits
 * go one 1-bit PBS each; the top d removed bits (`last_step_bits`, default 1) go with the kept ones.
 * The work is done at precision P+1 on 2x (the reinterpretation is free), so every constant is an
 * integer. With z = x + 2^(k−1):
 *   y_0 = 2x + 2^k = 2z
 *   1-bit step i (bit i of z; the lower ones are already cleared in y_i):
 *     t   = y_i · 2^(P−i) + 2^(P−1)   the torus then holds bit i in the padding bit only, b·2^63,
 *                                    plus 2^61 that centres the read (tolerance ±2^62 around it)
 *     o   = PBS_1bit(t, [2^i, 2^i])   a constant table returns +2^i, or −2^i when the padding bit is set
 *     y_{i+1} = y_i + o − 2^i = y_i − 2^(i+1)·b              (bit i cleared)
 *   d = 1: result = y_k read at precision q (the k+1 low bits are zero: Δ_q = 2^(k+1)·Δ_{P+1})
 *   d ≥ 2, after the k − d = i one-bit steps: the rest of z is J = (z + 2^(P−1))/2^i (signed; z/2^i
 *     unsigned), an integer in [0, 2^(d+q)) whenever the result fits q bits, held by y_i + 2^P at
 *     precision d + q under a clear padding bit (Δ_{d+q} = 2^(i+1)·Δ_{P+1}): one (d+q)-bit table
 *     returns floor(J/2^d) (− 2^(q−1) signed), the rounded value, as a fresh PBS output.
 * Noise: step i reads the noise of y_i scaled by 2^(P−i) against a quarter of the torus; the wide
 * read (i = k − d) sees y_i unscaled against Δ_{d+q}/2 = 2^(i−P)·2^−2: the same condition on the
 * ciphertext's own noise as a 1-bit step at bit i, with the keyswitch and modulus switch of a
 * (d+q)-bit table (passes/params/norms.ts extractionRead). Step 0 reads the bit of the nearest
 * integer to the noisy x and each later step sees a smaller relative error, so the result is exact
 * when |noise| < Δ_P/2 — as for a P-bit table — and otherwise off by one only when the noisy value
 * crosses a rounding tie.
 */
function lowerExactRound(l: Lowerer, op: Operation): Value {
  const inE = l.enc(op.operands[0]!);
  const P = inE.width;
  const q = (elementOf(op.result.type) as EncryptedIntType).width;
  const k = P - q;
  const b = l.b;
  const wide = withElement(op.result.type, lwe(P + 1, "big"));
  // Everything here stays under the input's key: the round's partition is its input's.
  const home = l.home(l.map(op.operands[0]!));
  const at = { ...l, home: () => home };
  let y = b.create("tfhe.reinterpret_precision", [l.map(op.operands[0]!)], [wide]).result;
  y = b.create("tfhe.add_lwe_int", [y, scalarConst(b, 2 ** k)], [wide]).result;
  const digits = roundDigits(op);
  const d = digits[digits.length - 1]!;
  for (let i = 0; i < k - d + (d === 1 ? 1 : 0); i++) y = clearBit(b, l, at, y, P, i);
  if (d === 1) return b.create("tfhe.reinterpret_precision", [y], [lweTypeOf(op.result.type)]).result;
  // The wide table runs under its result's partition (a keyswitch from the input's key to its own).
  const last = { ...at, part: intOf(op.attr(LAST_STEP_PARTITION_ATTR)) };
  return readRest(b, last, op, y, P, q, d, inE.signed);
}

/** One 1-bit extraction step of lowerExactRound: clears bit i of z (y = 2z at precision P+1). */
function clearBit(b: Builder, l: Lowerer, at: Lowerer, y: Value, P: number, i: number): Value {
  const wide = y.type;
  const t = b.create("tfhe.mul_lwe_int", [y, scalarConst(b, 2 ** (P - i))], [wide]).result;
  // +2^61 on the torus centres both sign regions of the constant 1-bit table on b·2^63: the read
  // tolerates |noise| < 2^62 (a quarter of the torus) instead of [−2^61, 3·2^61).
  const centred = b.create("tfhe.add_lwe_int", [t, scalarConst(b, 2 ** (P - 1))], [wide]).result;
  const bit = b.create("tfhe.reinterpret_precision", [centred], [withElement(wide, lwe(1, "big"))]).result;
  const small = keyswitchOf(at, bit, 1);
  const o = b.create("tfhe.bootstrap", [small], [wide], pbsAttrs(l, {
    table: denseAttr(tensor([2], i64), [2 ** i, 2 ** i]),
  })).result;
  const cleared = b.create("tfhe.add_lwe", [y, o], [wide]).result;
  return b.create("tfhe.sub_lwe_int", [cleared, scalarConst(b, 2 ** i)], [wide]).result;
}

/** The last extraction step of lowerExactRound: the (d+q)-bit table reading the rest of z. */
function readRest(b: Builder, l: Lowerer, op: Operation, y: Value, P: number, q: number, d: number, signed: boolean): Value {
  const w = d + q;
  const shifted = signed ? b.create("tfhe.add_lwe_int", [y, scalarConst(b, 2 ** P)], [y.type]).result : y;
  const rest = b.create("tfhe.reinterpret_precision", [shifted], [withElement(y.type, lwe(w, "big"))]).result;
  const small = keyswitchOf(l, rest, w);
  const table = Array.from({ length: 2 ** w }, (_, J) => Math.floor(J / 2 ** d) - (signed ? 2 ** (q - 1) : 0));
  return b.create("tfhe.bootstrap", [small], [lweTypeOf(op.result.type)], pbsAttrs(l, { table: denseAttr(tensor([2 ** w], i64), table) })).result;
}

/**
 * Whether every reader of an approximately rounded value rounds it again: a table lookup (the PBS
 * rounds the phase) or the function result (decryption rounds), possibly through data movement.
 * Linear ops and exact rounding would see the removed low bits as a fractional error.
 */
function readsRoundedOnly(v: Value): boolean {
  return v.uses.every(({ op }) => {
    if (op.name === "func.return" || op.name === "fhe.apply_lookup_table" || op.name === "fhe.apply_mapped_lookup_table") return true;
    if (MOVES.has(op.name)) return readsRoundedOnly(op.result);
    return false;
  });
}

/**
 * Approximate rounding whose result feeds linear ops: one identity lookup at the rounded precision
 * makes the ciphertext hold an integer again (floor or ceil of x/2^k, like a table reading it).
 */
function cleanRounded(l: Lowerer, op: Operation, r: Value): Value {
  const e = elementOf(op.result.type) as EncryptedIntType;
  const q = e.width;
  const m = 2 ** q;
  const table = new Float64Array(m);
  for (let j = 0; j < m; j++) table[j] = e.signed && j >= m / 2 ? j - m : j;
  const x = e.signed ? offsetSigned(l, r, q) : r;
  const small = keyswitchOf(l, x, q);
  return l.b.create("tfhe.bootstrap", [small], [lweTypeOf(op.result.type)], pbsAttrs(l, {
    table: denseAttr(tensor([m], i64), e.signed ? signedTable(table, q) : table),
  })).result;
}

function lowerOp(l: Lowerer, op: Operation): Value {
  const linear = LINEAR[op.name];
  if (linear) return l.b.create(linear, op.operands.map(l.map), [lweTypeOf(op.result.type)], op.attributes).result;
  switch (op.name) {
    case "fhe.apply_lookup_table":
    case "fhe.apply_mapped_lookup_table":
      return lowerLookup(l, op);
    case "fhe.round": {
      const method = (op.attr("method") as { value: string }).value;
      if (method === "approximate") {
        const r = l.b.create("tfhe.reinterpret_precision", [l.map(op.operands[0]!)], [lweTypeOf(op.result.type)]).result;
        l.setHome(r, l.home(l.map(op.operands[0]!)));
        return readsRoundedOnly(op.result) ? r : cleanRounded(l, op, r);
      }
      return lowerExactRound(l, op);
    }
    case "fhe.rescale":
      return lowerRescale(l, op);
    case "fhe.to_signed":
    case "fhe.to_unsigned":
      return lowerSignCast(l, op);
    default:
      if (MOVES.has(op.name)) return l.b.create(op.name, op.operands.map(l.map), [lweTypeOf(op.result.type)], op.attributes).result;
      return fail("E0502", `lower-to-tfhe: no lowering for '${op.name}'`, op.loc, op.name);
  }
}

/** A clear operand: one scalar when every element shares the value, else one per element. */
function perElementConst(b: Builder, shape: readonly number[], values: readonly number[]): Value {
  const same = values.every((v) => v === values[0]);
  return same ? scalarConst(b, values[0]!) : b.constant(denseAttr(tensor([...shape], i64), values));
}

/**
 * Window read r = round((x − offset)/2^shift) at q bits: subtract the offset, multiply by 2^j with
 * j = P − q − shift (the top j bits leave the torus: values outside the window wrap, as the clear
 * backend models), then read the P-bit encoding at q bits (Δ_q = Δ_P·2^(j+shift), free). Only tables
 * read the result, and the PBS rounds the removed bits (approximate rounding).
 */
function lowerRescale(l: Lowerer, op: Operation): Value {
  const P = l.enc(op.operands[0]!).width;
  const q = (elementOf(op.result.type) as EncryptedIntType).width;
  if (!readsRoundedOnly(op.result)) fail("E0502", "lower-to-tfhe: only table lookups may read an 'fhe.rescale' result", op.loc, op.name);
  const shape = shapeOf(op.result.type) as number[];
  const size = shape.reduce((a, d) => a * d, 1);
  const expand = (a: DenseAttr): number[] => Array.from({ length: size }, (_, e) => (a.data.length === 1 ? a.data[0]! : a.data[e]!));
  const offsets = expand(op.attr("offset") as DenseAttr);
  const js = expand(op.attr("shift") as DenseAttr).map((k) => P - q - k);
  if (js.some((j) => j < 0)) fail("E0502", `lower-to-tfhe: an 'fhe.rescale' window removes more than the ${P - q} bits its ${P}-bit input has above ${q} bits`, op.loc, op.name);
  const b = l.b;
  const inT = lweTypeOf(op.operands[0]!.type);
  let y = l.map(op.operands[0]!);
  if (offsets.some((o) => o !== 0)) y = b.create("tfhe.sub_lwe_int", [y, perElementConst(b, shape, offsets)], [inT]).result;
  if (js.some((j) => j !== 0)) y = b.create("tfhe.mul_lwe_int", [y, perElementConst(b, shape, js.map((j) => 2 ** j))], [inT]).result;
  return b.create("tfhe.reinterpret_precision", [y], [lweTypeOf(op.result.type)]).result;
}

const intOf = (a: Attribute | undefined): number => (a?.kind === "int" ? a.value : 0);

/**
 * Lowers one function in place. Returns the number of fhe ops rewritten. `multi` (a partitioned
 * module): keyswitches record their source and target partitions, bootstraps their partition,
 * and the function the partitions of its results; a linear op mixing keys is an internal error
 * (the partitioner merges such values into one key class).
 */
export function lowerFunctionToTfhe(func: FuncOp, multi = false, compactOutputs = true, outputTargetOf: (source: number) => number = (p) => p): number {
  const homes = new Map<Value, number>();
  const inputParts = func.attributes.get(INPUT_PARTITIONS_ATTR);
  func.args.forEach((a, i) => homes.set(a, inputParts?.kind === "array" ? intOf(inputParts.items[i]) : 0));
  const home = (v: Value): number => homes.get(v) ?? 0;
  const setHome = (v: Value, p: number): void => void homes.set(v, p);
  const original = new Map<Value, Type>();
  const argTypes = func.args.map((a) => a.type);
  const resultTypes = [...func.resultTypes];
  for (const a of func.args) {
    original.set(a, a.type);
    a.type = lweTypeOf(a.type);
  }
  const mapping = new Map<Value, Value>();
  const map = (v: Value): Value => mapping.get(v) ?? v;
  const enc = (v: Value): EncryptedIntType => {
    const e = elementOf(original.get(v) ?? v.type);
    if (e.kind !== "eint") throw new Error("lower-to-tfhe: expected an encrypted operand");
    return e;
  };
  const dead: Operation[] = [];
  let count = 0;
  const compact = compactOutputs && runsPbs(func);
  for (const op of [...func.body.ops]) {
    if (op.name === "func.return") {
      // Compact outputs (params/compact_outputs.ts): every encrypted result goes back under a
      // small key, n + 1 words per value instead of kN + 1: its partition's own, or the output
      // key through a conversion key (params/output_key.ts).
      const b = Builder.before(op);
      op.operands.forEach((v, i) => {
        const x = map(v);
        if (!compact || elementOf(x.type).kind !== "lwe") return op.setOperand(i, x);
        const target = outputTargetOf(home(x));
        const small = keyswitchOf({ b, multi, home, part: target }, x, (elementOf(x.type) as { width: number }).width);
        setHome(small, target);
        op.setOperand(i, small);
      });
      continue;
    }
    const encrypted = op.results.some((r) => isEnc(r.type)) || op.operands.some((v) => isEnc(original.get(v) ?? v.type));
    if (!encrypted) continue; // constants and clear-only ops stay
    if (op.dialect !== "fhe") fail("E0502", `lower-to-tfhe: '${op.name}' on encrypted values has no tfhe lowering`, op.loc, op.name);
    const b = Builder.before(op);
    const encIn = op.operands.filter((v) => isEnc(original.get(v) ?? v.type)).map(map);
    const inHomes = new Set(encIn.map(home));
    if (multi && inHomes.size > 1 && !PBS_RESULT.has(op.name)) {
      fail("E0600", `lower-to-tfhe: '${op.name}' combines values under different partitions' keys (${[...inHomes].join(", ")})`, op.loc, op.name);
    }
    const part = PBS_RESULT.has(op.name) || op.name === "fhe.round" ? intOf(op.attr(PARTITION_ATTR)) : (encIn.length > 0 ? home(encIn[0]!) : 0);
    const out = lowerOp({ b, enc, map, multi, home, setHome, part }, op);
    // A table writes under its own partition's big key; everything else under its input's.
    setHome(out, PBS_RESULT.has(op.name) ? part : roundEndsWithTable(op) ? intOf(op.attr(LAST_STEP_PARTITION_ATTR)) : encIn.length > 0 ? home(encIn[0]!) : part);
    if (op.result.nameHint !== undefined && out.nameHint === undefined) out.nameHint = op.result.nameHint;
    mapping.set(op.result, out);
    dead.push(op);
    count++;
  }
  for (let i = dead.length - 1; i >= 0; i--) dead[i]!.erase();
  func.resultTypes = resultTypes.map((t) => (compact && isEnc(t) ? withElement(t, lwe((elementOf(t) as EncryptedIntType).width, "small")) : lweTypeOf(t)));
  if (argTypes.some(isEnc) || resultTypes.some(isEnc)) {
    func.attributes.set(
      ENCRYPTED_IO_ATTR,
      dictAttr([
        ["inputs", arrayAttr(argTypes.map((t) => typeAttr(t)))],
        ["outputs", arrayAttr(resultTypes.map((t) => typeAttr(t)))],
      ]),
    );
  }
  if (multi) {
    const ret = func.body.terminator!;
    func.attributes.set(OUTPUT_PARTITIONS_ATTR, arrayAttr(ret.operands.map((v) => intAttr(home(v)))));
  }
  return count;
}

/** fhe ops whose result is a PBS output (under the big key of the op's own partition). */
const PBS_RESULT = new Set(["fhe.apply_lookup_table", "fhe.apply_mapped_lookup_table", "fhe.to_signed", "fhe.to_unsigned"]);

/**
 * `compactOutputs: false` keeps big-key results: for parameter sets chosen by hand for the tables
 * only, whose keyswitching key was not sized for the outputs' decryption (the optimizer's sets
 * are, see params/compact_outputs.ts).
 */
export function lowerToTfhe(module: ModuleOp, options: { readonly compactOutputs?: boolean } = {}): number {
  const multi = module.attributes.has(PARTITIONS_ATTR);
  const parts = partitionsFromModule(module);
  const outputTargetOf = (source: number) => outputTarget(source, parts?.conversions ?? [], parts?.outputKey) ?? source;
  let n = 0;
  for (const f of module.funcs) n += lowerFunctionToTfhe(f, multi, options.compactOutputs ?? true, outputTargetOf);
  return n;
}

export const lowerToTfhePass: Pass = countingPass({
  name: "lower-to-tfhe",
  summary: "Lowers the fhe dialect to tfhe ciphertext ops (per-value encoding Δ_p = 2^(63−p)) with open crypto parameters.",
  counted: "lowered",
  rewrite: (module) => lowerToTfhe(module),
});
