// The simulation's seeded draws (backends/simulation/draws.ts): counter-based, so that every read
// has its own draws, keyed by (stream, op, element, sample, draw number) and independent of the
// order in which reads are made. The clear backend interprets sample after sample; the LLVM
// backend runs the samples of an element side by side in vector lanes: both get the same draws.
// The key is absorbed one part at a time into a 32-bit state, each step a bijective mixing
// function (lowbias32: xor-shifts and odd multiplications), so that distinct parts at one step
// give distinct states. Deterministic given a seed; never the platform's unseeded generator.

/** A bijective 32-bit mixing function (full avalanche: every input bit flips about half the output bits). */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The key of one stream of a run: the run's seed with the stream's salt. */
export const streamKey = (seed: number, salt: number): number => mix32((seed ^ salt) >>> 0);

/** The key of one op's reads on a stream, `opIndex` its position in its function's body. */
export const opKey = (stream: number, opIndex: number): number => mix32((stream ^ opIndex) >>> 0);

/** The key of one read: element `element` of sample `sample` (its index in the run's batch). */
export const readKey = (op: number, element: number, sample: number): number => mix32((mix32((op ^ element) >>> 0) ^ sample) >>> 0);

/** Draws are numbered from 0 within a read; numbers step by the golden ratio's 32-bit fraction before mixing. */
export const DRAW_STEP = 0x9e3779b9;

/** Draw number `n` of a read. */
export const drawOf = (read: number, n: number): number => mix32((read + Math.imul(n + 1, DRAW_STEP)) >>> 0);

/**
 * The draws of one op's reads: `at(sample, element)` starts a read, then each call draws the
 * read's next number. One object per op, reused for every read (no allocation per read).
 */
export class ReadDraws {
  private read = 0;
  private n = 0;

  constructor(private readonly key: number) {}

  /** Starts the draws of element `element` of sample `sample`. */
  at(sample: number, element: number): this {
    this.read = readKey(this.key, element, sample);
    this.n = 0;
    return this;
  }

  /** The read's next 32-bit unsigned integer. */
  nextU32(): number {
    return drawOf(this.read, this.n++);
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Fair coin: the top bit. */
  bit(): boolean {
    return (this.nextU32() & 0x80000000) !== 0;
  }
}
