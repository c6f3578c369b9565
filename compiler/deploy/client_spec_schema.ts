// Field-by-field validation of a client spec read from bytes. The spec decides how the client
// quantizes, encrypts and decodes, so nothing in it is trusted: every field is checked for type,
// range and consistency with the others before use, and each problem is one clear error naming the
// field (never a TypeError from deep inside the client).
import { PARAMETER_INTEGER_FIELDS, PARAMETER_NOISE_FIELDS } from "../../crypto-model/index.js";
import { InvalidDataError, MAX_ENCODING_BITS } from "../../backends/tfhe/index.js";
import { intRange } from "../../ir/types.js";
import type { ClientSpec } from "./client_spec.js";

/** Most elements one input or output sample may have (bounds the per-element scale lists). */
const MAX_SAMPLE_ELEMENTS = 2 ** 26;
/** Most partitions a circuit may have (the optimizer makes at most a handful). */
const MAX_PARTITIONS = 16;

type Json = Record<string, unknown>;

class Checker {
  constructor(private readonly file: string) {}

  bad(path: string, why: string): never {
    throw new InvalidDataError(`'${this.file}' is not a valid fhec client spec: ${path} ${why}`);
  }

  object(v: unknown, path: string): Json {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.bad(path, "must be an object");
    return v as Json;
  }

  array(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): unknown[] {
    if (!Array.isArray(v)) this.bad(path, "must be a list");
    const a = v as unknown[];
    if (a.length < min || a.length > max) this.bad(path, `must have ${min === max ? min : `${min} to ${max}`} entries, has ${a.length}`);
    return a;
  }

  int(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) this.bad(path, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v as number;
  }

  finite(v: unknown, path: string): number {
    if (typeof v !== "number" || !Number.isFinite(v)) this.bad(path, `must be a finite number, got ${JSON.stringify(v)}`);
    return v as number;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== "string") this.bad(path, "must be a string");
    return v as string;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== "boolean") this.bad(path, "must be true or false");
    return v as boolean;
  }
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

function checkParameters(c: Checker, v: unknown, path: string): void {
  const p = c.object(v, path);
  // Types only: the structural rules and the security curve are applied by the runtime's one check.
  for (const f of PARAMETER_INTEGER_FIELDS) {
    // The grouping factor is optional (classic PBS when absent).
    if (f === "pbsGroupingFactor" && p[f] === undefined) continue;
    c.int(p[f], `${path}.${f}`, 0, 2 ** 32 - 1);
  }
  for (const f of PARAMETER_NOISE_FIELDS) c.finite(p[f], `${path}.${f}`);
}

function checkEncrypted(c: Checker, v: unknown, path: string, partitions: number): { elements: number; min: number; max: number } {
  const e = c.object(v, path);
  const shape = c.array(e["shape"], `${path}.shape`, 1, 8).map((d, i) => c.int(d, `${path}.shape[${i}]`, 1, MAX_SAMPLE_ELEMENTS));
  if (shape[0] !== 1) c.bad(`${path}.shape[0]`, "must be 1 (the batch dimension of one sample)");
  const elements = product(shape);
  if (elements > MAX_SAMPLE_ELEMENTS) c.bad(`${path}.shape`, `has ${elements} elements, more than ${MAX_SAMPLE_ELEMENTS}`);
  const width = c.int(e["width"], `${path}.width`, 1, MAX_ENCODING_BITS);
  const signed = c.bool(e["signed"], `${path}.signed`);
  if (e["partition"] !== undefined) c.int(e["partition"], `${path}.partition`, 0, partitions - 1);
  return { elements, ...intRange(width, signed) };
}

