// Multi-parameter optimization: the circuit's key classes (passes/params/classes.ts) are grouped
// into partitions, each with its own parameter set (small key n, GLWE key k·N, BSK, KSK), so a few
// 8-bit tables no longer make every 3-bit lookup pay N = 32768.
//
// A noise constraint reads a value that lives under the big key of partition A (the partition of
// the value's class). A table (or exact-rounding bit) of partition B reads it after a keyswitch
// to B's small key: A's own keyswitching key when A = B, else a *conversion* key big_A → small_B,
// whose input dimension is k_A·N_A and whose noise is B's small-key noise:
//   a·σ²_BR(A) + f·σ²_glwe(A) + k_A N_A·v_KS(β, ℓ, σ_n(B)) + σ²_MS(n_B, N_B) ≤ σ²_safe(p)
// Decryptions read a·σ²_BR(A) + f·σ²_glwe(A) + k_A N_A·v_KS(A's own key) ≤ σ²_safe(p): every
// output is keyswitched to A's small key before it returns (compact outputs). The cost minimised is
//   Σ_PBS count·pbsCost(B) + Σ_own keyswitches count·ksCost(n_B, k_B N_B) + Σ_conversions count·ksCost(n_B, k_A N_A)
// (the cost model of crypto-model/noise.ts, in its units). A partition's set may be multi-bit
// (grouping factor g) when the cost weights price it (search_space.ts groupingFactors).
//
// Candidates: classes sorted by a difficulty key (bits read plus half the log2 of the norm: the
// bits of noise headroom a read needs), distinct keys cut into at most MAX_PARTITIONS contiguous
// groups. Each candidate is solved by coordinate descent: every partition first alone (cross
// reads treated as its own), then each partition re-optimised exactly (the same exhaustive
// search as the single-set optimizer) with the others fixed, including the conversion keys into
// and out of it, until no partition changes. The single set is always a candidate, so the result
// never costs more than one parameter set.
import { type NoiseConstraint, noiseBits } from "./norms.js";
import { type CryptoParameters, isPbs } from "./optimizer.js";
import { allPairs, firstMultiple, groupingFactors, type Level, ksLevels, noiselessBootstrapBudget, ownKeyBytes, pbsLevels, SEARCH_SPACE } from "./search_space.js";
import {
  blindRotationVariancePerKeyBit,
  bootstrapKeyBytes,
  type CostWeights,
  errorProbability,
  keyswitchKeyBytes,
  keyswitchCost,
  keyswitchVariance,
  modulusSwitchVariance,
  noiseTerms,
  OPERATION_COUNT,
  pbsCost,
  safeVariance,
  type NoiseParameters,
} from "../../crypto-model/index.js";
import { checkSecurity, minNoiseStd } from "../../crypto-model/index.js";
import { compactsOutputs } from "./compact_outputs.js";
import { chooseOutputKey, chosenPathCost, outputKeyParameters, type OutputKeyChoice, outputPathBytes, outputPathCost, outputTarget, type SourceSet } from "./output_key.js";

export const MAX_PARTITIONS = 3;
/** A partitioning is kept only when it costs at most this fraction of the single set. */
export const MIN_GAIN = 0.9;

/** A conversion keyswitching key, big key of `from` → small key of `to`. */
export interface ConversionParameters {
  readonly from: number;
  readonly to: number;
  readonly ksBaseLog: number;
  readonly ksLevel: number;
  /** k·N of the source partition (the keyswitch's input dimension). */
  readonly inputDimension: number;
  /** σ of the target partition's small key (the conversion key's noise). */
  readonly lweNoiseStd: number;
  /** Keyswitches through this key per run. */
  readonly count: number;
}

/** Where one constraint sits: the partition whose big key holds the value, and the reading PBS's. */
export interface Placement {
  readonly source: number;
  /** undefined for decryptions. */
  readonly reader: number | undefined;
  /** Decryptions through the output key: its index (else the source's own small key). */
  readonly target?: number;
}

export interface PartitionedParameters {
  readonly partitions: readonly CryptoParameters[];
  readonly conversions: readonly ConversionParameters[];
  /** One per input constraint, same order. */
  readonly placements: readonly Placement[];
  /** Partition of each key class. */
  readonly classPartition: readonly number[];
  /** Σ count × cost under the chosen partitions, and under the best single set. */
  readonly totalCost: number;
  readonly singleCost: number;
  /** Index of the output key among `partitions` (the last one), when the outputs need one. */
  readonly outputKey?: number;
  /**
   * Set when the key budget bound the choice: the evaluation-key bytes of the cheapest
   * partitioning, which did not fit (the result is the cheapest that does, or the smallest found).
   */
  readonly cheapestKeyBytes?: number;
}

/** A constraint with its key classes (source: the value's class; reader: the reading PBS's class). */
export interface ClassedConstraint {
  readonly constraint: NoiseConstraint;
  readonly sourceClass: number;
  /** undefined for decryptions. */
  readonly readerClass: number | undefined;
}

