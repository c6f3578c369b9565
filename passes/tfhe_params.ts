// tfhe-params: fills the open crypto parameters (`ks = "?"`, `pbs = "?"`) that lower-to-tfhe wrote,
// from one parameter set: the module attribute `fhec.crypto` (written by the parameter optimizer,
// passes/params) when present, else the pass options / the set given to `parametrizeTfhe`. The set
// is (re)written to `fhec.crypto` so the module carries what its keys must be generated for.
import { arrayAttr, type Attribute, type DictAttr, dictAttr, floatAttr, intAttr } from "../ir/attributes.js";
import type { ModuleOp, Operation } from "../ir/core.js";
import { fail } from "../ir/diagnostics.js";
import { elementOf, type LweType } from "../ir/types.js";
import type { Pass, PassOptionSpec, PassReport } from "./pass.js";
import type { NoiseParameters } from "../crypto-model/index.js";
import { CONVERSIONS_ATTR, CRYPTO_ATTR, OUTPUT_KEY_ATTR, PARTITIONS_ATTR, partitionsFromModule } from "./params/pass.js";

export { CRYPTO_ATTR } from "./params/pass.js";

/** One TFHE parameter set (the fields of runtime's TfheParameters and of the optimizer's choice). */
export type TfheCryptoParams = NoiseParameters;

export const CRYPTO_FIELDS = [
  "lweDimension",
  "glweDimension",
  "polynomialSize",
  "pbsBaseLog",
  "pbsLevel",
  "ksBaseLog",
  "ksLevel",
  "lweNoiseStd",
  "glweNoiseStd",
] as const satisfies readonly (keyof TfheCryptoParams)[];

const INT_FIELDS = new Set<string>(["lweDimension", "glweDimension", "polynomialSize", "pbsBaseLog", "pbsLevel", "ksBaseLog", "ksLevel"]);

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Reads `fhec.crypto` (camelCase or snake_case keys); undefined when the module has none. */
export function readCryptoParams(module: ModuleOp): TfheCryptoParams | undefined {
  const a = module.attributes.get(CRYPTO_ATTR);
  if (a === undefined) return undefined;
  if (a.kind !== "dict") return fail("E0600", `module attribute '${CRYPTO_ATTR}' must be a dictionary of parameters`);
  const out: Record<string, number> = {};
  for (const f of CRYPTO_FIELDS) {
    const v = a.entries.get(f) ?? a.entries.get(snake(f));
    if (!v || (v.kind !== "int" && v.kind !== "float")) {
      return fail("E0600", `module attribute '${CRYPTO_ATTR}' lacks a number '${f}'`);
    }
    out[f] = v.value;
  }
  // Optional: a multi-bit PBS set names its grouping factor (absent = 1, the classic PBS).
  const g = a.entries.get("pbsGroupingFactor") ?? a.entries.get(snake("pbsGroupingFactor"));
  if (g !== undefined) {
    if (g.kind !== "int") return fail("E0600", `module attribute '${CRYPTO_ATTR}' has a non-integer 'pbsGroupingFactor'`);
    if (g.value !== 1) out.pbsGroupingFactor = g.value;
  }
  return checkCryptoParams(out as unknown as TfheCryptoParams);
}

function checkCryptoParams(p: TfheCryptoParams): TfheCryptoParams {
  for (const f of CRYPTO_FIELDS) {
    const v = p[f];
    const ok = INT_FIELDS.has(f) ? Number.isInteger(v) && v >= 1 : Number.isFinite(v) && v > 0 && v < 1;
    if (!ok) fail("E0600", `crypto parameter '${f}' = ${v} is invalid`);
  }
  if (!Number.isInteger(Math.log2(p.polynomialSize))) fail("E0600", `polynomialSize ${p.polynomialSize} is not a power of two`);
  const g = p.pbsGroupingFactor;
  if (g !== undefined && !(Number.isInteger(g) && g >= 1 && g <= 4 && p.lweDimension % g === 0)) {
    fail("E0600", `crypto parameter 'pbsGroupingFactor' = ${g} is invalid (an integer 1..4 dividing lweDimension)`);
  }
  return p;
}

