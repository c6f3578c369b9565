// Time of one table lookup (keyswitch kN → n then PBS n → kN) on this kind of machine, from the
// work terms of the cost model (crypto-model/noise.ts): t ≈ a·pbsCost + b·keyswitchCost + c.
// The coefficients come from `npm run bench -- pbs` (bench/pbs.ts fits them); the built-in ones
// are in ./time_model_coefficients.ts, and FHEC_TIME_MODEL=file.json replaces them with a
// calibration of the machine at hand (bench/out/pbs.json, or a bare {msPerPbsWork, …} object).
import { readFileSync } from "node:fs";
import { fail } from "../../ir/diagnostics.js";
import { keyswitchCost, type NoiseParameters, pbsCost } from "../../crypto-model/index.js";
import { BUILTIN_TIME_MODEL } from "./time_model_coefficients.js";
import type { TimeModelCoefficients } from "./time_model_types.js";

export type { TimeModelCoefficients };

export interface TimeModel extends TimeModelCoefficients {
  /** "built-in" or the calibration file it was read from. */
  readonly source: string;
}

export const TIME_MODEL_ENV = "FHEC_TIME_MODEL";

/** The work terms of one table lookup, in the cost model's units. */
export function lookupWork(p: NoiseParameters): { pbs: number; keyswitch: number } {
  return {
    pbs: pbsCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsLevel, p.pbsGroupingFactor ?? 1),
    keyswitch: keyswitchCost(p.lweDimension, p.glweDimension, p.polynomialSize, p.ksLevel),
  };
}

/** Milliseconds of a lookup of the given work terms. */
export function timeOfWork(model: TimeModelCoefficients, work: { readonly pbs: number; readonly keyswitch: number }): number {
  return model.msPerPbsWork * work.pbs + model.msPerKeyswitchWork * work.keyswitch + model.msFixed;
}

/** Estimated milliseconds of one keyswitch + PBS on one thread. */
export function lookupTimeMs(model: TimeModelCoefficients, p: NoiseParameters): number {
  return timeOfWork(model, lookupWork(p));
}

function checkCoefficients(x: unknown, source: string): TimeModelCoefficients {
  const o = (x !== null && typeof x === "object" && "model" in x ? (x as { model: unknown }).model : x) as Record<string, unknown> | null;
  const num = (k: string): number => {
    const v = o?.[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail("E0400", `time model '${source}': '${k}' must be a non-negative number`);
    return v as number;
  };
  const machine = o?.["machine"];
  return {
    msPerPbsWork: num("msPerPbsWork"),
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
