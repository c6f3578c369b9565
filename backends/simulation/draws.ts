// The seeded random draws of a simulated run: table misreads at p_error, exact ties of
// approximate rounding, read noise at reads that carry `fhec.read_std`, and the bit reads of exact
// rounding that carry it (exact_round.ts). Each kind has its own stream key, and each read its own
// draws under it (rng.ts: keyed by op, element and sample), so that no read's draws depend on
// another's or on the order of reads: the clear interpreter and the LLVM backend get the same
// draws, which keeps their results equal.
import type { DenseAttr } from "../../ir/attributes.js";
import type { Operation } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import type { SimulateOptions } from "./contract.js";
import { opKey, ReadDraws, streamKey } from "./rng.js";

export interface DrawStreams {
  readonly pError: number;
  /** Stream keys (rng.ts). p_error redirections: next() < pError, then bit() for the direction. */
  readonly errors: number;
  /** Approximate-rounding ties; undefined: ties round up. */
  readonly ties: number | undefined;
  /** Read noise at reads that carry `fhec.read_std`; undefined: no draws. */
  readonly noise: number | undefined;
  /** Bit reads of exact rounding that carry `fhec.read_std` (exact_round.ts); undefined: exact. */
  readonly bits: number | undefined;
}

/** The streams' salts: stream keys are the seed's mix with each (rng.ts streamKey). */
export const STREAM_SALTS = { errors: 0, ties: 0x5bd1e995, noise: 0x27d4eb2f, bits: 0x165667b1 } as const;

/** The streams the options ask for, each keyed from `seed`. */
export function openDraws(opts: Pick<SimulateOptions, "pError" | "approximateTies" | "noise" | "seed">): DrawStreams {
  const pError = opts.pError ?? 0;
  if (!(pError >= 0 && pError <= 1)) fail("E0701", `pError must be in [0, 1], got ${pError}`);
  const seed = opts.seed ?? 0;
  const randomTies = (opts.approximateTies ?? "random") === "random";
  const readNoise = randomTies && (opts.noise ?? "parameters") === "parameters";
  return {
    pError,
    errors: streamKey(seed, STREAM_SALTS.errors),
    ties: randomTies ? streamKey(seed, STREAM_SALTS.ties) : undefined,
    noise: readNoise ? streamKey(seed, STREAM_SALTS.noise) : undefined,
    bits: readNoise ? streamKey(seed, STREAM_SALTS.bits) : undefined,
  };
}

/** The draws of the reads of the op at `opIndex` in its function's body on `stream`. */
export function readDraws(stream: number, opIndex: number): ReadDraws {
  return new ReadDraws(opKey(stream, opIndex));
}

/** Streams that never draw: ties round up, no noise, no misreads. */
export function noDraws(): DrawStreams {
  return openDraws({ approximateTies: "up" });
}

/**
 * Per-element read noise in steps of the read (σ·2^(q+1)), and where its tie really is
 * (`fhec.read_offset`, steps: reads go up from f = 1/2 − offset), or undefined when not drawn.
 */
export function readSigma(op: Operation, q: number, draws: DrawStreams): { sigma: Float64Array; offset: number } | undefined {
  if (draws.noise === undefined) return undefined;
  const a = op.attributes.get("fhec.read_std");
  if (a?.kind !== "dense") return undefined;
  const scale = 2 ** (q + 1);
  const num = (name: string): number => {
    const x = op.attributes.get(name);
    return x?.kind === "float" || x?.kind === "int" ? x.value : 0;
  };
  const offset = num("fhec.read_offset");
  return { sigma: (a as DenseAttr).data.map((s) => s * scale), offset };
}

/** A standard normal draw (Box–Muller) of a read's next two uniforms. */
export function gauss(draws: ReadDraws): number {
  return gaussOf(draws.next(), draws.next());
}

/** The standard normal Box–Muller makes of two successive uniform draws `first` and `second` of a stream. */
export function gaussOf(first: number, second: number): number {
  return Math.sqrt(-2 * Math.log(1 - first)) * Math.cos(2 * Math.PI * second);
}
