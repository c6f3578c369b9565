// Sliding-window geometry of convolutions and of the pooling windows that share it: the output
// size along an axis, the input extent a row of windows covers, the input position each kernel
// tap reads, and the sparse plan of a grouped NCHW conv2d. Every TypeScript user (verifiers,
// quantizer, bit widths, norms, the clear and reference interpreters) takes these formulas from
// here; the native addon has its own, pinned to this one by tests/runtime/linear.test.ts.
import { asInts } from "./attributes.js";
import type { Operation } from "./core.js";

/**
 * Output size along one axis. In ceil mode a partial last window counts too, unless it would
 * start in the end padding.
 */
export function windowOutputSize(input: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, ceilMode = false): number {
  const span = input + padBegin + padEnd - windowSpan(1, kernel, 1, dilation);
  if (span < 0) return 0;
  let out = ceilMode ? Math.ceil(span / stride) + 1 : Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= input + padBegin) out--;
  return out;
}

/** Input extent (padding included) that `out` consecutive windows cover along one axis. */
export function windowSpan(out: number, kernel: number, stride: number, dilation: number): number {
  return (out - 1) * stride + dilation * (kernel - 1) + 1;
}

/**
 * Input position that output position `o` reads at kernel tap `k` along one axis (a position
 * outside [0, size) is padding). A transposed convolution scatters the other way: input `o`
 * reaches this output position.
 */
export function tapPosition(o: number, k: number, stride: number, padBegin: number, dilation: number): number {
  return o * stride - padBegin + k * dilation;
}

/** The attributes of `fhe.conv2d` (and `tfhe.conv2d_lwe`). */
export interface Conv2dAttrs {
  readonly strides: readonly number[];
  /** [top, left, bottom, right]. */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly group: number;
}

export function conv2dAttrs(op: Operation): Conv2dAttrs {
  return {
    strides: asInts(op.attr("strides"))!,
    pads: asInts(op.attr("pads"))!,
    dilations: asInts(op.attr("dilations"))!,
    group: (op.attr("group") as { value: number }).value,
  };
}

/** Result shape [N, F, OH, OW] of a conv2d of input [N, C, H, W] and weight [F, C/group, KH, KW]. */
export function conv2dOutputShape(x: readonly number[], w: readonly number[], a: Conv2dAttrs): number[] {
  const axis = (i: 0 | 1) => windowOutputSize(x[2 + i]!, w[2 + i]!, a.strides[i]!, a.dilations[i]!, a.pads[i]!, a.pads[2 + i]!);
  return [x[0]!, w[0]!, axis(0), axis(1)];
}

/**
 * A conv2d as a sparse linear map: output element o (row-major over [N, F, OH, OW]) is the sum
 * over j in [rowPtr[o], rowPtr[o+1]) of input[inIdx[j]] * weight[wIdx[j]], plus bias[biasIdx[o]]
 * when there is a bias. Taps that fall in the padding are left out (zero padding adds nothing).
 * Within a row the taps go channel, kernel row, kernel column.
 */
export interface LinearPlan {
  readonly outShape: readonly number[];
  readonly rowPtr: Int32Array;
  readonly inIdx: Int32Array;
  readonly wIdx: Int32Array;
  readonly biasIdx: Int32Array;
}

export function conv2dPlan(x: readonly number[], w: readonly number[], a: Conv2dAttrs): LinearPlan {
  const [nB, c, h, wd] = x as [number, number, number, number];
  const [f, cg, kh, kw] = w as [number, number, number, number];
  const outShape = conv2dOutputShape(x, w, a);
  const [, , oh, ow] = outShape as [number, number, number, number];
  const [sh, sw] = a.strides as [number, number];
  const [pt, pl] = a.pads as [number, number];
  const [dh, dw] = a.dilations as [number, number];
  const fg = f / a.group;
  const outSize = nB * f * oh * ow;
  const rowPtr = new Int32Array(outSize + 1);
  const biasIdx = new Int32Array(outSize);
  const ins: number[] = [];
  const ws: number[] = [];
  let o = 0;
  for (let n = 0; n < nB; n++) {
    for (let ff = 0; ff < f; ff++) {
      const g = Math.floor(ff / fg);
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          rowPtr[o] = ins.length;
          biasIdx[o] = ff;
          for (let cc = 0; cc < cg; cc++) {
            const ch = g * cg + cc;
            for (let ky = 0; ky < kh; ky++) {
              const iy = tapPosition(y, ky, sh, pt, dh);
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = tapPosition(xo, kx, sw, pl, dw);
                if (ix < 0 || ix >= wd) continue;
                ins.push(((n * c + ch) * h + iy) * wd + ix);
                ws.push(((ff * cg + cc) * kh + ky) * kw + kx);
              }
            }
          }
          o++;
        }
      }
    }
  }
  rowPtr[outSize] = ins.length;
  return { outShape, rowPtr, inIdx: Int32Array.from(ins), wIdx: Int32Array.from(ws), biasIdx };
}

/**
 * A plan's rows on flat input and weight data (float64), written to `out` from `at` on: each row
 * starts from its bias and adds its taps in plan order, so that every user sums in one order.
 */
export function applyLinearPlan(
  plan: LinearPlan,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias?: ArrayLike<number>,
  out: Float64Array = new Float64Array(plan.biasIdx.length),
  at = 0,
): Float64Array {
  const { rowPtr, inIdx, wIdx, biasIdx } = plan;
  for (let r = 0; r < biasIdx.length; r++) {
    let acc = bias ? bias[biasIdx[r]!]! : 0;
    for (let j = rowPtr[r]!; j < rowPtr[r + 1]!; j++) acc += x[inIdx[j]!]! * w[wIdx[j]!]!;
    out[at + r] = acc;
  }
  return out;
}