/** `fhec.crypto` dictionary for a set (camelCase keys; existing extra entries are kept). */
export function cryptoParamsAttr(p: TfheCryptoParams, previous?: Attribute): DictAttr {
  const entries = new Map<string, Attribute>(previous?.kind === "dict" ? previous.entries : []);
  for (const f of CRYPTO_FIELDS) {
    entries.delete(snake(f));
    entries.set(f, INT_FIELDS.has(f) ? intAttr(p[f]) : floatAttr(p[f]));
  }
  entries.delete(snake("pbsGroupingFactor"));
  if ((p.pbsGroupingFactor ?? 1) > 1) entries.set("pbsGroupingFactor", intAttr(p.pbsGroupingFactor!));
  else entries.delete("pbsGroupingFactor");
  return dictAttr(entries);
}

export interface ParametrizeReport {
  readonly keyswitches: number;
  readonly bootstraps: number;
  /** Widest bootstrap input (bits); 2^p entries must fit N/2. */
  readonly maxTablePrecision: number;
}

const PBS_OPS = new Set(["tfhe.bootstrap", "tfhe.mapped_bootstrap"]);

/**
 * Writes `ks`/`pbs` parameters on every keyswitch/bootstrap op and `fhec.crypto` on the module.
 * Without `params`, reads `fhec.crypto`. Fails when a table does not fit the polynomial size.
 */
export function parametrizeTfhe(module: ModuleOp, params?: TfheCryptoParams): ParametrizeReport {
  if (!params) {
    const parts = partitionsFromModule(module);
    if (parts && parts.partitions.length > 1) return parametrizePartitionedTfhe(module, parts.partitions, parts.conversions);
  }
  // An explicit set overrides the module's: one set for everything, so any partition marks go.
  if (params) dropPartitions(module);
  const p = params ? checkCryptoParams(params) : readCryptoParams(module);
  if (!p) {
    return fail("E0600", `tfhe-params: no parameter set (the module has no '${CRYPTO_ATTR}' attribute and none was given)`);
  }
  const ks = decompositionAttr(p.ksBaseLog, p.ksLevel);
  const pbs = decompositionAttr(p.pbsBaseLog, p.pbsLevel);
  const report = annotateKeyOps(module, () => ks, () => ({ set: p, pbs, holder: "the parameter set" }));
  module.attributes.set(CRYPTO_ATTR, cryptoParamsAttr(p, module.attributes.get(CRYPTO_ATTR)));
  return report;
}

const decompositionAttr = (baseLog: number, level: number): DictAttr => dictAttr([["base_log", intAttr(baseLog)], ["level", intAttr(level)]]);

/** The bootstrap decomposition an op gets, from which set, and how the error names that set. */
interface BootstrapChoice {
  readonly set: TfheCryptoParams;
  readonly pbs: DictAttr;
  readonly holder: string;
}

/**
 * Writes `ks` on every keyswitch and `pbs` on every bootstrap, as the callbacks choose them, and
 * fails when a bootstrap's table does not fit its set's N (2^p entries must fit N/2).
 */
function annotateKeyOps(module: ModuleOp, keyswitch: (op: Operation) => DictAttr, bootstrap: (op: Operation) => BootstrapChoice): ParametrizeReport {
  let keyswitches = 0;
  let bootstraps = 0;
  let maxTablePrecision = 0;
  for (const f of module.funcs) {
    for (const op of f.body.ops) {
      if (op.name === "tfhe.keyswitch") {
        op.attributes.set("ks", keyswitch(op));
        keyswitches++;
      } else if (PBS_OPS.has(op.name)) {
        const { set, pbs, holder } = bootstrap(op);
        const width = (elementOf(op.operands[0]!.type) as LweType).width;
        if (width > Math.log2(set.polynomialSize) - 1) {
          fail("E0600", `a ${width}-bit table lookup needs a polynomial size N ≥ 2^${width + 1}; ${holder} has N = ${set.polynomialSize}`, op.loc, op.name);
        }
        maxTablePrecision = Math.max(maxTablePrecision, width);
        op.attributes.set("pbs", pbs);
        bootstraps++;
      }
    }
  }
  return { keyswitches, bootstraps, maxTablePrecision };
}

/** Removes partition annotations (module sets, op keys, function in/out partitions). */
function dropPartitions(module: ModuleOp): void {
  module.attributes.delete(PARTITIONS_ATTR);
  module.attributes.delete(CONVERSIONS_ATTR);
  module.attributes.delete(OUTPUT_KEY_ATTR);
  for (const f of module.funcs) {
    f.attributes.delete("fhec.input_partitions");
    f.attributes.delete("fhec.output_partitions");
    for (const op of f.body.ops) {
      if (op.name === "tfhe.keyswitch") {
        op.attributes.delete("from");
        op.attributes.delete("to");
      } else if (PBS_OPS.has(op.name)) op.attributes.delete("partition");
    }
  }
}

