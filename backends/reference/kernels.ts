// Numeric kernels of the float reference interpreter. All arithmetic is float64 (accumulations
// included); the interpreter rounds results to their element type afterwards.
import { applyLinearPlan, conv2dPlan, tapPosition } from "../../ir/conv_geometry.js";
import { type NDArray, broadcastIndex, sizeOf, stridesOf } from "../../ir/tensor.js";
import type { WindowGeometry } from "../../ir/dialects/onnx.js";

/** Elementwise map over any number of operands with numpy broadcasting to `outShape`. */
export function mapN(ins: readonly NDArray[], outShape: readonly number[], f: (xs: number[]) => number): NDArray {
  const maps = ins.map((a) => broadcastIndex(a.shape, outShape));
  const n = sizeOf(outShape);
  const out = new Float64Array(n);
  const xs = new Array<number>(ins.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < ins.length; k++) xs[k] = ins[k]!.data[maps[k]![i]!]!;
    out[i] = f(xs);
  }
  return { shape: [...outShape], data: out };
}

export function map2(a: NDArray, b: NDArray, outShape: readonly number[], f: (x: number, y: number) => number): NDArray {
  const ia = broadcastIndex(a.shape, outShape);
  const ib = broadcastIndex(b.shape, outShape);
  const out = new Float64Array(ia.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[ia[i]!]!, b.data[ib[i]!]!);
  return { shape: [...outShape], data: out };
}

/** numpy matmul with 1-D promotion and broadcast batch dims; `outShape` comes from inference. */
export function matmul(a: NDArray, b: NDArray, outShape: readonly number[]): NDArray {
  const a2 = a.shape.length === 1 ? [1, a.shape[0]!] : [...a.shape];
  const b2 = b.shape.length === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const m = a2[a2.length - 2]!;
  const k = a2[a2.length - 1]!;
  const n = b2[b2.length - 1]!;
  const batchA = a2.slice(0, -2);
  const batchB = b2.slice(0, -2);
  const nb = Math.max(batchA.length, batchB.length);
  const batch: number[] = [];
  for (let i = 0; i < nb; i++) batch.push(Math.max(batchA[batchA.length - nb + i] ?? 1, batchB[batchB.length - nb + i] ?? 1));
  const mapA = broadcastIndex(batchA, batch);
  const mapB = broadcastIndex(batchB, batch);
  const count = sizeOf(batch);
  const out = new Float64Array(count * m * n);
  const row = new Float64Array(n);
  for (let bi = 0; bi < count; bi++) {
    const offA = mapA[bi]! * m * k;
    const offB = mapB[bi]! * k * n;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = a.data[offA + i * k + p]!;
        if (av === 0) continue;
        const boff = offB + p * n;
        for (let j = 0; j < n; j++) row[j] = row[j]! + av * b.data[boff + j]!;
      }
      out.set(row, (bi * m + i) * n);
    }
  }
  return { shape: [...outShape], data: out };
}

/** Lifts 1-D spatial geometry to 2-D (height 1) so one kernel serves both. */
function lift(shape: readonly number[], g: WindowGeometry): { h: number; w: number; g: WindowGeometry } {
  if (shape.length === 4) return { h: shape[2]!, w: shape[3]!, g };
  return {
    h: 1,
    w: shape[2]!,
    g: {
      kernel: [1, g.kernel[0]!],
      strides: [1, g.strides[0]!],
      dilations: [1, g.dilations[0]!],
      padBegin: [0, g.padBegin[0]!],
      padEnd: [0, g.padEnd[0]!],
      out: [1, g.out[0]!],
    },
  };
}

/** Grouped 2-D (or 1-D) convolution, NCHW, weight [M, C/group, kh, kw], optional bias [M]. */
export function conv(x: NDArray, w: NDArray, bias: NDArray | undefined, geom: WindowGeometry, group: number, outShape: readonly number[]): NDArray {
  const { h, w: wd, g } = lift(x.shape, geom);
  const [n, c] = x.shape as [number, number];
  const [kh, kw] = g.kernel as [number, number];
  const attrs = { strides: g.strides, pads: [...g.padBegin, ...g.padEnd], dilations: g.dilations, group };
  // One image's plan, applied image after image (a plan over the whole batch would be as large).
  const plan = conv2dPlan([1, c, h, wd], [w.shape[0]!, c / group, kh, kw], attrs);
  const inSize = c * h * wd;
  const outSize = plan.biasIdx.length;
  const out = new Float64Array(n * outSize);
  for (let b = 0; b < n; b++) applyLinearPlan(plan, x.data.subarray(b * inSize), w.data, bias?.data, out, b * outSize);
  return { shape: [...outShape], data: out };
}

