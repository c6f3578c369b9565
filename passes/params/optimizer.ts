// Crypto-parameter optimizer (docs/tfhe.md): one parameter set for the whole circuit, the cheapest by
// the cost model that is 128-bit secure (noise stds on the security curve for n and kN) and meets
// every noise constraint at the per-PBS error bound.
//
// Search space: k ∈ 1..6, log₂N ∈ 8..17, n ∈ 450..2047, every PBS and keyswitch decomposition
// (β, ℓ) with β·ℓ ≤ 64 — within what the runtime executes (PBS β ≤ 52, kN ≤ 262144) — and, when
// the cost weights price multi-bit key products, grouping factors 2 and 3 at k = 1 (n a multiple
// of g; search_space.ts groupingFactors). Pruning, exact with respect to the cost model:
// - For a given (k, N, g) and PBS level ℓ, σ²_BR/n does not depend on n, so only the base β minimising
//   it matters; levels whose best σ²_EP is no better than a smaller level's are dominated (same
//   noise, higher cost) and dropped.
// - The keyswitch noise per input coefficient depends on (n, β_KS, ℓ_KS) only (not on kN), so the
//   best base per (n, ℓ_KS) and the dominated levels are computed once per n, shared by all (k, N).
// - Cost grows with n, ℓ_PBS and ℓ_KS, so n is scanned upward and stops as soon as the cheapest
//   conceivable set at that n costs more than the best found; for each (n, ℓ_PBS) the smallest
//   sufficient ℓ_KS is taken.
// - The keyswitch's noise budget only shrinks as the bootstrap adds noise, so an n where no ℓ_KS
//   fits even under a noiseless bootstrap is skipped before any PBS level is tried there (most
//   small n, for every (k, N): this cut the partition search's candidates 160-fold on a CNN).
// The result is the exact optimum of the model over the whole space (not an approximation).
import { fail } from "../../ir/diagnostics.js";
import { type NoiseConstraint, noiseBits } from "./norms.js";
import {
  errorProbability,
  type CostWeights,
  keyswitchCost,
  keyswitchVariance,
  modulusSwitchVariance,
  noiseTerms,
  OPERATION_COUNT,
  pbsCost,
  perPbsFromGlobal,
  safeVariance,
  type ModulusSwitchKind,
  type NoiseParameters,
} from "../../crypto-model/index.js";
import { checkSecurity, minNoiseStd } from "../../crypto-model/index.js";
import { chooseOutputKey, outputPathCost } from "./output_key.js";
import { allPairs, firstMultiple, groupingFactors, type Level, ksLevels, noiselessBootstrapBudget, ownKeyBytes, pbsLevels, SEARCH_SPACE } from "./search_space.js";

/** The chosen set (field names are part of the `fhec info --json` contract). */
export interface CryptoParameters extends NoiseParameters {
  /** Precision (bits) of the most demanding constraint, the one that sized the set. */
  readonly precision: number;
  /** ν² of the most demanding constraint. */
  readonly maxNorm2: number;
  /** The per-PBS error bound the set was chosen for. */
  readonly pError: number;
  /** Cost model value of one table lookup (keyswitch + PBS); 0 for a circuit without any. */
  readonly cost: number;
  /** Predicted worst per-PBS (or per-decryption) error probability over all constraints. */
  readonly pErrorPerPbs: number;
  /**
   * Set by the single-set search when the outputs need a dedicated output key (output_key.ts):
   * its dimension and the decomposition of the conversion key into it. Not part of the attribute.
   */
  readonly outputKeyswitch?: OutputKeyswitch;
}

/** The keyswitch that takes a set's results to the output key. */
export interface OutputKeyswitch {
  readonly lweDimension: number;
  readonly ksBaseLog: number;
  readonly ksLevel: number;
}

