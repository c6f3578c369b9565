// How well `simulate` predicts encrypted execution on given samples: the rate at which outputs
// differ from the exact circuit (`disable`), in FHE and over many simulation seeds, and the
// accuracy interval the seeds span. Used by `npm run bench -- fidelity` and the fidelity tests.
import type { NDArray } from "../ir/tensor.js";
import { argmaxPerSample } from "./output_agreement.js";
import type { FheCircuit } from "./circuit.js";

export interface Spread {
  readonly mean: number;
  readonly sd: number;
  /** 2.5% and 97.5% quantiles over the seeds. */
  readonly low: number;
  readonly high: number;
  /** The extremes over the seeds. */
  readonly min: number;
  readonly max: number;
}

export interface FidelityReport {
  readonly samples: number;
  readonly elements: number;
  readonly seeds: number;
  /** Fraction of output elements where FHE differs from `disable`. */
  readonly fheMismatch: number;
  /** The same fraction for `simulate`, over the seeds. */
  readonly simulatedMismatch: Spread;
  /** With labels: FHE accuracy, and simulated accuracy over the seeds (argmax; a single output: > 0.5). */
  readonly fheAccuracy?: number;
  readonly simulatedAccuracy?: Spread;
}

function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))))]!;
  return { mean, sd, low: at(0.025), high: at(0.975), min: sorted[0]!, max: sorted[n - 1]! };
}

function mismatch(a: NDArray, b: NDArray): number {
  let bad = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) bad++;
  return bad / a.data.length;
}

/** Fraction of samples whose argmax (a single output: > 0.5) equals the label. */
export function accuracy(out: NDArray, labels: ArrayLike<number | bigint>): number {
  const n = labels.length;
  const picks = out.data.length === n ? Int32Array.from(out.data, (v) => (v > 0.5 ? 1 : 0)) : argmaxPerSample(out.data, n);
  let ok = 0;
  for (let s = 0; s < n; s++) if (picks[s] === Number(labels[s])) ok++;
  return ok / n;
}

/** `fhe`: the decrypted, decoded first output of an encrypted run on `x`. */
export function fidelityReport(circuit: FheCircuit, x: NDArray, fhe: NDArray, opts: { seeds: number; labels?: ArrayLike<number | bigint> }): FidelityReport {
  const exact = circuit.predictClear(x, { fhe: "disable" })[0]!;
  const sims = Array.from({ length: opts.seeds }, (_, seed) => circuit.predictClear(x, { fhe: "simulate", seed: seed + 1 })[0]!);
  const base = {
    samples: x.shape[0]!,
    elements: exact.data.length,
    seeds: opts.seeds,
    fheMismatch: mismatch(fhe, exact),
    simulatedMismatch: spread(sims.map((s) => mismatch(s, exact))),
  };
  if (!opts.labels) return base;
  return { ...base, fheAccuracy: accuracy(fhe, opts.labels), simulatedAccuracy: spread(sims.map((s) => accuracy(s, opts.labels!))) };
}
