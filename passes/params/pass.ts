// crypto-params: norm analysis of every function of an `fhe`-dialect module, then one parameter
// set for the whole module (the cheapest 128-bit secure set meeting every constraint), recorded
// as the module attribute `fhec.crypto = {precision = …, lweDimension = …, …}`.
import { type Attribute, type DictAttr, dictAttr, floatAttr, intAttr } from "../../ir/attributes.js";
import type { ModuleOp } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import type { Pass, PassReport } from "../pass.js";
import { analyzeNorms, type NoiseConstraint } from "./norms.js";
import { chooseParameters, type CryptoParameters } from "./optimizer.js";
import { annotateReadNoise } from "./read_noise.js";

export { analyzeNorms } from "./norms.js";
export type { ConstraintKind, NoiseConstraint, NormAnalysis, ValueNorm } from "./norms.js";
export { chooseParameters, resolvePError, DEFAULT_P_ERROR, type CryptoParameters, type ChooseParametersOptions } from "./optimizer.js";
export { annotateReadNoise, READ_OFFSET_ATTR, READ_STD_ATTR } from "./read_noise.js";
export { checkSecurity, minNoiseStd, SECURITY_CURVE, type SecurityCheck } from "./security.js";

/** Module attribute holding the chosen set. */
export const CRYPTO_ATTR = "fhec.crypto";

const INT_FIELDS = ["precision", "lweDimension", "glweDimension", "polynomialSize", "pbsBaseLog", "pbsLevel", "ksBaseLog", "ksLevel"] as const;
const FLOAT_FIELDS = ["lweNoiseStd", "glweNoiseStd", "maxNorm2", "pError", "cost", "pErrorPerPbs"] as const;

/** `{precision = 4, lweDimension = 802, …}`: integers as ints, stds and probabilities as floats. */
export function cryptoParametersToAttr(p: CryptoParameters): DictAttr {
  const entries: [string, Attribute][] = [];
  for (const k of INT_FIELDS) entries.push([k, intAttr(p[k])]);
  for (const k of FLOAT_FIELDS) entries.push([k, floatAttr(p[k])]);
  return dictAttr(entries);
}

/** Reads `fhec.crypto` back (undefined when absent or malformed). */
export function cryptoParametersFromAttr(a: Attribute | undefined): CryptoParameters | undefined {
  if (!a || a.kind !== "dict") return undefined;
  const out: Record<string, number> = {};
  for (const k of [...INT_FIELDS, ...FLOAT_FIELDS]) {
    const v = a.entries.get(k);
    if (!v || (v.kind !== "int" && v.kind !== "float")) return undefined;
    out[k] = v.value;
  }
  return out as unknown as CryptoParameters;
}

export interface SelectOptions {
  readonly pError?: number;
  readonly globalPError?: number;
}

/** Norm analysis of every function, then one set for the module. */
export function selectCryptoParameters(module: ModuleOp, opts: SelectOptions = {}): { params: CryptoParameters; constraints: NoiseConstraint[] } {
  const constraints: NoiseConstraint[] = [];
  for (const func of module.funcs) {
    for (const op of func.body.ops) {
      if (op.dialect === "onnx" || op.dialect === "tfhe") {
        fail("E0302", `crypto-params runs on the fhe dialect, found '${op.name}'`, op.loc, op.name);
      }
    }
    constraints.push(...analyzeNorms(func).constraints);
  }
  const params = chooseParameters({
    constraints,
    ...(opts.pError !== undefined ? { pError: opts.pError } : {}),
    ...(opts.globalPError !== undefined ? { globalPError: opts.globalPError } : {}),
  });
  return { params, constraints };
}

function probability(name: string, v: number): number | undefined {
  if (v === 0) return undefined;
  if (!(v > 0 && v < 1)) fail("E0301", `option 'crypto-params.${name}' must be a probability in (0, 1), got ${v}`);
  return v;
}

export const cryptoParamsPass: Pass = {
  name: "crypto-params",
  summary: "MANP norm analysis and the cheapest 128-bit secure TFHE parameters (module attribute fhec.crypto)",
  options: {
    "p-error": { type: "float", default: 0, doc: "per-PBS error bound (0: 2^-40, or derived from global-p-error)" },
    "global-p-error": { type: "float", default: 0, doc: "bound on any PBS/decryption failing in one run (0: off)" },
  },
  run(module: ModuleOp, options): PassReport {
    const pError = probability("p-error", options["p-error"] as number);
    const globalPError = probability("global-p-error", options["global-p-error"] as number);
    const { params, constraints } = selectCryptoParameters(module, {
      ...(pError !== undefined ? { pError } : {}),
      ...(globalPError !== undefined ? { globalPError } : {}),
    });
    // Every read records the noise the chosen set gives there, for simulate to draw from.
    for (const func of module.funcs) annotateReadNoise(func, params);
    const attr = cryptoParametersToAttr(params);
    const old = module.attributes.get(CRYPTO_ATTR);
    const changed = !old || JSON.stringify(cryptoParametersFromAttr(old)) !== JSON.stringify(params);
    module.attributes.set(CRYPTO_ATTR, attr);
    return {
      changed,
      details: {
        constraints: constraints.length,
        precision: params.precision,
        maxNorm2: params.maxNorm2,
        lweDimension: params.lweDimension,
        glweDimension: params.glweDimension,
        polynomialSize: params.polynomialSize,
        pError: params.pError,
        pErrorPerPbs: params.pErrorPerPbs,
        cost: params.cost,
      },
    };
  },
};
