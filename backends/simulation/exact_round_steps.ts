// Exact rounding whose last extraction step reads several bits with the kept ones (`last_step_bits`
// = d ≥ 2, passes/lower_tfhe.ts lowerExactRound), as the encrypted circuit computes it, with the
// read noise the chosen parameters give each step's PBS (`fhec.read_std`, S·n values: step after
// step, per element).
//
// The lowering works on z = x + 2^(k−1). Step s < k − d is a 1-bit step at bit i = s, as in
// exact_round.ts: it reads w = z/2^i centred on the padding bit (unit: half the torus) and
// subtracts 2^i·(r mod 2). The last step, at i = k − d, reads J = (z + 2^(P−1))/2^i (signed; z/2^i
// unsigned) at precision w = d + q under a clear padding bit (unit Δ_w = 2^−(w+1) of the torus) and
// returns T[r] = floor(r/2^d) (− 2^(q−1) signed) for r in [0, 2^w), −T[r mod 2^w] in the negacyclic
// half. With the rotation offset δ and noise σ of the step (in its unit), each read is
//   r = floor(w' + 1/2 + δ + σ·g) = floor(w') + t,   t = floor(f + 1/2 + δ + σ·g),  g ~ N(0, 1)
// where w' is what the step sees and f its fraction (m/2^i for the residue m = z mod 2^i): the
// shift t depends only on the step and m. When every t is 0 the result is floor((x + 2^(k−1))/2^k).
// `fhec.read_offset` holds δ for each step, in the unit of its read.
//
// Draws, as exact_round.ts: per element, one uniform u picks the first step whose shift is not 0
// while z is on the integer grid (u ≥ P(some shift): none, the exact result); that step's shift is
// drawn from its law given t ≠ 0, then one uniform per later step whose law is not settled (one
// shift holding ≥ 1 − NEGLIGIBLE). The last step's output is a table entry: an integer, no coin.
import type { DenseAttr } from "../../ir/attributes.js";
import type { Operation } from "../../ir/core.js";
import { roundDigits } from "../../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../../ir/types.js";
import { cellProbability, cellRange, NEGLIGIBLE, uniformOf } from "./exact_round.js";
import type { ReadDraws } from "./rng.js";

/** The law of a step's shift t: P(t = lo + j) = pmf[j]. */
interface ShiftLaw {
  readonly lo: number;
  readonly pmf: Float64Array;
}

export interface ExactRoundSteps {
  /** Bits each step clears and the first bit it clears, lowest step first; k bits in all, n elements. */
  readonly digits: readonly number[];
  readonly starts: readonly number[];
  readonly k: number;
  readonly n: number;
  /** Input precision P, kept bits q, signedness. */
  readonly P: number;
  readonly q: number;
  readonly signed: boolean;
  /** At [s·n + e]: where the 2^starts[s] laws (one per residue) of step s for element e start in `laws`, or −1 when element e's reads cannot go wrong. */
  readonly rows: Int32Array;
  readonly laws: readonly ShiftLaw[];
  /** At [s·n + e]: P(the first step with a shift from the grid is ≤ s). */
  readonly firstMove: Float64Array;
}

/** Units of a step's read per torus: 2 for a 1-bit (centred) step, 2^(w+1) for a w-bit table. */
const unitsPerTorus = (w: number): number => (w === 1 ? 2 : 2 ** (w + 1));

function shiftLaw(f: number, delta: number, sigma: number): ShiftLaw {
  const a = f + 0.5 + delta;
  const [lo, hi] = cellRange(a, sigma);
  const pmf = new Float64Array(hi - lo + 1);
  for (let c = lo; c <= hi; c++) pmf[c - lo] = cellProbability(c, a, sigma);
  return { lo, pmf };
}

/** P(t ≠ 0) on the grid (f = 0), from both tails so that tiny probabilities keep their precision. */
function moveProbability(law: ShiftLaw): number {
  let p = 0;
  law.pmf.forEach((q, j) => {
    if (law.lo + j !== 0) p += q;
  });
  return Math.min(1, p);
}

const cache = new WeakMap<Operation, { std: unknown; offset: unknown; steps: ExactRoundSteps | undefined }>();

/**
 * The read laws of an exact `fhe.round` with multi-bit steps carrying `fhec.read_std`, or undefined
 * when it has none or none of its elements can read a step wrong (then it rounds exactly).
 */
export function exactRoundSteps(op: Operation): ExactRoundSteps | undefined {
  const std = op.attributes.get("fhec.read_std");
  const offsetAttr = op.attributes.get("fhec.read_offset");
  const hit = cache.get(op);
  if (hit && hit.std === std && hit.offset === offsetAttr) return hit.steps;
  const steps = std?.kind === "dense" ? build(op, std as DenseAttr, offsetAttr?.kind === "dense" ? (offsetAttr as DenseAttr).data : undefined) : undefined;
  cache.set(op, { std, offset: offsetAttr, steps });
  return steps;
}