interface Read {
  src: number;
  dst: number | undefined;
  precision: number;
  safe: number;
  a: number;
  f: number;
  count: number;
}

interface PSet {
  k: number;
  N: number;
  n: number;
  /** PBS grouping factor (1: classic); `pbs.variance` is σ²_BR per small-key bit. */
  g: number;
  pbs: Level;
  ks: Level;
}

const kN = (s: PSet): number => s.k * s.N;
const fresh = (s: PSet): number => minNoiseStd(kN(s)) ** 2;
const br = (s: PSet): number => s.n * s.pbs.variance;
const sourceSet = (s: PSet): SourceSet => ({ k: s.k, N: s.N, n: s.n, bootstrap: br(s), fresh: fresh(s), ks: s.ks });
/** Bytes of a conversion key from big key A (dimension kN(A)) to a small key of dimension n. */
const conversionBytes = (A: PSet, n: number, l: Level): number => keyswitchKeyBytes(kN(A), n, l.baseLog, l.level, minNoiseStd(n));

/**
 * What the search minimises: cost + bytesWeight · key bytes (a Lagrangian weight, 0 unless the
 * cheapest solution's keys exceed the budget; see choosePartitions).
 */
interface Objective {
  readonly bytesWeight: number;
  /** Weights of the cost terms (operation counts, or a measured time model). */
  readonly weights: CostWeights;
}

/** Difficulty key of a read: bits plus half the log2 of the norm (integer, ≥ 0). */
function readKey(c: NoiseConstraint): number {
  return Math.ceil(c.precision + 0.5 * Math.log2(Math.max(1, c.norm2)) - 1e-9);
}

/** Smallest non-dominated keyswitch level at output dimension n meeting a per-coefficient budget. */
function levelFor(n: number, perCoefficient: number): Level | undefined {
  if (!(perCoefficient > 0)) return undefined;
  return ksLevels(n).find((l) => l.variance <= perCoefficient);
}

/** The conversion level for reads src=A → dst=B under fixed sets (undefined: infeasible). */
function conversionLevel(reads: readonly Read[], A: PSet, B: PSet): Level | undefined {
  let budget = Infinity;
  const ms = modulusSwitchVariance(B.n, B.N);
  for (const r of reads) budget = Math.min(budget, r.safe - r.a * br(A) - r.f * fresh(A) - ms);
  return levelFor(B.n, budget / kN(A));
}

interface Solved {
  set: PSet;
  cost: number;
}

/**
 * Exact cheapest set for partition X with the other partitions fixed (`sets[A]` for A ≠ X);
 * `isolated` treats every read into or out of X as X's own (the starting point).
 */
