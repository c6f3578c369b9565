// A lowered, parametrized `tfhe` function ready to run: checks the ops, reads the parameter set
// (`fhec.crypto`) and the encrypted signature (`fhec.encrypted_io`), and counts the PBS per sample.
import type { Attribute, DenseAttr } from "../../ir/attributes.js";
import type { FuncOp, ModuleOp, Operation } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { elementOf, intRange, isStaticShape, type LweType, shapeOf, type Type, typeToString } from "../../ir/types.js";
import { assertSecureParameters, type ConversionKeySpec, TfheParameters } from "../../runtime/index.js";

export const CRYPTO_ATTR = "fhec.crypto";
export const ENCRYPTED_IO_ATTR = "fhec.encrypted_io";
/** Partitioned programs (passes/params/pass.ts, passes/lower_tfhe.ts write them). */
export const PARTITIONS_ATTR = "fhec.partitions";
export const CONVERSIONS_ATTR = "fhec.conversions";
export const INPUT_PARTITIONS_ATTR = "fhec.input_partitions";
export const OUTPUT_PARTITIONS_ATTR = "fhec.output_partitions";
/** Index of the output key among the partitions (passes/params/output_key.ts writes it). */
export const OUTPUT_KEY_ATTR = "fhec.output_key";

/** How one encrypted argument or result is encoded: per-sample shape, precision, signedness. */
export interface EncryptedValueSpec {
  readonly shape: readonly number[];
  readonly width: number;
  readonly signed: boolean;
  /** Partitioned programs: the partition whose big key encrypts the value (default 0). */
  readonly partition?: number;
}

/** What the client needs (no weights): the parameter set and the encrypted signature. */
export interface TfheClientSpec {
  /** The set of partition 0 (the only one for most circuits). */
  readonly params: TfheParameters;
  /** Partitioned programs: every partition's set (partitions[0] = params) and the conversion keys. */
  readonly partitions?: readonly TfheParameters[];
  readonly conversions?: readonly ConversionKeySpec[];
  /** The partition that only receives the results (no evaluation keys), when there is one: the last. */
  readonly outputKey?: number;
  readonly inputs: readonly EncryptedValueSpec[];
  readonly outputs: readonly EncryptedValueSpec[];
}

export const SUPPORTED_OPS: ReadonlySet<string> = new Set([
  "arith.constant",
  "arith.add",
  "arith.sub",
  "arith.mul",
  "arith.neg",
  "func.return",
  "tfhe.add_lwe",
  "tfhe.add_lwe_int",
  "tfhe.sub_lwe",
  "tfhe.sub_lwe_int",
  "tfhe.sub_int_lwe",
  "tfhe.neg_lwe",
  "tfhe.mul_lwe_int",
  "tfhe.dot_lwe_int",
  "tfhe.matmul_lwe_int",
  "tfhe.matmul_int_lwe",
  "tfhe.conv2d_lwe",
  "tfhe.sum_lwe",
  "tfhe.keyswitch",
  "tfhe.bootstrap",
  "tfhe.mapped_bootstrap",
  "tfhe.reinterpret_precision",
  "fhe.reshape",
  "fhe.transpose",
  "fhe.concat",
  "fhe.slice",
  "fhe.pad",
  "fhe.gather",
]);

const CRYPTO_FIELDS = ["lweDimension", "glweDimension", "polynomialSize", "pbsBaseLog", "pbsLevel", "ksBaseLog", "ksLevel", "lweNoiseStd", "glweNoiseStd"] as const;
const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The parameter set recorded in a module's `fhec.crypto` attribute. */
export function parametersOf(module: ModuleOp): TfheParameters {
  const a = module.attributes.get(CRYPTO_ATTR);
  if (!a || a.kind !== "dict") {
    return fail("E0600", `the tfhe module has no '${CRYPTO_ATTR}' parameter set: run the tfhe-params pass (or the parameter optimizer) first`);
  }
  return parametersFromDict(a);
}