function build(op: Operation, std: DenseAttr, offsets: ArrayLike<number> | undefined): ExactRoundSteps | undefined {
  const digits = roundDigits(op);
  const inE = elementOf(op.operands[0]!.type) as EncryptedIntType;
  const P = inE.width;
  const q = (elementOf(op.result.type) as EncryptedIntType).width;
  const k = P - q;
  const n = (shapeOf(op.result.type) as number[]).reduce((a, d) => a * d, 1);
  const S = digits.length;
  if (std.data.length !== S * n) {
    throw new Error(`exact rounding ${op.name}: fhec.read_std holds ${std.data.length} values, expected ${S} steps × ${n} elements`);
  }
  if (offsets?.length !== S) throw new Error(`exact rounding ${op.name}: fhec.read_offset must hold one offset per step (${S})`);
  const starts = digits.map((_, s) => digits.slice(0, s).reduce((a, d) => a + d, 0));
  // In the unit of each step's read: a 1-bit step, or the last step's (d + q)-bit table.
  const width = (s: number) => (digits[s] === 1 ? 1 : digits[s]! + q);
  const sigma = (s: number, e: number) => std.data[s * n + e]! * unitsPerTorus(width(s));
  const delta = (s: number) => offsets[s]!;
  const rows = new Int32Array(S * n).fill(-1);
  const firstMove = new Float64Array(S * n);
  const laws: ShiftLaw[] = [];
  const rowOf = new Map<string, number>();
  for (let e = 0; e < n; e++) {
    const onGrid = digits.map((_, s) => moveProbability(shiftLaw(0, delta(s), sigma(s, e))));
    if (onGrid.every((p) => p <= NEGLIGIBLE)) continue;
    for (let s = 0; s < S; s++) {
      const key = `${s}:${sigma(s, e)}`;
      let row = rowOf.get(key);
      if (row === undefined) {
        row = laws.length;
        rowOf.set(key, row);
        const size = 2 ** starts[s]!;
        for (let m = 0; m < size; m++) laws.push(shiftLaw(m / size, delta(s), sigma(s, e)));
      }
      rows[s * n + e] = row;
      const below = s === 0 ? 0 : firstMove[(s - 1) * n + e]!;
      firstMove[s * n + e] = below + (1 - below) * onGrid[s]!;
    }
  }
  return laws.length === 0 ? undefined : { digits, starts, k, n, P, q, signed: inE.signed, rows, laws, firstMove };
}

const mod = (a: number, m: number): number => ((a % m) + m) % m;

/** The shift drawn from `law` with uniform u, skipping t = 0 when `moved` (the law given t ≠ 0). */
function pick(law: ShiftLaw, u: number, moved: boolean): number {
  const zero = -law.lo;
  const total = moved ? moveProbability(law) : 1;
  let acc = 0;
  let last = 0;
  for (let j = 0; j < law.pmf.length; j++) {
    if (moved && j === zero) continue;
    acc += law.pmf[j]! / total;
    last = j;
    if (u < acc) return law.lo + j;
  }
  return law.lo + last;
}

/** A later step's shift: no draw when one shift holds all but NEGLIGIBLE of the law. */
function drawShift(law: ShiftLaw, rng: ReadDraws): number {
  for (let j = 0; j < law.pmf.length; j++) if (law.pmf[j]! >= 1 - NEGLIGIBLE) return law.lo + j;
  return pick(law, uniformOf(rng.nextU32()), false);
}

/** z after the 1-bit step at bit i read with shift t (see the header). */
function clearBit(z: number, i: number, t: number): number {
  const unit = 2 ** i;
  return mod(Math.floor(z / unit) + t, 2) === 1 ? z - unit : z;
}

/** The last step's table output for the rest of z read with shift t (see the header). */
function readRest(z: number, st: ExactRoundSteps, t: number): number {
  const d = st.digits[st.digits.length - 1]!;
  const i = st.k - d;
  const w = d + st.q;
  const r = Math.floor((z + (st.signed ? 2 ** (st.P - 1) : 0)) / 2 ** i) + t;
  const entry = (J: number) => Math.floor(J / 2 ** d) - (st.signed ? 2 ** (st.q - 1) : 0);
  return mod(r, 2 ** (w + 1)) < 2 ** w ? entry(mod(r, 2 ** w)) : -entry(mod(r, 2 ** w));
}

/**
 * The rounded value of integer x (element e, which has rows) as the circuit computes it, drawing
 * its step reads from `rng` (see the header).
 */
export function roundStepsDrawn(x: number, e: number, st: ExactRoundSteps, rng: ReadDraws): number {
  const { digits, starts, k, n, rows, laws, firstMove } = st;
  const S = digits.length;
  const z0 = x + 2 ** (k - 1);
  const u = uniformOf(rng.nextU32());
  if (u >= firstMove[(S - 1) * n + e]!) return Math.floor(z0 / 2 ** k);
  let first = 0;
  while (u >= firstMove[first * n + e]!) first++;
  // The steps below `first` read right: each clears its bit. Step `first` reads with a shift.
  const unit = 2 ** starts[first]!;
  let z = Math.floor(z0 / unit) * unit;
  const shifted = pick(laws[rows[first * n + e]!]!, uniformOf(rng.nextU32()), true);
  if (first === S - 1) return readRest(z, st, shifted);
  z = clearBit(z, starts[first]!, shifted);
  for (let s = first + 1; s < S - 1; s++) z = clearBit(z, starts[s]!, drawShift(laws[rows[s * n + e]! + mod(z, 2 ** starts[s]!)]!, rng));
  return readRest(z, st, drawShift(laws[rows[(S - 1) * n + e]! + mod(z, 2 ** starts[S - 1]!)]!, rng));
}

/** Element e's rounded value: exact when none of its reads can go wrong (no rows), else drawn (roundStepsDrawn). */
export function roundStepsElement(x: number, e: number, st: ExactRoundSteps, rng: ReadDraws): number {
  return st.rows[e]! < 0 ? Math.floor((x + 2 ** (st.k - 1)) / 2 ** st.k) : roundStepsDrawn(x, e, st, rng);
}