/** A conversion keyswitch's decomposition (big key of `from` → small key of `to`). */
export interface ConversionDecomposition {
  readonly from: number;
  readonly to: number;
  readonly ksBaseLog: number;
  readonly ksLevel: number;
}

const intAttrOf = (a: Attribute | undefined): number | undefined => (a?.kind === "int" ? a.value : undefined);

/**
 * Partitioned module (after lower-to-tfhe wrote `partition` on bootstraps and `from`/`to` on
 * keyswitches): each keyswitch gets its partition's KSK decomposition, or the conversion key's
 * when it crosses partitions; each bootstrap its partition's PBS decomposition, checked against
 * that partition's N. Writes `fhec.partitions` / `fhec.conversions` (and `fhec.crypto` =
 * partition 0) so the module carries what its keys must be generated for.
 */
export function parametrizePartitionedTfhe(module: ModuleOp, partitions: readonly TfheCryptoParams[], conversions: readonly ConversionDecomposition[]): ParametrizeReport {
  const sets = partitions.map(checkCryptoParams);
  const part = (i: number | undefined, op: Operation, what: string): TfheCryptoParams => {
    const p = i === undefined ? undefined : sets[i];
    if (!p) return fail("E0600", `tfhe-params: ${what} names partition ${String(i)}, the module has ${sets.length}`, op.loc, op.name);
    return p;
  };
  const report = annotateKeyOps(
    module,
    (op) => {
      const from = intAttrOf(op.attr("from"));
      const to = intAttrOf(op.attr("to"));
      part(from, op, "keyswitch source");
      const target = part(to, op, "keyswitch target");
      if (from === to) return decompositionAttr(target.ksBaseLog, target.ksLevel);
      const c = conversions.find((x) => x.from === from && x.to === to);
      if (!c) return fail("E0600", `tfhe-params: no conversion key from partition ${from} to partition ${to}`, op.loc, op.name);
      return decompositionAttr(c.ksBaseLog, c.ksLevel);
    },
    (op) => {
      const set = part(intAttrOf(op.attr("partition")), op, "bootstrap");
      return { set, pbs: decompositionAttr(set.pbsBaseLog, set.pbsLevel), holder: "its partition" };
    },
  );
  module.attributes.set(CRYPTO_ATTR, cryptoParamsAttr(sets[0]!, module.attributes.get(CRYPTO_ATTR)));
  const previous = module.attributes.get(PARTITIONS_ATTR);
  module.attributes.set(PARTITIONS_ATTR, arrayAttr(sets.map((p, i) => cryptoParamsAttr(p, previous?.kind === "array" ? previous.items[i] : undefined))));
  module.attributes.set(CONVERSIONS_ATTR, arrayAttr(conversions.map((c) => dictAttr([["from", intAttr(c.from)], ["to", intAttr(c.to)], ["ksBaseLog", intAttr(c.ksBaseLog)], ["ksLevel", intAttr(c.ksLevel)]]))));
  return report;
}

const options: Record<string, PassOptionSpec> = {};
for (const f of CRYPTO_FIELDS) {
  options[kebab(f)] = {
    type: INT_FIELDS.has(f) ? "int" : "float",
    default: 0,
    doc: `${f} (0: take the set from the module's '${CRYPTO_ATTR}')`,
  };
}

export const tfheParamsPass: Pass = {
  name: "tfhe-params",
  summary: `Fills the open keyswitch/bootstrap parameters of the tfhe dialect from '${CRYPTO_ATTR}' or the options.`,
  options,
  run(module: ModuleOp, opts): PassReport {
    const given = CRYPTO_FIELDS.map((f) => opts[kebab(f)] as number);
    let params: TfheCryptoParams | undefined;
    if (given.some((v) => v !== 0)) {
      const missing = CRYPTO_FIELDS.filter((_, i) => given[i] === 0);
      if (missing.length > 0) fail("E0301", `tfhe-params: give every parameter or none; missing ${missing.map(kebab).join(", ")}`);
      params = Object.fromEntries(CRYPTO_FIELDS.map((f, i) => [f, given[i]!])) as unknown as TfheCryptoParams;
    }
    const r = parametrizeTfhe(module, params);
    return {
      changed: r.keyswitches + r.bootstraps > 0,
      details: { keyswitches: r.keyswitches, bootstraps: r.bootstraps, "max-table-precision": r.maxTablePrecision, source: params ? "options" : CRYPTO_ATTR },
    };
  },
};