/** Every partition's set and the conversion keys (one partition, none, for a one-set module). */
export function partitionSetsOf(module: ModuleOp): { partitions: TfheParameters[]; conversions: ConversionKeySpec[]; outputKey?: number } {
  const a = module.attributes.get(PARTITIONS_ATTR);
  if (!a) return { partitions: [parametersOf(module)], conversions: [] };
  if (a.kind !== "array" || a.items.length === 0) return fail("E0600", `'${PARTITIONS_ATTR}' must be a non-empty list of parameter sets`);
  const partitions = a.items.map(parametersFromDict);
  const c = module.attributes.get(CONVERSIONS_ATTR);
  const conversions = c?.kind === "array" ? c.items.map((x) => {
    const num = (k: string) => {
      const v = x.kind === "dict" ? x.entries.get(k) : undefined;
      return v?.kind === "int" ? v.value : fail("E0600", `'${CONVERSIONS_ATTR}' entries need an integer '${k}'`);
    };
    return { from: num("from"), to: num("to"), baseLog: num("ksBaseLog"), level: num("ksLevel") };
  }) : [];
  const k = module.attributes.get(OUTPUT_KEY_ATTR);
  if (k === undefined) return { partitions, conversions };
  if (k.kind !== "int" || k.value !== partitions.length - 1 || partitions.length < 2) {
    return fail("E0600", `'${OUTPUT_KEY_ATTR}' must name the last of the ${partitions.length} partitions`);
  }
  return { partitions, conversions, outputKey: k.value };
}

function parametersFromDict(a: Attribute): TfheParameters {
  if (a.kind !== "dict") return fail("E0600", "a parameter set must be a dictionary");
  const fields: Record<string, number> = {};
  for (const f of CRYPTO_FIELDS) {
    const v = a.entries.get(f) ?? a.entries.get(snake(f));
    if (!v || (v.kind !== "int" && v.kind !== "float")) return fail("E0600", `'${CRYPTO_ATTR}' lacks the number '${f}'`);
    fields[f] = v.value;
  }
  // Optional (absent = 1, the classic PBS); TfheParameters validates it.
  const g = a.entries.get("pbsGroupingFactor") ?? a.entries.get(snake("pbsGroupingFactor"));
  if (g !== undefined) fields.pbsGroupingFactor = g.kind === "int" ? g.value : fail("E0600", `'${CRYPTO_ATTR}' has a non-integer 'pbsGroupingFactor'`);
  const name = a.entries.get("name");
  return new TfheParameters(fields as unknown as ConstructorParameters<typeof TfheParameters>[0], name?.kind === "string" ? name.value : undefined);
}

function specOf(t: Type, fallback?: Type): EncryptedValueSpec {
  const e = elementOf(t);
  const shape = shapeOf(t);
  if (!isStaticShape(shape)) return fail("E0701", `dynamic shape in ${typeToString(t)}`);
  if (e.kind === "eint") return { shape, width: e.width, signed: e.signed };
  if (e.kind === "lwe") {
    if (fallback) return specOf(fallback);
    return { shape, width: e.width, signed: false };
  }
  return fail("E0701", `the tfhe backend takes and returns encrypted values only, got ${typeToString(t)}`);
}

function ioTypes(func: FuncOp, which: "inputs" | "outputs"): Type[] | undefined {
  const a = func.attributes.get(ENCRYPTED_IO_ATTR);
  if (a?.kind !== "dict") return undefined;
  const list = a.entries.get(which);
  if (list?.kind !== "array") return undefined;
  return list.items.map((x: Attribute) => (x.kind === "type" ? x.type : fail("E0700", `'${ENCRYPTED_IO_ATTR}.${which}' must list types`)));
}

function paramDict(op: Operation, name: string): { base_log: number; level: number } {
  const a = op.attr(name);
  if (!a || a.kind !== "dict") {
    return fail("E0600", `'${op.name}' has open ${name} parameters ("?"): run the tfhe-params pass first`, op.loc, op.name);
  }
  const get = (k: string) => {
    const v = a.entries.get(k);
    return v?.kind === "int" ? v.value : NaN;
  };
  return { base_log: get("base_log"), level: get("level") };
}

