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

export interface LinearFit {
  /** One coefficient per term (all ≥ 0). */
  readonly coefficients: readonly number[];
  /** Largest |predicted − measured| / measured over the points. */
  readonly maxRelativeError: number;
}

/** Solves the square system a·x = b by Gaussian elimination with partial pivoting (undefined if singular). */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (!(Math.abs(m[p]![c]!) > 0)) return undefined;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let j = c; j <= n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * Minimises Σ ((Σ_j c_j·x_j − t)/t)² with every c_j ≥ 0 (terms such as an FFT count, a key-product
 * count, a constant 1). Exact for the few terms of the time model: every subset of free terms is
 * solved by its normal equations and the best feasible solution wins (the optimum has some subset
 * of coefficients at 0 and the others at their unconstrained optimum).
 */
export function fitNonNegative(points: readonly { readonly terms: readonly number[]; readonly ms: number }[]): LinearFit {
  if (points.length === 0) throw new RangeError("no points to fit");
  if (points.some((q) => !(q.ms > 0) || q.terms.some((x) => !(x >= 0)))) throw new RangeError("times must be positive and terms non-negative");
  const d = points[0]!.terms.length;
  const cost = (c: readonly number[]) => points.reduce((s, q) => s + ((q.terms.reduce((a, x, j) => a + c[j]! * x, 0) - q.ms) / q.ms) ** 2, 0);
  let best: { c: number[]; cost: number } | undefined;
  for (let mask = 1; mask < 2 ** d; mask++) {
    const free = Array.from({ length: d }, (_, j) => j).filter((j) => mask & (1 << j));
    // Weighted normal equations (w = 1/t²) restricted to the free terms.
    const a = free.map((i) => free.map((j) => points.reduce((s, q) => s + (q.terms[i]! * q.terms[j]!) / (q.ms * q.ms), 0)));
    const b = free.map((i) => points.reduce((s, q) => s + q.terms[i]! / q.ms, 0));
    const x = solve(a, b);
    if (!x || x.some((v) => !(v >= 0))) continue;
    const c = new Array<number>(d).fill(0);
    free.forEach((j, i) => (c[j] = x[i]!));
    const value = cost(c);
    if (!best || value < best.cost) best = { c, cost: value };
  }
  if (!best) throw new RangeError("no non-negative fit");
  const maxRelativeError = Math.max(...points.map((q) => Math.abs(q.terms.reduce((a, x, j) => a + best!.c[j]! * x, 0) - q.ms) / q.ms));
  return { coefficients: best.c, maxRelativeError };
}
