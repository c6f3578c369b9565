// Error-compensating weight rounding. Rounding each weight to its nearest grid point ignores how
// the layer's inputs are correlated; rounding weights one at a time and moving each one's error
// onto the weights not rounded yet, in proportion to the inputs' second moments, keeps the layer's
// output on the calibration inputs much closer to the float layer at the same weight width (the
// optimal-brain-quantization idea, in the column-sequential form known as GPTQ). The grid, the
// width and so the circuit's cost are unchanged: only which grid point each weight takes.
//
// Calibration records, on every Gemm, MatMul and Conv, the Gram matrix E[x xᵀ] of the vectors its
// weights multiply (`INPUT_GRAM_ATTR`); the quantizer reads it when it rounds that op's weights.
import { denseAttr, type DenseAttr } from "../../ir/attributes.js";
import type { Operation } from "../../ir/core.js";
import { onnxAttrs, windowGeometry } from "../../ir/dialects/onnx.js";
import type { NDArray } from "../../ir/tensor.js";
import { tensor, f64 } from "../../ir/types.js";

/** Op attribute holding the Gram matrices, shape [groups, K, K]. */
export const INPUT_GRAM_ATTR = "fhec.input_gram";
/** Above this many inputs per output the Gram matrix (K² values, K³ work) is not recorded. */
export const MAX_GRAM_INPUTS = 1024;
/** Multiply-adds one Gram matrix may take; past it, calibration uses every t-th input vector. */
const MAX_GRAM_WORK = 4e8;
/** Ridge added to the Gram matrix, as a fraction of its mean diagonal (keeps it invertible). */
const DAMPING = 0.01;

const isConstant = (op: Operation, i: number) => op.operands[i]?.definingOp?.name === "onnx.Constant";

/**
 * The Gram matrices of the vectors an op's constant weights multiply, over a calibration batch
 * (`ins` are the op's operand values): per group for Conv. Undefined for other ops, for
 * non-constant weights and for more than MAX_GRAM_INPUTS inputs per output.
 */
export function inputGram(op: Operation, ins: readonly NDArray[]): DenseAttr | undefined {
  const x = ins[0];
  const w = ins[1];
  if (!x || !w || !isConstant(op, 1) || isConstant(op, 0)) return undefined;
  if (op.name === "onnx.Gemm") {
    if (onnxAttrs(op.name, op.attributes).int("transA")) return undefined;
    return rowGram(x);
  }
  if (op.name === "onnx.MatMul") return w.shape.length === 2 && x.shape.length >= 2 ? rowGram(x) : undefined;
  if (op.name === "onnx.Conv") return convGram(op, x, w);
  return undefined;
}

/** The attribute for upper triangles accumulated by `accumulate`: mirrored, averaged over rows. */
function gramAttr(groups: number, k: number, data: Float64Array, rows: number): DenseAttr {
  mirror(data, groups, k);
  for (let i = 0; i < data.length; i++) data[i] = data[i]! / rows;
  return denseAttr(tensor([groups, k, k], f64), data);
}

/** Gram of the last axis's vectors, over every leading position. */
function rowGram(x: NDArray): DenseAttr | undefined {
  const k = x.shape[x.shape.length - 1]!;
  if (k > MAX_GRAM_INPUTS) return undefined;
  const rows = x.data.length / k;
  const every = sampleStep(rows, k);
  const g = new Float64Array(k * k);
  let used = 0;
  for (let r = 0; r < rows; r += every, used++) accumulate(g, x.data.subarray(r * k, (r + 1) * k));
  return gramAttr(1, k, g, used);
}

/** Take every t-th of `vectors` input vectors of length k, so one Gram stays within MAX_GRAM_WORK. */
const sampleStep = (vectors: number, k: number) => Math.max(1, Math.ceil((vectors * k * k) / 2 / MAX_GRAM_WORK));

/** g += v vᵀ (upper triangle, mirrored at the end by `mirror`). */
function accumulate(g: Float64Array, v: ArrayLike<number>): void {
  const k = v.length;
  for (let i = 0; i < k; i++) {
    const vi = v[i]!;
    if (vi === 0) continue;
    const row = i * k;
    for (let j = i; j < k; j++) g[row + j] = g[row + j]! + vi * v[j]!;
  }
}

function mirror(g: Float64Array, groups: number, k: number): void {
  for (let b = 0; b < groups; b++) {
    const base = b * k * k;
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) g[base + i * k + j] = g[base + j * k + i]!;
  }
}