export interface ProgramOptions {
  /** Function to run (default: the first). */
  readonly func?: string;
  /**
   * TESTS ONLY: sets below the 128-bit curve a declared set may be. Only a set its author named
   * INSECURE_* in code counts (the runtime's mark for the sets it may generate keys for); the
   * library defines none, the unit tests' live in tests/helpers.
   */
  readonly insecureTestSets?: readonly TfheParameters[];
}

/** A verified, parametrized tfhe function. Holds the clear weights: server side only. */
export class TfheProgram {
  /** Partition 0's set (the only one for a one-set program). */
  readonly params: TfheParameters;
  readonly partitions: readonly TfheParameters[];
  readonly conversions: readonly ConversionKeySpec[];
  /** The output key's index (see {@link TfheClientSpec.outputKey}). */
  readonly outputKey: number | undefined;
  readonly inputs: readonly EncryptedValueSpec[];
  readonly outputs: readonly EncryptedValueSpec[];
  /** Programmable bootstraps per sample (table elements + exact-rounding bits). */
  readonly pbsPerSample: number;

  private constructor(
    readonly module: ModuleOp,
    readonly func: FuncOp,
    partitions: readonly TfheParameters[],
    conversions: readonly ConversionKeySpec[],
    outputKey: number | undefined,
  ) {
    this.params = partitions[0]!;
    this.partitions = partitions;
    this.conversions = conversions;
    this.outputKey = outputKey;
    const multi = partitions.length > 1;
    const ins = ioTypes(func, "inputs");
    const outs = ioTypes(func, "outputs");
    const inParts = partitionList(func, INPUT_PARTITIONS_ATTR, func.args.length, multi);
    this.inputs = func.args.map((a, i) => withPartition(specOf(a.type, ins?.[i]), inParts?.[i]));
    const ret = func.body.terminator;
    if (!ret || ret.name !== "func.return") fail("E0700", `@${func.name} has no return`);
    const outParts = partitionList(func, OUTPUT_PARTITIONS_ATTR, ret.operands.length, multi);
    this.outputs = ret.operands.map((v, i) => withPartition(specOf(v.type, outs?.[i]), outParts?.[i]));
    const setOf = (op: Operation, name: string): TfheParameters => {
      if (!multi) return partitions[0]!;
      const v = op.attr(name);
      const p = v?.kind === "int" ? partitions[v.value] : undefined;
      return p ?? fail("E0600", `'${op.name}' needs a partition index '${name}' below ${partitions.length}`, op.loc, op.name);
    };
    let pbs = 0;
    for (const op of func.body.ops) {
      if (!SUPPORTED_OPS.has(op.name)) {
        fail("E0502", `the tfhe backend cannot run '${op.name}' (lower the function with lower-to-tfhe first)`, op.loc, op.name);
      }
      if (op.name === "tfhe.keyswitch") {
        const ks = paramDict(op, "ks");
        let want = { base: this.params.ksBaseLog, level: this.params.ksLevel };
        if (multi) {
          setOf(op, "from"); // checks the index
          const to = setOf(op, "to");
          want = { base: to.ksBaseLog, level: to.ksLevel };
          const f = (op.attr("from") as { value: number }).value;
          const t = (op.attr("to") as { value: number }).value;
          // Crossing partitions: the conversion key's decomposition, not the target's own.
          if (f !== t) {
            const c = conversions.find((x) => x.from === f && x.to === t);
            if (!c) fail("E0600", `keyswitch from partition ${f} to ${t} has no conversion key in the module`, op.loc, op.name);
            want = { base: c.baseLog, level: c.level };
          }
        }
        if (ks.base_log !== want.base || ks.level !== want.level) {
          fail("E0600", `keyswitch parameters ${ks.base_log}/${ks.level} differ from the module's set (${want.base}/${want.level})`, op.loc, op.name);
        }
      }
      if (op.name === "tfhe.bootstrap" || op.name === "tfhe.mapped_bootstrap") {
        const params = setOf(op, "partition");
        const maxBits = params.maxPrecision;
        const p = paramDict(op, "pbs");
        if (p.base_log !== params.pbsBaseLog || p.level !== params.pbsLevel) {
          fail("E0600", `bootstrap parameters ${p.base_log}/${p.level} differ from the module's set (${params.pbsBaseLog}/${params.pbsLevel})`, op.loc, op.name);
        }
        const w = (elementOf(op.operands[0]!.type) as LweType).width;
        if (w > maxBits) fail("E0600", `a ${w}-bit table needs N ≥ 2^${w + 1}, the parameter set has N = ${params.polynomialSize}`, op.loc, op.name);
        pbs += (shapeOf(op.result.type) as number[]).reduce((x, y) => x * y, 1);
      }
      for (const r of op.results) {
        const e = elementOf(r.type);
        if (e.kind === "lwe" && e.width > 62) fail("E0600", `precision ${e.width} is too wide for a 64-bit torus`, op.loc, op.name);
      }
    }
    this.pbsPerSample = pbs;
  }

