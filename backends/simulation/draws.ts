// The seeded random draws of a simulated run: table misreads at p_error, exact ties of
// approximate rounding, read noise at reads that carry `fhec.read_std`, and the bit reads of exact
// rounding that carry it (exact_round.ts). Each kind has its own
// stream, so that one kind's draws never shift another's; the clear interpreter and the LLVM
// backend both draw from these streams in the same order, which keeps their results equal.
import type { DenseAttr } from "../../ir/attributes.js";
import type { Operation } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import type { SimulateOptions } from "./contract.js";
import { Rng } from "./rng.js";

export interface DrawStreams {
  readonly pError: number;
  /** p_error redirections: next() < pError, then bit() for the direction. */
  readonly rng: Rng;
  /** Approximate-rounding ties; undefined: ties round up. */
  readonly tieRng: Rng | undefined;
  /** Read noise at reads that carry `fhec.read_std`; undefined: no draws. */
  readonly noiseRng: Rng | undefined;
  /** Bit reads of exact rounding that carry `fhec.read_std` (exact_round.ts); undefined: exact. */
  readonly bitRng: Rng | undefined;
}

/** The streams the options ask for, each seeded from `seed`. */
export function openDraws(opts: Pick<SimulateOptions, "pError" | "approximateTies" | "noise" | "seed">): DrawStreams {
  const pError = opts.pError ?? 0;
  if (!(pError >= 0 && pError <= 1)) fail("E0701", `pError must be in [0, 1], got ${pError}`);
  const seed = opts.seed ?? 0;
  const randomTies = (opts.approximateTies ?? "random") === "random";
  const readNoise = randomTies && (opts.noise ?? "parameters") === "parameters";
  return {
    pError,
    rng: new Rng(seed),
    tieRng: randomTies ? new Rng((seed ^ 0x5bd1e995) >>> 0) : undefined,
    noiseRng: readNoise ? new Rng((seed ^ 0x27d4eb2f) >>> 0) : undefined,
    bitRng: readNoise ? new Rng((seed ^ 0x165667b1) >>> 0) : undefined,
  };
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
  if (!draws.noiseRng) return undefined;
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

/** A standard normal draw (Box–Muller). */
export function gauss(rng: Rng): number {
  return gaussOf(rng.next(), rng.next());
}

/** The standard normal Box–Muller makes of two successive uniform draws `first` and `second` of a stream. */
export function gaussOf(first: number, second: number): number {
  return Math.sqrt(-2 * Math.log(1 - first)) * Math.cos(2 * Math.PI * second);
}
