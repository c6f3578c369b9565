// Least-squares fit of the per-lookup time model (compiler/cost/time_model.ts) to measured times.
// Keyswitch and PBS are timed separately, so each gets its own line t ≈ slope·work + intercept,
// fitted on relative error (times span three orders of magnitude) with non-negative coefficients.

export interface LineFit {
  readonly slope: number;
  readonly intercept: number;
  /** Largest |predicted − measured| / measured over the points. */
  readonly maxRelativeError: number;
}

/** Minimises Σ ((slope·x + intercept − t)/t)² with slope, intercept ≥ 0. */
export function fitLine(points: readonly { readonly work: number; readonly ms: number }[]): LineFit {
  if (points.length === 0) throw new RangeError("no points to fit");
  if (points.some((q) => !(q.ms > 0 && q.work > 0))) throw new RangeError("times and work must be positive");
  // Weighted normal equations with w = 1/t²: [Σw x², Σw x; Σw x, Σw]·[s; c] = [Σw x t; Σw t].
  let sxx = 0, sx = 0, s1 = 0, sxt = 0, st = 0;
  for (const { work: x, ms: t } of points) {
    const w = 1 / (t * t);
    sxx += w * x * x; sx += w * x; s1 += w; sxt += w * x * t; st += w * t;
  }
  const det = sxx * s1 - sx * sx;
  let slope = det > 0 ? (sxt * s1 - sx * st) / det : NaN;
  let intercept = det > 0 ? (sxx * st - sx * sxt) / det : NaN;
  if (!(slope >= 0 && intercept >= 0)) {
    // The unconstrained optimum is outside the feasible set: the best feasible fit lies on an edge.
    const throughOrigin = { slope: sxt / sxx, intercept: 0 };
    const constant = { slope: 0, intercept: st / s1 };
    const cost = (f: { slope: number; intercept: number }) =>
      points.reduce((s, q) => s + ((f.slope * q.work + f.intercept - q.ms) / q.ms) ** 2, 0);
    ({ slope, intercept } = cost(throughOrigin) <= cost(constant) ? throughOrigin : constant);
  }
  const maxRelativeError = Math.max(...points.map((q) => Math.abs(slope * q.work + intercept - q.ms) / q.ms));
  return { slope, intercept, maxRelativeError };
}