/** Average or max pooling over 1-D/2-D windows. */
export function pool(x: NDArray, geom: WindowGeometry, kind: "avg" | "max", countIncludePad: boolean, outShape: readonly number[]): NDArray {
  const { h, w: wd, g } = lift(x.shape, geom);
  const planes = x.shape[0]! * x.shape[1]!;
  const [kh, kw] = g.kernel as [number, number];
  const [sh, sw] = g.strides as [number, number];
  const [dh, dw] = g.dilations as [number, number];
  const [ph, pw] = g.padBegin as [number, number];
  const [peh, pew] = g.padEnd as [number, number];
  const [oh, ow] = g.out as [number, number];
  const out = new Float64Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    const base = p * h * wd;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let acc = kind === "max" ? -Infinity : 0;
        let inside = 0;
        let padded = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = tapPosition(oy, ky, sh, ph, dh);
          const yInPad = iy >= -ph && iy < h + peh;
          for (let kx = 0; kx < kw; kx++) {
            const ix = tapPosition(ox, kx, sw, pw, dw);
            if (yInPad && ix >= -pw && ix < wd + pew) padded++;
            if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
            const v = x.data[base + iy * wd + ix]!;
            inside++;
            if (kind === "max") {
              if (v > acc || Number.isNaN(v)) acc = v;
            } else acc += v;
          }
        }
        out[(p * oh + oy) * ow + ox] = kind === "max" ? acc : acc / (countIncludePad ? padded : inside);
      }
    }
  }
  return { shape: [...outShape], data: out };
}

/** Visits every 1-D lane along `axis`: calls f(offset, stride, length) for each lane. */
export function forEachLane(shape: readonly number[], axis: number, f: (offset: number, stride: number, length: number) => void): void {
  const outer = sizeOf(shape.slice(0, axis));
  const len = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * len * inner + i, inner, len);
}

/** Padding in constant, reflect or edge mode; negative pads crop. */
export function padND(x: NDArray, pads: readonly number[], mode: string, value: number, outShape: readonly number[]): NDArray {
  const r = x.shape.length;
  const inStrides = stridesOf(x.shape);
  const total = sizeOf(outShape);
  const out = new Float64Array(total);
  const idx = new Array<number>(r).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let src = 0;
    let outside = false;
    for (let i = 0; i < r; i++) {
      const dim = x.shape[i]!;
      let s = idx[i]! - pads[i]!;
      if (s < 0 || s >= dim) {
        if (mode === "constant" || dim === 0) outside = true;
        else if (mode === "edge") s = s < 0 ? 0 : dim - 1;
        else {
          // reflect without repeating the edge: period 2(dim-1)
          const period = 2 * (dim - 1);
          if (period === 0) s = 0;
          else {
            s = ((s % period) + period) % period;
            if (s >= dim) s = period - s;
          }
        }
      }
      src += s * inStrides[i]!;
    }
    out[flat] = outside ? value : x.data[src]!;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: [...outShape], data: out };
}

/** Round half to even (ONNX Round, QuantizeLinear). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** erf to float64 accuracy: power series near 0, continued fraction for erfc further out. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 10) return Math.sign(x);
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  let frac = ax;
  for (let k = 80; k >= 1; k--) frac = ax + k / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}

/** Grouped transposed convolution, weight [C, M/group, kh, kw], optional bias [M]. */
export function convTranspose(x: NDArray, w: NDArray, bias: NDArray | undefined, geom: WindowGeometry, group: number, outShape: readonly number[]): NDArray {
  const { h, w: wd, g } = lift(x.shape, geom);
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  const cg = c / group;
  const mg = w.shape[1]!;
  const m = mg * group;
  const [kh, kw] = g.kernel as [number, number];
  const [sh, sw] = g.strides as [number, number];
  const [dh, dw] = g.dilations as [number, number];
  const [ph, pw] = g.padBegin as [number, number];
  const [oh, ow] = g.out as [number, number];
  const out = new Float64Array(n * m * oh * ow);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      const base = (b * m + oc) * oh * ow;
      if (bias) out.fill(bias.data[oc]!, base, base + oh * ow);
    }
    for (let ic = 0; ic < c; ic++) {
      const grp = Math.floor(ic / cg);
      const xBase = (b * c + ic) * h * wd;
      for (let om = 0; om < mg; om++) {
        const oc = grp * mg + om;
        const wBase = (ic * mg + om) * kh * kw;
        const oBase = (b * m + oc) * oh * ow;
        for (let iy = 0; iy < h; iy++) {
          for (let ix = 0; ix < wd; ix++) {
            const xv = x.data[xBase + iy * wd + ix]!;
            if (xv === 0) continue;
            for (let ky = 0; ky < kh; ky++) {
              const oy = tapPosition(iy, ky, sh, ph, dh);
              if (oy < 0 || oy >= oh) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ox = tapPosition(ix, kx, sw, pw, dw);
                if (ox < 0 || ox >= ow) continue;
                out[oBase + oy * ow + ox] = out[oBase + oy * ow + ox]! + xv * w.data[wBase + ky * kw + kx]!;
              }
            }
          }
        }
      }
    }
  }
  return { shape: [...outShape], data: out };
}