function solvePartition(X: number, reads: readonly Read[], sets: readonly (PSet | undefined)[], isolated: boolean, objective: Objective, memo?: Map<string, Solved | undefined>): Solved | undefined {
  if (memo) {
    // The problem depends only on X's reads (by role) and the fixed sets they touch: candidate
    // groupings that share a group and its neighbours share the answer.
    const setKey = (s: PSet | undefined) => (s ? `${s.k},${s.N},${s.n},${s.g},${s.pbs.baseLog},${s.pbs.level},${s.ks.baseLog},${s.ks.level}` : "-");
    const parts: string[] = [];
    for (const r of reads) {
      let role: string;
      if (r.dst === undefined) role = r.src === X ? "o" : "";
      else if (r.dst === X) role = r.src === X || isolated ? "s" : `i${setKey(sets[r.src])}`;
      else role = r.src === X && !isolated ? `x${setKey(sets[r.dst])}` : "";
      if (role) parts.push(`${role}|${r.precision}|${r.a}|${r.f}|${r.count}|${r.safe}`);
    }
    const key = parts.sort().join(";");
    if (memo.has(key)) return memo.get(key);
    const out = solvePartition(X, reads, sets, isolated, objective);
    memo.set(key, out);
    return out;
  }
  const own: Read[] = [];
  const convIn = new Map<number, Read[]>();
  const convOut = new Map<number, Read[]>();
  const outs: Read[] = [];
  for (const r of reads) {
    if (r.dst === undefined) {
      if (r.src === X) outs.push(r);
    } else if (r.dst === X) {
      if (r.src === X || isolated) own.push(r);
      else convIn.set(r.src, [...(convIn.get(r.src) ?? []), r]);
    } else if (r.src === X && !isolated) {
      convOut.set(r.dst, [...(convOut.get(r.dst) ?? []), r]);
    }
  }
  const pbsCount = [...own, ...[...convIn.values()].flat()].reduce((s, r) => s + r.count, 0);
  const ownCount = own.reduce((s, r) => s + r.count, 0);
  const outCount = outs.reduce((s, r) => s + r.count, 0);
  const maxBits = Math.max(1, ...own.map((r) => r.precision), ...[...convIn.values()].flat().map((r) => r.precision));
  const inFixed = [...convIn].map(([A, rs]) => {
    const s = sets[A]!;
    return { s, rs: rs.map((r) => ({ r, v: r.a * br(s) + r.f * fresh(s) })), count: rs.reduce((x, r) => x + r.count, 0) };
  });
  const outFixed = [...convOut].map(([B, rs]) => {
    const s = sets[B]!;
    return { s, ms: modulusSwitchVariance(s.n, s.N), std: minNoiseStd(s.n), rs, count: rs.reduce((x, r) => x + r.count, 0) };
  });
  let best: Solved | undefined;
  for (const [k, N] of allPairs()) {
    const dim = k * N;
    if (dim < SEARCH_SPACE.minLweDimension || N < 2 ** (maxBits + 1)) continue;
    const fr = minNoiseStd(dim) ** 2;
    // The conversions into this partition do not depend on its PBS level: their keyswitch levels
    // at n (undefined when one has none), once per n.
    const conversionLevelsAt = (n: number, ms: number): Level[] | undefined => {
      const out: Level[] = [];
      for (const c of inFixed) {
        let budget = Infinity;
        for (const { r, v } of c.rs) budget = Math.min(budget, r.safe - v - ms);
        const l = levelFor(n, budget / kN(c.s));
        if (!l) return undefined;
        out.push(l);
      }
      return out;
    };
    // The own and outgoing keyswitches under a noiseless bootstrap (search_space.ts).
    const fitUnderNoiselessBootstrap = (n: number, ms: number): boolean => {
      if (own.length > 0 && !levelFor(n, noiselessBootstrapBudget(own, fr, ms) / dim)) return false;
      return !outFixed.some((o) => !levelFor(o.s.n, noiselessBootstrapBudget(o.rs, fr, o.ms) / dim));
    };
    if (outs.some((r) => r.f * fr >= r.safe) || own.some((r) => r.f * fr >= r.safe)) continue;
    if (outFixed.some((o) => o.rs.some((r) => r.f * fr + o.ms >= r.safe))) continue;
    for (const g of groupingFactors(objective.weights, k)) {
      const levels = pbsLevels(k, N, g);
      if (levels.length === 0) continue;
      for (let n = firstMultiple(SEARCH_SPACE.minLweDimension, g); n <= SEARCH_SPACE.maxLweDimension; n += g) {
        if (best && pbsCount > 0 && pbsCount * pbsCost(n, k, N, levels[0]!.level, g, objective.weights) >= best.cost) break;
        const ms = modulusSwitchVariance(n, N);
        // The small key's noise, once per n (the key-byte terms below ask for it per level).
        const nStd = minNoiseStd(n);
        const inLevels = conversionLevelsAt(n, ms);
        if (!inLevels || !fitUnderNoiselessBootstrap(n, ms)) continue;
        for (const pbs of levels) {
          const cP = pbsCount * pbsCost(n, k, N, pbs.level, g, objective.weights);
          if (best && pbsCount > 0 && cP >= best.cost) break;
          const b = n * pbs.variance;
          let cost = cP;
          let bytes = bootstrapKeyBytes({ lweDimension: n, glweDimension: k, polynomialSize: N, pbsLevel: pbs.level, pbsGroupingFactor: g });
          // The partition's own keyswitching key serves its tables' reads (then a modulus switch);
          // its outputs take their own path (output_key.ts).
          let ks: Level | undefined = ksLevels(n)[0];
          if (own.length > 0) {
            let budget = Infinity;
            for (const r of own) budget = Math.min(budget, r.safe - r.a * b - r.f * fr - ms);
            ks = levelFor(n, budget / dim);
            if (!ks) continue;
            cost += ownCount * keyswitchCost(n, k, N, ks.level, objective.weights);
          }
          bytes += keyswitchKeyBytes(dim, n, ks!.baseLog, ks!.level, nStd);
          const source: SourceSet = { k, N, n, bootstrap: b, fresh: fr, ks: ks! };
          const outCost = outputPathCost(source, outs, outCount, objective.weights);
          if (outCost === undefined) continue;
          cost += outCost;
          if (objective.bytesWeight > 0) bytes += outputPathBytes(source, outs);
          inFixed.forEach((c, i) => {
            cost += c.count * keyswitchCost(n, c.s.k, c.s.N, inLevels[i]!.level, objective.weights);
            bytes += conversionBytes(c.s, n, inLevels[i]!);
          });
          let ok = true;
          for (const o of outFixed) {
            let budget = Infinity;
            for (const r of o.rs) budget = Math.min(budget, r.safe - r.a * b - r.f * fr - o.ms);
            const l = levelFor(o.s.n, budget / dim);
            if (!l) {
              ok = false;
              break;
            }
            cost += o.count * keyswitchCost(o.s.n, k, N, l.level, objective.weights);
            bytes += keyswitchKeyBytes(dim, o.s.n, l.baseLog, l.level, o.std);
          }
          if (!ok) continue;
          cost += objective.bytesWeight * bytes;
          if (!best || cost < best.cost) best = { set: { k, N, n, g, pbs, ks: ks! }, cost };
        }
      }
    }
  }
  return best;
}

