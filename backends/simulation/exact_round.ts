// Exact rounding as the encrypted circuit computes it, bit by bit, with the read noise the chosen
// parameters give each bit's PBS (`fhec.read_std`, k·n values: bit after bit, per element).
//
// The lowering (passes/lower_tfhe.ts lowerExactRound) works on z = x + 2^(k−1) (held doubled, at
// one more bit of precision). Bit j's 1-bit PBS reads w = z/2^j: it multiplies the ciphertext by
// 2^(P−j) so that w's integer part lands on the padding bit, adds 2^61 to centre the read, and
// returns −2^j when it sees the padding bit set, +2^j otherwise. With the rotation offset δ of the
// PBS and its noise σ (both in units of w, half the torus), the bit it sees is the parity of
//   r = floor(w + 1/2 + δ + σ·g),   g ~ N(0, 1)
// and the circuit subtracts 2^j·(r mod 2) from z. When every read is right, each step clears bit j
// and the result z/2^k is floor((x + 2^(k−1))/2^k), the `disable` semantics. A wrong read
// subtracts 2^j where it should not (or keeps it): z then keeps ±2^j below bit j + 1, so the next
// read sits exactly on its tie and goes either way, and the error travels up the later bits as the
// circuit's own subtractions make it. The result the circuit leaves is z/2^k, a multiple of 2^−k
// off the integer grid after a wrong read; the op that reads it next rounds it: to the nearest
// integer here, a half either way (a fair coin: the reader's own noise and offset are not modelled).
//
// Draws: the parity of r − floor(w) is odd with a probability that depends only on the bit's σ and
// w's fraction (z is an integer, so the fraction is m/2^j), computed once per op. Per element,
// sample after sample: one uniform u picks the first bit read wrong while z is on the integer grid
// (u ≥ P(some bit wrong): none, the exact result; else the first j with u < P(first wrong ≤ j)), the
// same law as one draw per bit but one draw for the common case. Past that bit, one uniform per
// read whose probability is neither below NEGLIGIBLE nor above 1 − NEGLIGIBLE, bit after bit, then
// the coin of a half. An element none of whose reads can go wrong from the grid draws nothing.
// Uniforms are (32 random bits + ½)/2^32: unbiased to within 2^−33 at any probability.
import type { DenseAttr } from "../../ir/attributes.js";
import type { Operation } from "../../ir/core.js";
import { roundDigits } from "../../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, shapeOf } from "../../ir/types.js";
import { erfc } from "../../crypto-model/erfc.js";
import type { ReadDraws } from "./rng.js";

/** Probabilities below this (or above 1 minus it) are settled without a draw (as noisyRound's 8σ cut, ~1e-15). */
export const NEGLIGIBLE = 1e-15;

export interface ExactRoundReads {
  /** Bits removed (k) and elements per sample (n). */
  readonly k: number;
  readonly n: number;
  /**
   * For bit j of element e, at [j·n + e]: where its row of `odd` starts (2^j probabilities, one per
   * residue m = z mod 2^j), or −1 for every bit of an element whose reads cannot go wrong.
   */
  readonly rows: Int32Array;
  /** P(r − floor(w) is odd) for each row and residue. */
  readonly odd: Float64Array;
  /** At [j·n + e]: P(the first bit read wrong from the grid is ≤ j), for elements with rows. */
  readonly firstWrong: Float64Array;
}

/** A uniform in (0, 1) from 32 random bits, centred in its cell (the LLVM kernel computes the same). */
export const uniformOf = (bits: number): number => (bits + 0.5) / 4294967296;

/** Upper tail of the standard normal, accurate deep in the tail. */
const upper = (x: number): number => 0.5 * erfc(x / Math.SQRT2);

/** P(floor(a + σ·g) = c), g ~ N(0, 1), σ > 0: each cell from the tail it lies in, so that tiny probabilities keep their precision. */
export function cellProbability(c: number, a: number, sigma: number): number {
  const x0 = (c - a) / sigma;
  const x1 = (c + 1 - a) / sigma;
  return x0 >= 0 ? upper(x0) - upper(x1) : x1 <= 0 ? upper(-x1) - upper(-x0) : 1 - upper(x1) - upper(-x0);
}

/** The cells c of floor(a + σ·g) that hold any probability (40σ either side). */
export const cellRange = (a: number, sigma: number): [number, number] => [Math.floor(a - 40 * sigma) - 1, Math.floor(a + 40 * sigma) + 1];

/** P(floor(a + σ·g) is odd), g ~ N(0, 1), summing the cells [n, n + 1) that hold any probability. */
export function oddProbability(a: number, sigma: number): number {
  if (!(sigma > 0)) return Math.floor(a) % 2 !== 0 ? 1 : 0;
  let p = 0;
  const [lo, hi] = cellRange(a, sigma);
  for (let c = lo; c <= hi; c++) if (c % 2 !== 0) p += cellProbability(c, a, sigma);
  return Math.min(1, Math.max(0, p));
}