  /** Wraps a module that went through lower-to-tfhe and tfhe-params. */
  static fromModule(module: ModuleOp, options: ProgramOptions = {}): TfheProgram {
    const func = options.func ? module.func(options.func) : module.funcs[0];
    if (!func) return fail("E0700", options.func ? `the module has no function @${options.func}` : "the module has no function");
    const { partitions: declared, conversions, outputKey } = partitionSetsOf(module);
    // Every partition's set is checked against the curve (conversion keys use the target
    // partition's small-key noise, so they are as secure as that set).
    const partitions = declared.map((params, i) => {
      if (params.security().secure) return params;
      const testSet = options.insecureTestSets?.find((s) => s.isTestOnly && s.equals(params.raw()));
      if (testSet) return testSet;
      try {
        assertSecureParameters(params, `the circuit's parameters ${declared.length > 1 ? `(partition ${i}) ` : ""}${params.toString()}`);
      } catch (e) {
        fail("E0600", (e as Error).message);
      }
      return params;
    });
    return new TfheProgram(module, func, partitions, conversions, outputKey);
  }

  /** LWE dimension of each result as it returns: n of its partition when compacted, else kN. */
  outputDimensions(): number[] {
    const ret = this.func.body.terminator!;
    return ret.operands.map((v, i) => {
      const p = this.partitions[this.outputs[i]!.partition ?? 0]!;
      return (elementOf(v.type) as LweType).key === "small" ? p.lweDimension : p.bigDimension;
    });
  }

  /** The client's view: parameter sets and encrypted signature (no weights). */
  clientSpec(): TfheClientSpec {
    const base = { params: this.params, inputs: this.inputs, outputs: this.outputs };
    if (this.partitions.length === 1) return base;
    return { ...base, partitions: this.partitions, conversions: this.conversions, ...(this.outputKey !== undefined ? { outputKey: this.outputKey } : {}) };
  }

  /** The partitions whose evaluation keys the server holds (all but the output key). */
  evaluatedPartitions(): readonly TfheParameters[] {
    return this.outputKey === undefined ? this.partitions : this.partitions.slice(0, this.outputKey);
  }
}

function partitionList(func: FuncOp, attr: string, count: number, multi: boolean): number[] | undefined {
  if (!multi) return undefined;
  const a = func.attributes.get(attr);
  if (a?.kind !== "array" || a.items.length !== count || a.items.some((x) => x.kind !== "int")) {
    return fail("E0600", `a partitioned program needs '${attr}' with one partition index per value`);
  }
  return a.items.map((x) => (x as { value: number }).value);
}

function withPartition(s: EncryptedValueSpec, partition: number | undefined): EncryptedValueSpec {
  return partition === undefined ? s : { ...s, partition };
}

/** Range of a spec's integers. */
export function specRange(s: EncryptedValueSpec): { min: number; max: number } {
  return intRange(s.width, s.signed);
}

/** Table attribute data (helper for the executor). */
export function denseData(op: Operation, name: string): DenseAttr {
  const a = op.attr(name);
  if (!a || a.kind !== "dense") return fail("E0700", `'${op.name}' lacks its '${name}' table`, op.loc, op.name);
  return a;
}