export interface ChooseParametersOptions {
  readonly constraints: readonly NoiseConstraint[];
  /** Per-PBS error bound; default 2^−40 (when `globalPError` is not given either). */
  readonly pError?: number;
  /**
   * Bound on the probability that any PBS (or output decryption) of one run fails; turned into
   * a per-PBS bound by 1 − P = (1 − p)^count over the constraints' counts. With `pError` also
   * given, the smaller per-PBS bound wins.
   */
  readonly globalPError?: number;
  /** Weights of the cost terms the search minimises (default: operation counts, docs/tfhe.md). */
  readonly weights?: CostWeights;
  /** The modulus switch the reads see (default the runtime's centred one; "plain" to compare with published sets). */
  readonly modulusSwitch?: ModulusSwitchKind;
  /**
   * Budget for the set's bootstrapping and keyswitching keys (bytes, as the server holds them):
   * the cheapest set whose keys fit; the cheapest of all when none does.
   */
  readonly maxKeyBytes?: number;
}

export const DEFAULT_P_ERROR = 2 ** -40;

/** A constraint reduced to what the search needs. */
interface Req {
  /**
   * Reads after keyswitch + modulus switch (tables, rounding bits), or decryptions: after the
   * keyswitch to the small key that compacts every output, without modulus switch.
   */
  readonly pbs: boolean;
  readonly precision: number;
  /** σ²_safe at this precision. */
  readonly safe: number;
  readonly a: number;
  readonly f: number;
  readonly src: NoiseConstraint;
}

/** @internal A gadget decomposition and its variance (shared with the partition optimizer). */
interface Found {
  k: number;
  N: number;
  n: number;
  /** PBS grouping factor (1: classic). */
  g: number;
  pbs: Level;
  ks: Level;
  /** Cost of one lookup (keyswitch + PBS). */
  cost: number;
  /** Σ count × cost over the lookups, plus the outputs' keyswitches. */
  total: number;
}

function validate(c: NoiseConstraint): void {
  const bad = (what: string) => {
    throw new RangeError(`noise constraint ${c.description ?? c.kind}: ${what}`);
  };
  if (!(Number.isInteger(c.precision) && c.precision >= 1 && c.precision <= 62)) bad(`precision ${c.precision} must be an integer in 1..62`);
  for (const [k, v] of [["norm2", c.norm2], ["pbsNorm2", c.pbsNorm2], ["freshNorm2", c.freshNorm2]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) bad(`${k} = ${v} must be finite and ≥ 0`);
  }
}

export const isPbs = (c: NoiseConstraint): boolean => c.kind !== "output";

/**
 * What a requirement reads under one set: a table after keyswitch and modulus switch, an output
 * after the keyswitch that compacts it (none in a circuit without PBS: compact_outputs.ts).
 */
function readVarianceOf(r: Req, t: ReturnType<typeof noiseTerms>, linear: boolean, outputKeyswitch = t.keyswitch): number {
  return r.a * t.bootstrap + r.f * t.fresh + (r.pbs ? t.keyswitch : linear ? 0 : outputKeyswitch) + (r.pbs ? t.modulusSwitch : 0);
}

/** σ²_KS of the keyswitch that compacts a set's outputs: into its output key if it has one, else its own. */
function outputKeyswitchVariance(p: NoiseParameters & { readonly outputKeyswitch?: OutputKeyswitch }): number {
  const o = p.outputKeyswitch;
  const kN = p.glweDimension * p.polynomialSize;
  return o ? keyswitchVariance(kN, o.ksBaseLog, o.ksLevel, minNoiseStd(o.lweDimension)) : keyswitchVariance(kN, p.ksBaseLog, p.ksLevel, p.lweNoiseStd);
}

function toReqs(constraints: readonly NoiseConstraint[], pError: number, linear: boolean): Req[] {
  return constraints.map((c) => {
    // Without any PBS in the circuit every unit of noise is a fresh encryption.
    const a = linear ? 0 : (c.pbsNorm2 ?? c.norm2);
    const f = linear ? Math.max(c.norm2, c.freshNorm2 ?? 0) : (c.freshNorm2 ?? 0);
    return { pbs: isPbs(c), precision: c.precision, safe: safeVariance(noiseBits(c), pError), a, f, src: c };
  });
}

