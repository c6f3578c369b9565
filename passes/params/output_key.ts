// The output key: where a circuit's results go before they return to the client.
//
// Results are keyswitched from their partition's big key to a small key before they leave the
// server (n + 1 words per value instead of kN + 1). A partition's own keyswitching key is sized
// for its tables, whose reads tolerate far more noise than the decryption of a wide result: making
// that key also serve the outputs would make every table lookup pay for a keyswitch used once per
// output. So the outputs get their own path, chosen by the cost model:
// - through the partition's own keyswitching key, when its noise already lets the outputs decrypt
//   (no extra key);
// - else through a conversion key into a dedicated *output key*: a small LWE key of dimension
//   n_out chosen for the outputs alone, with one conversion keyswitching key per partition whose
//   results reach the outputs. It has no evaluation keys of its own (no table reads under it).
// The output key is stored as one more partition after the table partitions (its parameter record
// carries the smallest valid GLWE part, which nothing uses: the runtime stores keys by their full
// parameter record), and is named by the module attribute `fhec.output_key`.
import { type CostWeights, keyswitchCost, keyswitchKeyBytes, OPERATION_COUNT } from "../../crypto-model/index.js";
import { checkSecurity, minNoiseStd } from "../../crypto-model/index.js";
import { type Level, ksLevels, SEARCH_SPACE } from "./search_space.js";

/** Module attribute: index of the output key in `fhec.partitions` (absent: no output key). */
export const OUTPUT_KEY_ATTR = "fhec.output_key";

/** A decryption requirement reduced to what the output path needs (variance units of the torus). */
export interface OutputRead {
  readonly safe: number;
  /** ν² in PBS-output units and in fresh-encryption units. */
  readonly a: number;
  readonly f: number;
}

/** The table set the outputs leave from (the fields the output path depends on). */
export interface SourceSet {
  readonly k: number;
  readonly N: number;
  readonly n: number;
  /** σ²_BR of one PBS output of this set, and σ²_glwe of a fresh encryption under its big key. */
  readonly bootstrap: number;
  readonly fresh: number;
  /** The set's own keyswitching key. */
  readonly ks: Level;
}

/** One point of the output keyswitch frontier: a small-key dimension and a decomposition. */
interface OutputPoint extends Level {
  readonly n: number;
  /** ℓ·(n + 1): keyswitch work and key size per input coefficient, up to a constant. */
  readonly weight: number;
}

let frontierCache: OutputPoint[] | undefined;

/** (n, β, ℓ) with strictly less variance per coefficient than every lighter one, lightest first. */
function frontier(): OutputPoint[] {
  if (frontierCache) return frontierCache;
  const all: OutputPoint[] = [];
  for (let n = SEARCH_SPACE.minLweDimension; n <= SEARCH_SPACE.maxLweDimension; n++) {
    for (const l of ksLevels(n)) all.push({ ...l, n, weight: l.level * (n + 1) });
  }
  all.sort((x, y) => x.weight - y.weight || x.variance - y.variance);
  const out: OutputPoint[] = [];
  for (const p of all) if (out.length === 0 || p.variance < out[out.length - 1]!.variance) out.push(p);
  frontierCache = out;
  return out;
}

/** The lightest output keyswitch (any n_out) meeting a per-coefficient variance budget. */
function lightestFor(perCoefficient: number): OutputPoint | undefined {
  if (!(perCoefficient > 0)) return undefined;
  const f = frontier();
  // Variance decreases along the frontier: binary search for the first point within budget.
  let lo = 0;
  let hi = f.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f[mid]!.variance <= perCoefficient) hi = mid;
    else lo = mid + 1;
  }
  return f[lo];
}

/** What the outputs' decryptions leave for the keyswitch that compacts them, per input coefficient. */
function budgetPerCoefficient(s: SourceSet, outs: readonly OutputRead[]): number {
  let budget = Infinity;
  for (const r of outs) budget = Math.min(budget, r.safe - r.a * s.bootstrap - r.f * s.fresh);
  return budget / (s.k * s.N);
}

/**
 * Cost of returning `count` values whose decryptions are `outs` (all leaving set `s`): the set's own keyswitch when it is precise enough,
 * else the lightest conversion into an output key chosen for these outputs alone (the exact shared
 * key is chosen by {@link chooseOutputKey} once every partition is fixed). undefined: no path.
 */
export function outputPathCost(s: SourceSet, outs: readonly OutputRead[], count: number, weights: CostWeights = OPERATION_COUNT): number | undefined {
  if (outs.length === 0) return 0;
  const perCoefficient = budgetPerCoefficient(s, outs);
  if (!(perCoefficient > 0)) return undefined;
  if (s.ks.variance <= perCoefficient) return count * keyswitchCost(s.n, s.k, s.N, s.ks.level, weights);
  const p = lightestFor(perCoefficient);
  return p ? count * keyswitchCost(p.n, s.k, s.N, p.level, weights) : undefined;
}