interface Evaluated {
  /** Cost (the cost model's units), evaluation-key bytes, and the objective cost + weight·bytes. */
  cost: number;
  bytes: number;
  /** The part of `bytes` for the outputs' keys, counted at the lightest output key. */
  outputBytes: number;
  objective: number;
  conversions: Map<string, { from: number; to: number; level: Level; count: number }>;
}

/** Checks every read under fixed sets; total cost, or undefined when a read fails. */
function evaluate(reads: readonly Read[], sets: readonly PSet[], objective: Objective): Evaluated | undefined {
  let cost = 0;
  let bytes = sets.reduce((t, s) => t + ownKeyBytes(s), 0);
  let outputBytes = 0;
  const pairs = new Map<string, Read[]>();
  const outputs = new Map<number, Read[]>();
  for (const r of reads) {
    const A = sets[r.src]!;
    if (r.dst === undefined) {
      outputs.set(r.src, [...(outputs.get(r.src) ?? []), r]);
      continue;
    }
    const B = sets[r.dst]!;
    cost += r.count * pbsCost(B.n, B.k, B.N, B.pbs.level, B.g, objective.weights);
    if (r.src === r.dst) {
      const v = r.a * br(A) + r.f * fresh(A) + keyswitchVariance(kN(A), B.ks.baseLog, B.ks.level, minNoiseStd(B.n)) + modulusSwitchVariance(B.n, B.N);
      if (v > r.safe) return undefined;
      cost += r.count * keyswitchCost(B.n, B.k, B.N, B.ks.level, objective.weights);
    } else {
      const key = `${r.src}>${r.dst}`;
      pairs.set(key, [...(pairs.get(key) ?? []), r]);
    }
  }
  for (const [X, rs] of outputs) {
    const c = outputPathCost(sourceSet(sets[X]!), rs, rs.reduce((t, r) => t + r.count, 0), objective.weights);
    if (c === undefined) return undefined;
    cost += c;
    outputBytes += outputPathBytes(sourceSet(sets[X]!), rs);
  }
  const conversions = new Map<string, { from: number; to: number; level: Level; count: number }>();
  for (const [key, rs] of pairs) {
    const from = rs[0]!.src;
    const to = rs[0]!.dst!;
    const level = conversionLevel(rs, sets[from]!, sets[to]!);
    if (!level) return undefined;
    const count = rs.reduce((s, r) => s + r.count, 0);
    cost += count * keyswitchCost(sets[to]!.n, sets[from]!.k, sets[from]!.N, level.level, objective.weights);
    bytes += conversionBytes(sets[from]!, sets[to]!.n, level);
    conversions.set(key, { from, to, level, count });
  }
  bytes += outputBytes;
  return { cost, bytes, outputBytes, objective: cost + objective.bytesWeight * bytes, conversions };
}

/**
 * Drops reads implied by another with the same partitions and precision (no larger norm parts);
 * their counts move to a kept read of the same pair, since costs only depend on the pair.
 */