/** Drops constraints implied by another of the same class and precision (larger a and f). */
function reduce(reqs: readonly Req[]): Req[] {
  const groups = new Map<string, Req[]>();
  for (const r of reqs) {
    const key = `${r.pbs}:${r.precision}:${r.safe}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out: Req[] = [];
  for (const g of groups.values()) {
    g.sort((x, y) => y.a - x.a || y.f - x.f);
    let maxF = -1;
    for (const r of g) {
      if (r.f > maxF) {
        out.push(r);
        maxF = r.f;
      }
    }
  }
  return out;
}

// ---- decomposition tables ---------------------------------------------------------------------

// ---- search -----------------------------------------------------------------------------------

interface SearchOptions {
  /** Restrict to these (k, N) pairs (default: the whole space). */
  readonly pairs?: readonly (readonly [number, number])[];
  /** Stop at the first feasible set (feasibility test only). */
  readonly firstFeasible?: boolean;
  /** Lookups and decrypted values per run (weights of the total cost; default 1 and one per output requirement). */
  readonly pbsCount?: number;
  readonly outCount?: number;
  /** Weights of the cost terms (default: operation counts). */
  readonly weights?: CostWeights;
  readonly modulusSwitch?: ModulusSwitchKind;
  /** Only sets whose bootstrapping + keyswitching keys take at most this many bytes. */
  readonly maxKeyBytes?: number;
}

/**
 * Cheapest (k, N, n, PBS, KS) meeting every requirement; at least one must be a PBS one. Tables
 * size the keyswitching key; outputs take their own path (output_key.ts), whose cost counts too.
 */
function search(reqs: readonly Req[], opts: SearchOptions = {}): Found | undefined {
  const tables = reqs.filter((r) => r.pbs);
  const outs = reqs.filter((r) => !r.pbs);
  const pbsCount = opts.pbsCount ?? 1;
  const outCount = opts.outCount ?? outs.length;
  const w = opts.weights ?? OPERATION_COUNT;
  const maxTableBits = Math.max(1, ...tables.map((r) => r.precision));
  let best: Found | undefined;
  for (const [k, N] of opts.pairs ?? allPairs()) {
    const kN = k * N;
    if (kN < SEARCH_SPACE.minLweDimension) continue; // the curve is not valid for the GLWE key
    if (N < 2 ** (maxTableBits + 1)) continue; // a PBS reads p bits (plus padding) from 2N slots
    const fresh = minNoiseStd(kN) ** 2;
    // Requirements that do not depend on n or the decompositions.
    if (outs.some((r) => r.f * fresh >= r.safe) || tables.some((r) => r.f * fresh >= r.safe)) continue;
    for (const g of groupingFactors(w, k)) {
      const levels = pbsLevels(k, N, g);
      if (levels.length === 0) continue;
      for (let n = firstMultiple(SEARCH_SPACE.minLweDimension, g); n <= SEARCH_SPACE.maxLweDimension; n += g) {
        const floorCost = pbsCost(n, k, N, levels[0]!.level, g, w) + keyswitchCost(n, k, N, 1, w);
        if (best && pbsCount * floorCost >= best.total) break;
        const ms = modulusSwitchVariance(n, N, opts.modulusSwitch);
        const ks = ksLevels(n);
        const widest = noiselessBootstrapBudget(tables, fresh, ms);
        if (!(widest > 0) || !ks.some((l) => l.variance <= widest / kN)) continue;
        for (const pbs of levels) {
          const cPbs = pbsCost(n, k, N, pbs.level, g, w);
          if (best && pbsCount * (cPbs + keyswitchCost(n, k, N, 1, w)) >= best.total) break;
          const br = n * pbs.variance;
          let budget = Infinity;
          for (const r of tables) budget = Math.min(budget, r.safe - r.a * br - r.f * fresh - ms);
          if (!(budget > 0)) continue;
          const ksLevel = ks.find((l) => l.variance <= budget / kN);
          if (!ksLevel) continue;
          if (opts.maxKeyBytes !== undefined && ownKeyBytes({ k, N, n, g, pbs, ks: ksLevel }) > opts.maxKeyBytes) continue;
          const outCost = outputPathCost({ k, N, n, bootstrap: br, fresh, ks: ksLevel }, outs, outCount, w);
          if (outCost === undefined) continue;
          const cost = cPbs + keyswitchCost(n, k, N, ksLevel.level, w);
          const total = pbsCount * cost + outCost;
          if (!best || total < best.total) best = { k, N, n, g, pbs, ks: ksLevel, cost, total };
          if (opts.firstFeasible) return best;
        }
      }
    }
  }
  return best;
}

function demand(r: Req): number {
  return (r.a + r.f) * 4 ** r.precision;
}

function describe(c: NoiseConstraint): string {
  return c.description ?? `${c.kind} constraint`;
}

function noSolution(reqs: readonly Req[], pError: number, linear: boolean): never {
  const sorted = reduce(reqs).sort((x, y) => demand(y) - demand(x) || Number(y.pbs) - Number(x.pbs));
  let worst = sorted[0]!;
  if (!linear) {
    // The most demanding constraint that cannot be met even on its own, if there is one.
    for (const r of sorted) {
      if (!(r.pbs ? search([r], { firstFeasible: true }) : search([r, syntheticTable(pError)], { firstFeasible: true }))) {
        worst = r;
        break;
      }
    }
  }
  const c = worst.src;
  const nu = Math.sqrt(c.norm2);
  const what = c.kind === "output" ? "decrypting" : "reading";
  const advice =
    c.kind === "output"
      ? "The client decrypts this result at its full width: round wide results too (the rounding pass's outputs option), " +
        "use fewer bits (nBits) or smaller weights, or allow a larger p_error."
      : c.kind === "round-bit"
        ? "Exact rounding reads each removed bit at the accumulator's full precision: use approximate rounding " +
          '(roundingThresholdBits with method "approximate"), fewer bits (nBits) or smaller weights, or allow a larger p_error.'
        : "Reduce the precision there: round accumulators before tables (roundingThresholdBits), use fewer bits (nBits) " +
          "or smaller weights, or allow a larger p_error.";
  fail(
    "E0602",
    `no 128-bit secure crypto parameters meet p_error ${pError.toExponential(2)} per PBS: the most demanding constraint is ${describe(c)}` +
      ` (${what} ${c.precision} bit${c.precision === 1 ? "" : "s"} with ν² = ${fmt(c.norm2)}, ν ≈ ${fmt(nu)}). ${advice}`,
    c.loc,
    c.op,
  );
}

function fmt(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e15 ? String(x) : x.toPrecision(4);
}

/** A 1-bit table read of a PBS output: gives linear circuits usable keys for the artifact. */
function syntheticTable(pError: number): Req {
  const src: NoiseConstraint = { kind: "table", precision: 1, norm2: 1, description: "synthetic 1-bit table (keys for a circuit without tables)" };
  return { pbs: true, precision: 1, safe: safeVariance(1, pError), a: 1, f: 0, src };
}

/** The per-PBS bound to use for these options and constraints. */
export function resolvePError(constraints: readonly NoiseConstraint[], pError?: number, globalPError?: number): number {
  if (pError !== undefined && !(pError > 0 && pError < 1)) throw new RangeError(`pError must be in (0, 1), got ${pError}`);
  if (globalPError === undefined) return pError ?? DEFAULT_P_ERROR;
  const count = constraints.reduce((s, c) => s + (c.count ?? 1), 0);
  const fromGlobal = perPbsFromGlobal(globalPError, Math.max(1, count));
  return pError === undefined ? fromGlobal : Math.min(pError, fromGlobal);
}

/**
 * The cheapest 128-bit secure parameter set meeting every constraint. Throws `CompileError`
 * E0602 naming the most demanding constraint when none exists.
 *
 * Circuits without any table (no `table`/`round-bit` constraint) only need their outputs to
 * decrypt: the big key is the smallest kN whose fresh-encryption noise (σ_glwe·ν) passes every
 * output — among the kN whose keys can also run a 1-bit PBS, so the artifact's keys are complete
 * and usable (this only rules out kN = 512, too noisy for any PBS) — and the small key and
 * decompositions are the cheapest 1-bit-PBS-capable ones on that (k, N); `cost` is 0 (no
 * keyswitch or PBS runs, and the outputs stay under the big key: compact_outputs.ts).
 */
export function chooseParameters(options: ChooseParametersOptions): CryptoParameters {
  const { constraints } = options;
  constraints.forEach(validate);
  const pError = resolvePError(constraints, options.pError, options.globalPError);
  const linear = !constraints.some(isPbs);
  const reqs = toReqs(constraints, pError, linear);
  let found: Found | undefined;
  const pbsCount = constraints.reduce((t, c) => t + (isPbs(c) ? (c.count ?? 1) : 0), 0);
  const outCount = constraints.reduce((t, c) => t + (isPbs(c) ? 0 : (c.count ?? 1)), 0);
  if (!linear) {
    const opts: SearchOptions = {
      pbsCount, outCount, ...(options.weights ? { weights: options.weights } : {}), ...(options.modulusSwitch ? { modulusSwitch: options.modulusSwitch } : {}),
    };
    if (options.maxKeyBytes !== undefined) found = search(reduce(reqs), { ...opts, maxKeyBytes: options.maxKeyBytes });
    found ??= search(reduce(reqs), opts);
  } else {
    // Smallest kN meeting the outputs; among equal kN, the cheapest 1-bit PBS.
    const byDim = new Map<number, [number, number][]>();
    for (const [k, N] of allPairs()) {
      if (k * N < SEARCH_SPACE.minLweDimension) continue;
      const fresh = minNoiseStd(k * N) ** 2;
      if (reqs.some((r) => r.f * fresh > r.safe)) continue;
      const list = byDim.get(k * N) ?? [];
      list.push([k, N]);
      byDim.set(k * N, list);
    }
    for (const dim of [...byDim.keys()].sort((x, y) => x - y)) {
      const f = search([syntheticTable(pError)], { pairs: byDim.get(dim)! });
      if (f) {
        found = { ...f, cost: 0 };
        break;
      }
    }
  }
  if (!found) noSolution(reqs, pError, linear);

  const params = {
    lweDimension: found.n,
    glweDimension: found.k,
    polynomialSize: found.N,
    pbsBaseLog: found.pbs.baseLog,
    pbsLevel: found.pbs.level,
    ksBaseLog: found.ks.baseLog,
    ksLevel: found.ks.level,
    lweNoiseStd: minNoiseStd(found.n),
    glweNoiseStd: minNoiseStd(found.k * found.N),
    ...(found.g > 1 ? { pbsGroupingFactor: found.g } : {}),
  };
  const sec = checkSecurity(params);
  if (!sec.secure) throw new Error(`internal: optimizer produced an insecure set\n${sec.report}`);
  const t = noiseTerms(params, options.modulusSwitch);
  const outs = reqs.filter((r) => !r.pbs);
  const choice = linear
    ? undefined
    : chooseOutputKey([{ partition: 0, set: { k: found.k, N: found.N, n: found.n, bootstrap: t.bootstrap, fresh: t.fresh, ks: found.ks }, outs, count: outCount }]);
  const ok = choice?.keyswitches[0];
  const outputKeyswitch = choice && ok ? { lweDimension: choice.lweDimension, ksBaseLog: ok.level.baseLog, ksLevel: ok.level.level } : undefined;
  const outputKs = outputKeyswitchVariance({ ...params, ...(outputKeyswitch ? { outputKeyswitch } : {}) });

  // The most demanding constraint under the chosen set: the highest predicted error probability.
  let worst: { p: number; c: NoiseConstraint | undefined } = { p: 0, c: undefined };
  for (const r of reqs) {
    const p = errorProbability(noiseBits(r.src), readVarianceOf(r, t, linear, outputKs));
    if (!worst.c || p > worst.p) worst = { p, c: r.src };
  }
  return {
    precision: worst.c?.precision ?? 1,
    ...params,
    maxNorm2: worst.c?.norm2 ?? 0,
    pError,
    cost: found.cost,
    pErrorPerPbs: worst.p,
    ...(outputKeyswitch ? { outputKeyswitch } : {}),
  };
}

/** Predicted error probability of each constraint under a parameter set (for reports and tests). */
export function constraintErrorProbabilities(
  params: NoiseParameters & { readonly outputKeyswitch?: OutputKeyswitch },
  constraints: readonly NoiseConstraint[],
  modulusSwitch: ModulusSwitchKind = "centred",
): number[] {
  const linear = !constraints.some(isPbs);
  const t = noiseTerms(params, modulusSwitch);
  const outputKs = outputKeyswitchVariance(params);
  return toReqs(constraints, 0.5, linear).map((r) => errorProbability(noiseBits(r.src), readVarianceOf(r, t, linear, outputKs)));
}