/**
 * Bytes of the extra key the outputs of set `s` need on their cheapest path: none through the
 * set's own keyswitching key, else the conversion key into the lightest output key (the search's
 * estimate; the key chosen at the end may be a little larger, see chooseOutputKey).
 */
export function outputPathBytes(s: SourceSet, outs: readonly OutputRead[]): number {
  if (outs.length === 0) return 0;
  const perCoefficient = budgetPerCoefficient(s, outs);
  if (!(perCoefficient > 0) || s.ks.variance <= perCoefficient) return 0;
  const p = lightestFor(perCoefficient);
  return p ? keyswitchKeyBytes(s.k * s.N, p.n, p.baseLog, p.level, minNoiseStd(p.n)) : 0;
}

/** The chosen output key: its dimension and one conversion decomposition per source partition. */
export interface OutputKeyChoice {
  readonly lweDimension: number;
  readonly keyswitches: readonly { readonly from: number; readonly level: Level; readonly count: number }[];
}

/** How much more keyswitch work than the cheapest the output key may cost, to make the outputs smaller. */
export const OUTPUT_KEY_WORK_SLACK = 2;

/**
 * The output path of every source partition with fixed sets: own keyswitch where it suffices, and
 * one output key shared by the others. Its dimension: the smallest n_out whose conversion keys
 * cost at most OUTPUT_KEY_WORK_SLACK × the cheapest n_out's (Σ count·keyswitchCost) — every sample
 * downloads n_out + 1 words per output, while that keyswitch is small next to the PBS (the search
 * costs it at its lightest). `slack` 1 takes the lightest key (what a key-budget search counted).
 * undefined when every source uses its own key; throws when some output cannot be decrypted.
 */
export function chooseOutputKey(
  sources: readonly { readonly partition: number; readonly set: SourceSet; readonly outs: readonly OutputRead[]; readonly count: number }[],
  slack = OUTPUT_KEY_WORK_SLACK,
): OutputKeyChoice | undefined {
  const need = sources
    .filter((x) => x.outs.length > 0)
    .map((x) => ({ ...x, budget: budgetPerCoefficient(x.set, x.outs) }))
    .filter((x) => !(x.set.ks.variance <= x.budget));
  if (need.length === 0) return undefined;
  const options: { cost: number; n: number; levels: Level[] }[] = [];
  for (let n = SEARCH_SPACE.minLweDimension; n <= SEARCH_SPACE.maxLweDimension; n++) {
    const ks = ksLevels(n);
    let cost = 0;
    const levels: Level[] = [];
    for (const x of need) {
      const l = x.budget > 0 ? ks.find((y) => y.variance <= x.budget) : undefined;
      if (!l) break;
      levels.push(l);
      cost += x.count * keyswitchCost(n, x.set.k, x.set.N, l.level);
    }
    if (levels.length === need.length) options.push({ cost, n, levels });
  }
  if (options.length === 0) throw new Error("internal: the outputs cannot be decrypted under any output key, but the parameter search accepted them");
  const cheapest = Math.min(...options.map((o) => o.cost));
  const best = options.find((o) => o.cost <= slack * cheapest)!;
  return { lweDimension: best.n, keyswitches: need.map((x, i) => ({ from: x.partition, level: best.levels[i]!, count: x.count })) };
}

/** Work of returning a source's `count` results on the chosen path (its own key when `choice` has no keyswitch from it). */
export function chosenPathCost(partition: number, s: SourceSet, choice: OutputKeyChoice | undefined, count: number, weights: CostWeights = OPERATION_COUNT): number {
  const k = choice?.keyswitches.find((x) => x.from === partition);
  return k ? count * keyswitchCost(choice!.lweDimension, s.k, s.N, k.level.level, weights) : count * keyswitchCost(s.n, s.k, s.N, s.ks.level, weights);
}

/**
 * The full parameter record the output key is stored under: its small key (n_out, on the security
 * curve) and the smallest valid GLWE part, which no operation uses (no bootstrapping key is made).
 */
export function outputKeyParameters(lweDimension: number) {
  const p = {
    lweDimension,
    glweDimension: 1,
    polynomialSize: 1024,
    pbsBaseLog: 23,
    pbsLevel: 1,
    ksBaseLog: 1,
    ksLevel: 1,
    lweNoiseStd: minNoiseStd(lweDimension),
    glweNoiseStd: minNoiseStd(1024),
  };
  const sec = checkSecurity(p);
  if (!sec.secure) throw new Error(`internal: the output key's parameters are not secure\n${sec.report}`);
  return p;
}

/** The small key a decryption of a value of partition `source` reads under: the output key when the value goes there. */
export function outputTarget(source: number, conversions: readonly { readonly from: number; readonly to: number }[], outputKey: number | undefined): number | undefined {
  if (outputKey === undefined) return undefined;
  return conversions.some((c) => c.from === source && c.to === outputKey) ? outputKey : undefined;
}