const cache = new WeakMap<Operation, { std: unknown; offset: unknown; reads: ExactRoundReads | undefined }>();

/**
 * The read probabilities of an exact `fhe.round` carrying `fhec.read_std`, or undefined when it has
 * none or none of its elements can read a bit wrong (then it rounds exactly, drawing nothing).
 */
export function exactRoundReads(op: Operation): ExactRoundReads | undefined {
  const std = op.attributes.get("fhec.read_std");
  const offsetAttr = op.attributes.get("fhec.read_offset");
  const hit = cache.get(op);
  if (hit && hit.std === std && hit.offset === offsetAttr) return hit.reads;
  const reads = std?.kind === "dense" ? build(op, std as DenseAttr, offsetAttr?.kind === "float" || offsetAttr?.kind === "int" ? offsetAttr.value : 0) : undefined;
  cache.set(op, { std, offset: offsetAttr, reads });
  return reads;
}

function build(op: Operation, std: DenseAttr, offset: number): ExactRoundReads | undefined {
  if (roundDigits(op).some((d) => d > 1)) {
    throw new Error(`exact rounding ${op.name}: its last extraction step reads ${roundDigits(op).at(-1)} bits at once (last_step_bits); exact_round_steps.ts models it, the bit-by-bit reads do not`);
  }
  const k = (elementOf(op.operands[0]!.type) as EncryptedIntType).width - (elementOf(op.result.type) as EncryptedIntType).width;
  const n = (shapeOf(op.result.type) as number[]).reduce((a, d) => a * d, 1);
  if (std.data.length !== k * n) {
    throw new Error(`exact rounding ${op.name}: fhec.read_std holds ${std.data.length} values, expected ${k} bits × ${n} elements`);
  }
  // In units of w (half the torus), as the lowering reads each bit.
  const sigma = (j: number, e: number) => 2 * std.data[j * n + e]!;
  const rows = new Int32Array(k * n).fill(-1);
  const firstWrong = new Float64Array(k * n);
  const odd: number[] = [];
  const rowOf = new Map<string, number>();
  for (let e = 0; e < n; e++) {
    let live = false;
    for (let j = 0; j < k; j++) if (oddProbability(0.5 + offset, sigma(j, e)) > NEGLIGIBLE) live = true;
    if (!live) continue;
    for (let j = 0; j < k; j++) {
      const key = `${j}:${sigma(j, e)}`;
      let row = rowOf.get(key);
      if (row === undefined) {
        row = odd.length;
        rowOf.set(key, row);
        for (let m = 0; m < 2 ** j; m++) odd.push(oddProbability(m / 2 ** j + 0.5 + offset, sigma(j, e)));
      }
      rows[j * n + e] = row;
      // Bit j is reached on the grid (residue 0) when every bit below it was read right.
      const below = j === 0 ? 0 : firstWrong[(j - 1) * n + e]!;
      firstWrong[j * n + e] = below + (1 - below) * odd[row]!;
    }
  }
  return odd.length === 0 ? undefined : { k, n, rows, odd: Float64Array.from(odd), firstWrong };
}

/**
 * The rounded value of integer x (element e, which has rows) as the circuit leaves it and its
 * reader rounds it, drawing its bit reads from `rng` (see the header).
 */
export function roundExactDrawn(x: number, e: number, reads: ExactRoundReads, rng: ReadDraws): number {
  const { k, n, rows, odd, firstWrong } = reads;
  const d = 2 ** k;
  const u = uniformOf(rng.nextU32());
  if (u >= firstWrong[(k - 1) * n + e]!) return Math.floor((x + d / 2) / d);
  let first = 0;
  while (u >= firstWrong[first * n + e]!) first++;
  // The bits below `first` are read right: each clears its bit. Bit `first` is read wrong.
  const unit = 2 ** first;
  let z = x + d / 2;
  z -= z - Math.floor(z / unit) * unit;
  if ((((Math.floor(z / unit) % 2) + 2) % 2 === 1) === false) z -= unit;
  for (let j = first + 1; j < k; j++) {
    const unit = 2 ** j;
    const fl = Math.floor(z / unit);
    const p = odd[rows[j * n + e]! + (z - fl * unit)]!;
    const flipped = p <= NEGLIGIBLE ? false : p >= 1 - NEGLIGIBLE ? true : uniformOf(rng.nextU32()) < p;
    if ((((fl % 2) + 2) % 2 === 1) !== flipped) z -= unit;
  }
  const fl = Math.floor(z / d);
  const rest = z - fl * d;
  return rest > d / 2 ? fl + 1 : rest === d / 2 ? fl + (rng.bit() ? 1 : 0) : fl;
}