/** One scale (or zero point) per tensor, or one per element of a sample. */
function checkPerElement(c: Checker, v: unknown, path: string, elements: number, nonZero: boolean): number[] {
  const a = c.array(v, path, 1, MAX_SAMPLE_ELEMENTS);
  if (a.length !== 1 && a.length !== elements) c.bad(path, `must have 1 or ${elements} entries (one per element), has ${a.length}`);
  return a.map((x, i) => {
    const n = c.finite(x, `${path}[${i}]`);
    if (nonZero && n === 0) c.bad(`${path}[${i}]`, "must not be 0");
    return n;
  });
}

/** Checks every field of a parsed client spec; returns it typed. */
export function validateClientSpec(header: Record<string, unknown>, file: string): ClientSpec {
  const c = new Checker(file);
  if (typeof header["circuitId"] !== "string" || !/^[0-9a-f]{64}$/.test(header["circuitId"])) c.bad("circuitId", "must be a sha256 in hex");
  checkParameters(c, header["parameters"], "parameters");
  let partitions = 1;
  if (header["partitions"] !== undefined) {
    const ps = c.array(header["partitions"], "partitions", 1, MAX_PARTITIONS);
    ps.forEach((p, i) => checkParameters(c, p, `partitions[${i}]`));
    partitions = ps.length;
  }
  if (header["conversions"] !== undefined) {
    c.array(header["conversions"], "conversions", 0, partitions * partitions).forEach((v, i) => {
      const path = `conversions[${i}]`;
      const k = c.object(v, path);
      c.int(k["from"], `${path}.from`, 0, partitions - 1);
      c.int(k["to"], `${path}.to`, 0, partitions - 1);
      c.int(k["ksBaseLog"], `${path}.ksBaseLog`, 1, 64);
      c.int(k["ksLevel"], `${path}.ksLevel`, 1, 64);
    });
  }
  if (header["outputKey"] !== undefined) {
    // The output key is the last partition and receives results only: no key may leave it.
    const k = c.int(header["outputKey"], "outputKey", partitions - 1, partitions - 1);
    if (partitions < 2) c.bad("outputKey", "needs at least one partition besides the output key");
    const cs = (header["conversions"] ?? []) as { from: number }[];
    if (cs.some((x) => x.from === k)) c.bad("conversions", "a conversion key cannot leave the output key");
  }
  c.array(header["inputs"], "inputs", 1, 1024).forEach((v, i) => {
    const path = `inputs[${i}]`;
    const q = c.object(v, path);
    c.string(q["name"], `${path}.name`);
    const shape = c.array(q["shape"], `${path}.shape`, 1, 8).map((d, k) => c.int(d, `${path}.shape[${k}]`, -1, MAX_SAMPLE_ELEMENTS));
    const enc = checkEncrypted(c, q["encrypted"], `${path}.encrypted`, partitions);
    const known = shape.slice(1);
    if (known.every((d) => d > 0) && product(known) !== enc.elements) {
      c.bad(`${path}.shape`, `[${shape.join(", ")}] holds ${product(known)} elements per sample, the encrypted input ${enc.elements}`);
    }
    checkPerElement(c, q["scale"], `${path}.scale`, enc.elements, true);
    checkPerElement(c, q["zeroPoint"], `${path}.zeroPoint`, enc.elements, false);
    const qmin = c.int(q["qmin"], `${path}.qmin`, enc.min, enc.max);
    const qmax = c.int(q["qmax"], `${path}.qmax`, enc.min, enc.max);
    if (qmin > qmax) c.bad(`${path}.qmin`, `(${qmin}) is above qmax (${qmax})`);
  });
  c.array(header["outputs"], "outputs", 1, 1024).forEach((v, i) => {
    const path = `outputs[${i}]`;
    const d = c.object(v, path);
    const enc = checkEncrypted(c, d["encrypted"], `${path}.encrypted`, partitions);
    checkPerElement(c, d["scale"], `${path}.scale`, enc.elements, false);
    checkPerElement(c, d["zeroPoint"], `${path}.zeroPoint`, enc.elements, false);
  });
  c.string(header["postprocess"], "postprocess");
  return header as unknown as ClientSpec;
}
