// Time of one table lookup (keyswitch kN → n then PBS n → kN) on this kind of machine, as it runs
// in a batch on one thread (circuits apply each table op to a tensor, and the runtime shares each
// key pass among a group of ciphertexts; a lone lookup takes longer), from the work terms of the
// cost model (crypto-model/noise.ts):
//   t ≈ a·fft + b·mac + c·keyswitch + d
// with the PBS split into its FFT operations and its key products, which stream the bootstrapping
// key ((k+1)²ℓ·N/2 complex entries per CMux) and cost more per operation the larger k is.
// The coefficients come from `npm run bench -- pbs` (bench/pbs.ts fits them); the built-in ones
// are in ./time_model_coefficients.ts, and FHEC_TIME_MODEL=file.json replaces them with a
// calibration of the machine at hand (bench/out/pbs.json, or a bare {msPerFftWork, …} object).
// The same coefficients weigh the parameter optimizer's cost terms (costWeights).
import { readFileSync } from "node:fs";
import { fail } from "../../ir/diagnostics.js";
import { type CostWeights, keyswitchCost, type NoiseParameters, pbsWork } from "../../crypto-model/index.js";
import { BUILTIN_TIME_MODEL } from "./time_model_coefficients.js";
import type { TimeModelCoefficients } from "./time_model_types.js";

export type { TimeModelCoefficients };

export interface TimeModel extends TimeModelCoefficients {
  /** "built-in" or the calibration file it was read from. */
  readonly source: string;
}

export const TIME_MODEL_ENV = "FHEC_TIME_MODEL";

/** The work terms of one table lookup, in the cost model's units. */
export interface LookupWork {
  readonly fft: number;
  readonly mac: number;
  /** Key products of a multi-bit blind rotation (0 for the classic PBS). */
  readonly multiBitMac: number;
  readonly keyswitch: number;
}

export function lookupWork(p: NoiseParameters): LookupWork {
  return {
    ...pbsWork(p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsLevel, p.pbsGroupingFactor ?? 1),
    keyswitch: keyswitchCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.ksLevel),
  };
}

/** Milliseconds of the PBS part of a lookup (without the fixed term). */
export function pbsTimeOfWork(model: TimeModelCoefficients, work: Pick<LookupWork, "fft" | "mac" | "multiBitMac">): number {
  return model.msPerFftWork * work.fft + model.msPerMacWork * work.mac + (model.msPerMultiBitMacWork ?? model.msPerMacWork) * work.multiBitMac;
}

/** Milliseconds of a lookup of the given work terms. */
export function timeOfWork(model: TimeModelCoefficients, work: LookupWork): number {
  return pbsTimeOfWork(model, work) + model.msPerKeyswitchWork * work.keyswitch + model.msFixed;
}

/** Estimated milliseconds of one keyswitch + PBS on one thread, per lookup of a batch. */
export function lookupTimeMs(model: TimeModelCoefficients, p: NoiseParameters): number {
  return timeOfWork(model, lookupWork(p));
}

/**
 * The model as the optimizer's cost weights, relative to one FFT operation (the fixed term is the
 * same for every set of a lookup and does not change which is cheapest).
 */
export function costWeights(model: TimeModelCoefficients): CostWeights {
  if (!(model.msPerFftWork > 0)) return { fft: 1, mac: 1, keyswitch: 1 };
  const per = (ms: number) => ms / model.msPerFftWork;
  return {
    fft: 1,
    mac: per(model.msPerMacWork),
    keyswitch: per(model.msPerKeyswitchWork),
    ...(model.msPerMultiBitMacWork !== undefined ? { multiBitMac: per(model.msPerMultiBitMacWork) } : {}),
  };
}

function checkCoefficients(x: unknown, source: string): TimeModelCoefficients {
  const o = (x !== null && typeof x === "object" && "model" in x ? (x as { model: unknown }).model : x) as Record<string, unknown> | null;
  const num = (k: string): number => {
    const v = o?.[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail("E0400", `time model '${source}': '${k}' must be a non-negative number`);
    return v as number;
  };
  const machine = o?.["machine"];
  // A calibration from before the PBS was split into FFT and key products: one coefficient for both.
  const legacy = o !== null && !("msPerFftWork" in o) && "msPerPbsWork" in o;
  return {
    msPerFftWork: num(legacy ? "msPerPbsWork" : "msPerFftWork"),
    msPerMacWork: num(legacy ? "msPerPbsWork" : "msPerMacWork"),
    ...(o !== null && "msPerMultiBitMacWork" in o ? { msPerMultiBitMacWork: num("msPerMultiBitMacWork") } : {}),
    msPerKeyswitchWork: num("msPerKeyswitchWork"),
    msFixed: num("msFixed"),
    machine: typeof machine === "string" ? machine : "unknown machine",
  };
}

/** Parses a calibration file's text (bench/out/pbs.json or a bare coefficients object). */
export function parseTimeModel(text: string, source: string): TimeModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail("E0400", `time model '${source}' is not valid JSON`);
  }
  return { ...checkCoefficients(json, source), source };
}

/** The calibration named by FHEC_TIME_MODEL, else the built-in coefficients. */
export function loadTimeModel(env: NodeJS.ProcessEnv = process.env): TimeModel {
  const path = env[TIME_MODEL_ENV];
  if (!path) return { ...BUILTIN_TIME_MODEL, source: "built-in" };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return fail("E0400", `cannot read the time model '${path}' (${TIME_MODEL_ENV}): ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseTimeModel(text, path);
}