function compact(reads: readonly Read[]): Read[] {
  const groups = new Map<string, Read[]>();
  for (const r of reads) {
    const key = `${r.src}|${r.dst}|${r.precision}|${r.safe}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Read[] = [];
  for (const g of groups.values()) {
    g.sort((x, y) => y.a - x.a || y.f - x.f);
    const kept: Read[] = [];
    let dropped = 0;
    let maxF = -1;
    for (const r of g) {
      if (r.f > maxF) {
        kept.push({ ...r });
        maxF = r.f;
      } else dropped += r.count;
    }
    kept[0]!.count += dropped;
    out.push(...kept);
  }
  return out;
}

/** Coordinate descent on one grouping; undefined when no feasible assignment was found. */
function solveGrouping(reads: readonly Read[], P: number, objective: Objective, memo: Map<string, Solved | undefined>): { sets: PSet[]; ev: Evaluated } | undefined {
  const sets: (PSet | undefined)[] = new Array(P).fill(undefined);
  for (let X = 0; X < P; X++) {
    const s = solvePartition(X, reads, sets, true, objective, memo);
    if (!s) return undefined;
    sets[X] = s.set;
  }
  let current = evaluate(reads, sets as PSet[], objective);
  for (let round = 0; round < 4; round++) {
    let changed = false;
    for (let X = 0; X < P; X++) {
      const s = solvePartition(X, reads, sets, false, objective, memo);
      if (!s) continue;
      const trial = [...sets] as PSet[];
      trial[X] = s.set;
      const ev = evaluate(reads, trial, objective);
      if (ev && (!current || ev.objective < current.objective)) {
        sets[X] = s.set;
        current = ev;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return current ? { sets: sets as PSet[], ev: current } : undefined;
}

function toParams(s: PSet): NoiseParameters {
  return {
    lweDimension: s.n,
    glweDimension: s.k,
    polynomialSize: s.N,
    pbsBaseLog: s.pbs.baseLog,
    pbsLevel: s.pbs.level,
    ksBaseLog: s.ks.baseLog,
    ksLevel: s.ks.level,
    lweNoiseStd: minNoiseStd(s.n),
    glweNoiseStd: minNoiseStd(s.k * s.N),
    ...(s.g > 1 ? { pbsGroupingFactor: s.g } : {}),
  };
}

type Best = { cp: number[]; sets: PSet[]; ev: Evaluated };

/** Evaluation-key bytes of a solution whose outputs take `choice`'s output key. */
function keyBytesWith(b: Best, choice: OutputKeyChoice | undefined): number {
  const toOutput = choice?.keyswitches.reduce((t, x) => t + conversionBytes(b.sets[x.from]!, choice.lweDimension, x.level), 0) ?? 0;
  return b.ev.bytes - b.ev.outputBytes + toOutput;
}

/** Range of the key-byte weight λ, as multiples of λ₀ (bytes weigh 1/1000 of the cost), and bisection steps in it. */
const BUDGET_WEIGHT_SPAN = 4 ** 11;
const BUDGET_BISECTIONS = 6;

/**
 * The cheapest partitioning whose evaluation keys fit `maxKeyBytes`, when the cheapest of all does
 * not: every grouping is re-solved minimising cost + λ·bytes (a Lagrangian relaxation of the
 * budget). The largest λ first (bytes dominate): if nothing fits there, nothing will, and the
 * solution with the smallest keys is returned after one search. Else λ is bisected (in log scale)
 * between λ₀ and the smallest λ known to fit; of every solution seen that fits, the cheapest wins.
 * compile compares the result with the single set when it is still over the budget.
 */
function fitKeyBudget(over: Best, maxKeyBytes: number, solveAll: (bytesWeight: number) => Best[], atZero: readonly Best[]): Best {
  let fit: Best | undefined;
  const consider = (all: readonly Best[]): boolean => {
    let any = false;
    for (const b of all) {
      if (b.ev.bytes > maxKeyBytes) continue;
      any = true;
      if (!fit || b.ev.cost < fit.ev.cost) fit = b;
    }
    return any;
  };
  consider(atZero);
  let lo = over.ev.cost / over.ev.bytes / 1000;
  let hi = lo * BUDGET_WEIGHT_SPAN;
  const bytesFirst = solveAll(hi);
  if (!consider(bytesFirst)) return fit ?? bytesFirst.reduce((b, x) => (x.ev.bytes < b.ev.bytes ? x : b), over);
  for (let i = 0; i < BUDGET_BISECTIONS; i++) {
    const w = Math.sqrt(lo * hi);
    if (consider(solveAll(w))) hi = w;
    else lo = w;
  }
  return fit ?? over;
}

export interface PartitionOptions {
  /** Per-PBS error bound (already resolved). */
  readonly pError: number;
  /** The single-set optimum (always a candidate). */
  readonly single: CryptoParameters;
  readonly maxPartitions?: number;
  /** TESTS: force this grouping (class → partition) instead of searching. */
  readonly forceClassPartition?: readonly number[];
  /** Budget for the evaluation keys as the server holds them (bytes); see fitKeyBudget. */
  readonly maxKeyBytes?: number;
  /** Weights of the cost terms (default: operation counts); `single` was chosen with the same. */
  readonly weights?: CostWeights;
}

/**
 * Chooses partitions and their sets. With fewer than two distinct difficulty keys (or a circuit
 * without table reads) the single set is returned as one partition.
 */
export function choosePartitions(classed: readonly ClassedConstraint[], classCount: number, opts: PartitionOptions): PartitionedParameters {
  const weights = opts.weights ?? OPERATION_COUNT;
  const totalPbs = classed.reduce((s, c) => s + (isPbs(c.constraint) ? (c.constraint.count ?? 1) : 0), 0);
  const constraints = classed.map((c) => c.constraint);
  const reqOf = (c: NoiseConstraint) => ({
    precision: c.precision,
    safe: safeVariance(noiseBits(c), opts.pError),
    a: c.pbsNorm2 ?? c.norm2,
    f: c.freshNorm2 ?? 0,
    count: c.count ?? 1,
  });
  const singleSet = sourceSet(psetOf(opts.single));
  const singleOutputs = classed.filter((c) => c.readerClass === undefined).map((c) => reqOf(c.constraint));
  const outCount = singleOutputs.reduce((t, r) => t + r.count, 0);
  const singleChoice = totalPbs > 0 ? chooseOutputKey([{ partition: 0, set: singleSet, outs: singleOutputs, count: outCount }]) : undefined;
  const singleCost = totalPbs * opts.single.cost + (totalPbs > 0 ? chosenPathCost(0, singleSet, singleChoice, outCount, weights) : 0);
  const { outputKeyswitch: _, ...singleSetRecord } = opts.single;
  const singleResult = singleWithOutputKey({
    partitions: [singleSetRecord],
    conversions: [],
    placements: classed.map((c) => ({ source: 0, reader: c.readerClass === undefined ? undefined : 0 })),
    classPartition: new Array(classCount).fill(0),
    totalCost: singleCost,
    singleCost,
  }, singleChoice, constraints, opts.pError);
  // Difficulty key of each class: its hardest read (PBS reads it performs, decryptions of it).
  const key = new Array<number>(classCount).fill(0);
  for (const c of classed) {
    const cls = c.readerClass ?? c.sourceClass;
    key[cls] = Math.max(key[cls]!, readKey(c.constraint));
  }
  const candidates: number[][] = [];
  if (opts.forceClassPartition) {
    candidates.push([...opts.forceClassPartition]);
  } else {
    if (totalPbs === 0) return singleResult;
    const distinct = [...new Set(key)].sort((x, y) => x - y);
    const maxP = Math.min(opts.maxPartitions ?? MAX_PARTITIONS, distinct.length);
    // Cut points between sorted distinct keys: every way into 2..maxP contiguous groups.
    const cuts = (from: number, left: number): number[][] => {
      if (left === 0) return [[]];
      const out: number[][] = [];
      for (let i = from; i < distinct.length; i++) for (const rest of cuts(i + 1, left - 1)) out.push([i, ...rest]);
      return out;
    };
    // Cut positions between distinct keys; beyond MAX_CUTS, evenly spaced ones (bounded work).
    const positions = Array.from({ length: distinct.length - 1 }, (_, i) => i + 1);
    const MAX_CUTS = 5;
    const allowed = new Set(positions.length <= MAX_CUTS ? positions : Array.from({ length: MAX_CUTS }, (_, i) => positions[Math.round(((i + 1) * positions.length) / (MAX_CUTS + 1)) - 1]!));
    for (let P = 2; P <= maxP; P++) {
      for (const cs of cuts(1, P - 1).filter((c) => c.every((x) => allowed.has(x)))) {
        const groupOf = (kk: number) => cs.filter((c) => distinct.indexOf(kk) >= c).length;
        candidates.push(key.map(groupOf));
      }
    }
  }
  const groupings = candidates.flatMap((cp) => {
    const P = Math.max(...cp, 0) + 1;
    const reads = compact(classed.map((c) => ({
      src: cp[c.sourceClass]!,
      dst: c.readerClass === undefined ? undefined : cp[c.readerClass]!,
      ...reqOf(c.constraint),
    })));
    // Every partition must run PBS: one that only holds values would get a BSK for nothing.
    return new Set(reads.flatMap((r) => (r.dst === undefined ? [] : [r.dst]))).size === P ? [{ cp, P, reads }] : [];
  });
  // Every grouping solved for one weight of the key bytes (see fitKeyBudget).
  const solveAllWith = (w: CostWeights, bytesWeight: number): Best[] => {
    const memo = new Map<string, Solved | undefined>();
    return groupings.flatMap((g) => {
      const s = solveGrouping(g.reads, g.P, { bytesWeight, weights: w }, memo);
      return s ? [{ cp: g.cp, ...s }] : [];
    });
  };
  const solveAll = (bytesWeight: number): Best[] => solveAllWith(weights, bytesWeight);
  const cheapestOf = (all: readonly Best[]) => all.reduce<Best | undefined>((b, x) => (!b || x.ev.cost < b.ev.cost ? x : b), undefined);
  const atZero = solveAll(0);
  let best = cheapestOf(atZero);
  const sourcesOf = (b: Best) =>
    b.sets.map((set, X) => {
      const outs = classed.filter((c) => c.readerClass === undefined && b.cp[c.sourceClass] === X).map((c) => reqOf(c.constraint));
      return { partition: X, set: sourceSet(set), outs, count: outs.reduce((t, r) => t + r.count, 0) };
    });
  // Over the key budget (with the output key chooseOutputKey would pick): the cheapest grouping
  // that fits, counted and then built with the lightest output key.
  let outputChoice = best && chooseOutputKey(sourcesOf(best));
  let cheapestBytes = best && keyBytesWith(best, outputChoice);
  const budgetBinds = cheapestBytes !== undefined && opts.maxKeyBytes !== undefined && cheapestBytes > opts.maxKeyBytes;
  // Multi-bit sets buy speed with key bytes ((2^g − 1)/g times the bootstrapping key). A budget
  // that only rules out that purchase does not bind the circuit: the cheapest keys reported are
  // then the cheapest classic partitioning's, which fit (compile narrows tables to fit its keys
  // only when the circuit's own keys are over the budget).
  if (best && budgetBinds && best.sets.some((s) => s.g > 1)) {
    const { multiBitMac: _, ...classic } = weights;
    const cheapestClassic = cheapestOf(solveAllWith(classic, 0));
    const classicBytes = cheapestClassic && keyBytesWith(cheapestClassic, chooseOutputKey(sourcesOf(cheapestClassic)));
    if (classicBytes !== undefined && classicBytes <= opts.maxKeyBytes!) cheapestBytes = classicBytes;
  }
  if (best && budgetBinds) {
    best = fitKeyBudget(best, opts.maxKeyBytes!, solveAll, atZero);
    outputChoice = chooseOutputKey(sourcesOf(best), 1);
  }
  // Partitions add keys (and keygen time) the cost model does not count: they must save ≥ 10%.
  if (!best || (!opts.forceClassPartition && !(best.ev.cost <= singleCost * MIN_GAIN))) return budgetBinds ? { ...singleResult, cheapestKeyBytes: cheapestBytes } : singleResult;

  // Report: per partition, the set and its most demanding read (highest predicted p_error).
  const { cp, sets, ev } = best;
  const placements: Placement[] = classed.map((c) => ({ source: cp[c.sourceClass]!, reader: c.readerClass === undefined ? undefined : cp[c.readerClass]! }));
  const params = sets.map(toParams);
  for (const p of params) {
    const sec = checkSecurity(p);
    if (!sec.secure) throw new Error(`internal: partition optimizer produced an insecure set\n${sec.report}`);
  }
  const conversions: ConversionParameters[] = [...ev.conversions.values()]
    .sort((x, y) => x.from - y.from || x.to - y.to)
    .map((c) => ({
      from: c.from,
      to: c.to,
      ksBaseLog: c.level.baseLog,
      ksLevel: c.level.level,
      inputDimension: params[c.from]!.glweDimension * params[c.from]!.polynomialSize,
      lweNoiseStd: params[c.to]!.lweNoiseStd,
      count: c.count,
    }));
  const out = addOutputKey(params, conversions, placements, outputChoice);
  const probabilities = predictedErrors(constraints, out.placements, out.sets, out.conversions);
  const partitions: CryptoParameters[] = out.sets.map((p, X) => {
    let worst = { p: 0, c: undefined as NoiseConstraint | undefined };
    classed.forEach((c, i) => {
      const pl = out.placements[i]!;
      if ((pl.reader ?? pl.target ?? pl.source) !== X) return;
      if (!worst.c || probabilities[i]! > worst.p) worst = { p: probabilities[i]!, c: c.constraint };
    });
    const lookups = classed.reduce((s, c, i) => s + (out.placements[i]!.reader === X ? (c.constraint.count ?? 1) : 0), 0);
    return {
      precision: worst.c?.precision ?? 1,
      ...p,
      maxNorm2: worst.c?.norm2 ?? 0,
      pError: opts.pError,
      // Cost of one lookup on the partition's own keys (keyswitch + PBS), as for a single set.
      cost: lookups > 0 ? pbsCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsLevel, p.pbsGroupingFactor ?? 1, weights) + keyswitchCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.ksLevel, weights) : 0,
      pErrorPerPbs: worst.p,
    };
  });
  return {
    partitions, conversions: out.conversions, placements: out.placements, classPartition: cp, totalCost: ev.cost, singleCost,
    ...(out.outputKey !== undefined ? { outputKey: out.outputKey } : {}),
    ...(budgetBinds ? { cheapestKeyBytes: cheapestBytes } : {}),
  };
}

/** A set as the search sees it (its decompositions with their variances). */
function psetOf(p: NoiseParameters): PSet {
  const std = p.lweNoiseStd;
  return {
    k: p.glweDimension,
    N: p.polynomialSize,
    n: p.lweDimension,
    g: p.pbsGroupingFactor ?? 1,
    pbs: {
      level: p.pbsLevel,
      baseLog: p.pbsBaseLog,
      variance: blindRotationVariancePerKeyBit(p.glweDimension, p.polynomialSize, p.pbsBaseLog, p.pbsLevel, p.glweNoiseStd, p.pbsGroupingFactor ?? 1),
    },
    ks: { level: p.ksLevel, baseLog: p.ksBaseLog, variance: keyswitchVariance(1, p.ksBaseLog, p.ksLevel, std) },
  };
}

/**
 * Adds the output key (output_key.ts) after the table partitions: a conversion key into it from
 * each partition whose outputs go there, and those decryptions' placements pointing at it. Without
 * a choice (every output uses its partition's own key) nothing is added.
 */
function addOutputKey(
  sets: readonly NoiseParameters[],
  conversions: readonly ConversionParameters[],
  placements: readonly Placement[],
  choice: OutputKeyChoice | undefined,
): { sets: NoiseParameters[]; conversions: ConversionParameters[]; placements: Placement[]; outputKey?: number } {
  if (!choice) return { sets: [...sets], conversions: [...conversions], placements: [...placements] };
  const P = sets.length;
  const key = outputKeyParameters(choice.lweDimension);
  const all: ConversionParameters[] = [
    ...conversions,
    ...choice.keyswitches.map((x) => ({
      from: x.from,
      to: P,
      ksBaseLog: x.level.baseLog,
      ksLevel: x.level.level,
      inputDimension: sets[x.from]!.glweDimension * sets[x.from]!.polynomialSize,
      lweNoiseStd: key.lweNoiseStd,
      count: x.count,
    })),
  ];
  const placed = placements.map((pl) => {
    const target = pl.reader === undefined ? outputTarget(pl.source, all, P) : undefined;
    return target === undefined ? pl : { ...pl, target };
  });
  return { sets: [...sets, key], conversions: all, placements: placed, outputKey: P };
}

/** The single set as a one-partition result, with its output key when it has one. */
function singleWithOutputKey(r: PartitionedParameters, choice: OutputKeyChoice | undefined, constraints: readonly NoiseConstraint[], pError: number): PartitionedParameters {
  const out = addOutputKey(r.partitions, r.conversions, r.placements, choice);
  if (out.outputKey === undefined) return r;
  const probabilities = predictedErrors(constraints, out.placements, out.sets, out.conversions);
  let worst = { p: 0, i: -1 };
  out.placements.forEach((pl, i) => {
    if (pl.target === out.outputKey && (worst.i < 0 || probabilities[i]! > worst.p)) worst = { p: probabilities[i]!, i };
  });
  const c = constraints[worst.i]!;
  const record: CryptoParameters = { precision: c.precision, ...out.sets[out.outputKey]!, maxNorm2: c.norm2, pError, cost: 0, pErrorPerPbs: worst.p };
  return { ...r, partitions: [...r.partitions, record], conversions: out.conversions, placements: out.placements, outputKey: out.outputKey };
}

/**
 * The variance terms of a read under placed partitions: σ²_BR and σ²_glwe of the value's
 * partition, the keyswitch into the reader's small key (its own KSK or the conversion key, input
 * dimension k·N of the value's partition; for a decryption the value's partition's own KSK,
 * which compacts the outputs of a circuit that runs PBS: `compactOutputs`, see
 * compact_outputs.ts) and the reader's modulus switch (0 for decryptions).
 * A read sees ν²_pbs·bootstrap + ν²_fresh·fresh + keyswitch + modulusSwitch.
 */
export function readTerms(
  placement: Placement,
  partitions: readonly NoiseParameters[],
  conversions: readonly Pick<ConversionParameters, "from" | "to" | "ksBaseLog" | "ksLevel">[],
  compactOutputs = true,
): { bootstrap: number; fresh: number; keyswitch: number; modulusSwitch: number } {
  const A = partitions[placement.source]!;
  // The value's partition's PBS output and fresh-encryption variances (multi-bit or classic).
  const { bootstrap, fresh } = noiseTerms(A);
  if (placement.reader === undefined) {
    if (!compactOutputs) return { bootstrap, fresh, keyswitch: 0, modulusSwitch: 0 };
    let ks = { baseLog: A.ksBaseLog, level: A.ksLevel, std: A.lweNoiseStd };
    if (placement.target !== undefined) {
      const conv = conversions.find((x) => x.from === placement.source && x.to === placement.target);
      if (!conv) throw new Error(`no conversion key from partition ${placement.source} to the output key ${placement.target}`);
      ks = { baseLog: conv.ksBaseLog, level: conv.ksLevel, std: partitions[placement.target]!.lweNoiseStd };
    }
    return { bootstrap, fresh, keyswitch: keyswitchVariance(A.glweDimension * A.polynomialSize, ks.baseLog, ks.level, ks.std), modulusSwitch: 0 };
  }
  const B = partitions[placement.reader]!;
  let ks = { baseLog: B.ksBaseLog, level: B.ksLevel };
  if (placement.reader !== placement.source) {
    const conv = conversions.find((x) => x.from === placement.source && x.to === placement.reader);
    if (!conv) throw new Error(`no conversion key from partition ${placement.source} to ${placement.reader}`);
    ks = { baseLog: conv.ksBaseLog, level: conv.ksLevel };
  }
  return {
    bootstrap,
    fresh,
    keyswitch: keyswitchVariance(A.glweDimension * A.polynomialSize, ks.baseLog, ks.level, B.lweNoiseStd),
    modulusSwitch: modulusSwitchVariance(B.lweDimension, B.polynomialSize),
  };
}

/** The variance a constraint reads under placed partitions (see {@link readTerms}). */
export function readVariance(
  c: NoiseConstraint,
  placement: Placement,
  partitions: readonly NoiseParameters[],
  conversions: readonly Pick<ConversionParameters, "from" | "to" | "ksBaseLog" | "ksLevel">[],
  compactOutputs = true,
): number {
  const t = readTerms(placement, partitions, conversions, compactOutputs);
  return (c.pbsNorm2 ?? c.norm2) * t.bootstrap + (c.freshNorm2 ?? 0) * t.fresh + t.keyswitch + t.modulusSwitch;
}

/** Predicted error probability of every constraint under placed partitions. */
export function predictedErrors(
  constraints: readonly NoiseConstraint[],
  placements: readonly Placement[],
  partitions: readonly NoiseParameters[],
  conversions: readonly Pick<ConversionParameters, "from" | "to" | "ksBaseLog" | "ksLevel">[],
): number[] {
  const compact = compactsOutputs(constraints);
  return constraints.map((c, i) => errorProbability(noiseBits(c), readVariance(c, placements[i]!, partitions, conversions, compact)));
}