/** Per group, the Gram of the receptive fields (channel-major, then kernel rows, then columns). */
function convGram(op: Operation, x: NDArray, w: NDArray): DenseAttr | undefined {
  const oneD = x.shape.length === 3;
  if (!oneD && x.shape.length !== 4) return undefined;
  const a = onnxAttrs(op.name, op.attributes);
  const geom = windowGeometry(x.shape.slice(2), w.shape.slice(2), a, false);
  const group = a.has("group") ? a.int("group") : 1;
  const [s, c] = x.shape as [number, number];
  const h = oneD ? 1 : x.shape[2]!;
  const wd = x.shape[oneD ? 2 : 3]!;
  const kh = oneD ? 1 : w.shape[2]!;
  const kw = w.shape[oneD ? 2 : 3]!;
  const cg = c / group;
  const k = cg * kh * kw;
  if (k > MAX_GRAM_INPUTS) return undefined;
  const [sh, dh, ph] = oneD ? [1, 1, 0] : [geom.strides[0]!, geom.dilations[0]!, geom.padBegin[0]!];
  const [sw, dw, pw] = oneD ? [geom.strides[0]!, geom.dilations[0]!, geom.padBegin[0]!] : [geom.strides[1]!, geom.dilations[1]!, geom.padBegin[1]!];
  const oh = oneD ? 1 : geom.out[0]!;
  const ow = geom.out[oneD ? 0 : 1]!;
  const g = new Float64Array(group * k * k);
  const field = new Float64Array(k);
  // Whole samples are skipped past the work budget (every position of a kept sample is used).
  const every = sampleStep(s * oh * ow * group, k);
  let used = 0;
  for (let n = 0; n < s; n += every, used++) {
    for (let b = 0; b < group; b++) {
      const gb = g.subarray(b * k * k, (b + 1) * k * k);
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let f = 0;
          for (let ch = 0; ch < cg; ch++) {
            const plane = (n * c + b * cg + ch) * h * wd;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh + ky * dh - ph;
              for (let kx = 0; kx < kw; kx++, f++) {
                const ix = ox * sw + kx * dw - pw;
                field[f] = iy >= 0 && iy < h && ix >= 0 && ix < wd ? x.data[plane + iy * wd + ix]! : 0;
              }
            }
          }
          accumulate(gb, field);
        }
      }
    }
  }
  return gramAttr(group, k, g, used * oh * ow);
}

/** What compensated rounding of one group's weight vectors needs, computed once per group. */
export interface RoundingFactors {
  /** The order weights are rounded in: most energetic input first (dead inputs excluded). */
  readonly order: Int32Array;
  /** Upper Cholesky factor of the damped, reordered Gram matrix's inverse, row-major m × m. */
  readonly u: Float64Array;
}

/**
 * The factors for a K × K Gram matrix `h`; `scale[i]` multiplies input i first (the quantizer's
 * folded per-input scales: the Gram of x_i / S_i). Inputs never seen non-zero are left out.
 */
export function roundingFactors(h: Float64Array, k: number, inputScale?: (i: number) => number): RoundingFactors {
  const sc = (i: number) => (inputScale ? 1 / inputScale(i) : 1);
  const live: number[] = [];
  for (let i = 0; i < k; i++) if (h[i * k + i]! > 0) live.push(i);
  live.sort((p, q) => h[q * k + q]! * sc(q) ** 2 - h[p * k + p]! * sc(p) ** 2 || p - q);
  const m = live.length;
  const a = new Float64Array(m * m);
  let meanDiag = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) a[i * m + j] = h[live[i]! * k + live[j]!]! * sc(live[i]!) * sc(live[j]!);
    meanDiag += a[i * m + i]! / m;
  }
  for (let i = 0; i < m; i++) a[i * m + i] = a[i * m + i]! + DAMPING * meanDiag;
  return { order: Int32Array.from(live), u: upperCholeskyOfInverse(a, m) };
}

/** Lower Cholesky factor L of a symmetric positive-definite m × m matrix (a = L Lᵀ). */
function cholesky(a: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    let d = a[j * m + j]!;
    for (let p = 0; p < j; p++) d -= l[j * m + p]! ** 2;
    if (!(d > 0)) throw new Error("compensated rounding: Gram matrix is not positive definite");
    const ljj = Math.sqrt(d);
    l[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let v = a[i * m + j]!;
      for (let p = 0; p < j; p++) v -= l[i * m + p]! * l[j * m + p]!;
      l[i * m + j] = v / ljj;
    }
  }
  return l;
}

/** U with UᵀU = a⁻¹, U upper triangular. */
function upperCholeskyOfInverse(a: Float64Array, m: number): Float64Array {
  // a = L Lᵀ ⇒ a⁻¹ = L⁻ᵀ L⁻¹. Invert L (lower), form a⁻¹, then factor it as UᵀU.
  const l = cholesky(a, m);
  const li = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    li[j * m + j] = 1 / l[j * m + j]!;
    for (let i = j + 1; i < m; i++) {
      let v = 0;
      for (let p = j; p < i; p++) v -= l[i * m + p]! * li[p * m + j]!;
      li[i * m + j] = v / l[i * m + i]!;
    }
  }
  const inv = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let v = 0;
      for (let p = j; p < m; p++) v += li[p * m + i]! * li[p * m + j]!;
      inv[i * m + j] = v;
      inv[j * m + i] = v;
    }
  }
  // inv = L Lᵀ ⇒ U = Lᵀ.
  const li2 = cholesky(inv, m);
  const u = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) u[i * m + j] = li2[j * m + i]!;
  return u;
}

/**
 * Rounds one output's weights `w` (length K, indexed by input) to integers on the grid `scale`,
 * clamped to ±limit, moving each rounding error onto the weights still to be rounded. Inputs the
 * factors leave out (never non-zero on the calibration set) are rounded to nearest. The quantizer
 * passes its own round-half-even in (qparams imports this module, so it cannot import qparams).
 */
export function compensatedRound(w: ArrayLike<number>, scale: number, limit: number, f: RoundingFactors, roundHalfEven: (v: number) => number): Float64Array {
  const k = w.length;
  const q = new Float64Array(k);
  for (let i = 0; i < k; i++) q[i] = Math.max(-limit, Math.min(limit, roundHalfEven(w[i]! / scale)));
  const m = f.order.length;
  const work = Float64Array.from(f.order, (i) => w[i]! / scale);
  for (let j = 0; j < m; j++) {
    const v = Math.max(-limit, Math.min(limit, roundHalfEven(work[j]!)));
    q[f.order[j]!] = v;
    const e = (work[j]! - v) / f.u[j * m + j]!;
    for (let p = j + 1; p < m; p++) work[p] = work[p]! - e * f.u[j * m + p]!;
  }
  return q;
}
