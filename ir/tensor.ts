// A small dense n-d array on float64 storage, with the shape algebra shared by folders,
// the clear interpreter and the float reference interpreter.

export interface NDArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export function ndarray(shape: readonly number[], data?: ArrayLike<number>): NDArray {
  const n = sizeOf(shape);
  const d = data ? Float64Array.from(data) : new Float64Array(n);
  if (d.length !== n) throw new Error(`ndarray: ${d.length} values for shape [${shape.join(",")}]`);
  return { shape: [...shape], data: d };
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Numpy broadcasting of two shapes; undefined when incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Index map from each element of `outShape` to the flat index in a tensor of `shape` broadcast to it. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const total = sizeOf(outShape);
  const map = new Int32Array(total);
  const inStrides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  const eff = outShape.map((_, i) => {
    const k = i - offset;
    return k < 0 || shape[k] === 1 ? 0 : inStrides[k]!;
  });
  const idx = new Array<number>(outShape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let src = 0;
    for (let i = 0; i < idx.length; i++) src += idx[i]! * eff[i]!;
    map[flat] = src;
    for (let i = idx.length - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return map;
}

export function broadcastTo(a: NDArray, shape: readonly number[]): NDArray {
  const map = broadcastIndex(a.shape, shape);
  const out = new Float64Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = a.data[map[i]!]!;
  return { shape: [...shape], data: out };
}

export function binaryOp(a: NDArray, b: NDArray, f: (x: number, y: number) => number): NDArray {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) throw new Error(`cannot broadcast [${a.shape.join(",")}] with [${b.shape.join(",")}]`);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const out = new Float64Array(ia.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[ia[i]!]!, b.data[ib[i]!]!);
  return { shape, data: out };
}

export function unaryOp(a: NDArray, f: (x: number) => number): NDArray {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!);
  return { shape: [...a.shape], data: out };
}

export function reshape(a: NDArray, shape: readonly number[]): NDArray {
  if (sizeOf(shape) !== a.data.length) throw new Error(`reshape: [${a.shape.join(",")}] to [${shape.join(",")}]`);
  return { shape: [...shape], data: a.data };
}

export function transpose(a: NDArray, perm: readonly number[]): NDArray {
  const outShape = perm.map((p) => a.shape[p]!);
  const inStrides = stridesOf(a.shape);
  const permStrides = perm.map((p) => inStrides[p]!);
  const total = a.data.length;
  const out = new Float64Array(total);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let src = 0;
    for (let i = 0; i < idx.length; i++) src += idx[i]! * permStrides[i]!;
    out[flat] = a.data[src]!;
    for (let i = idx.length - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: outShape, data: out };
}

/** Static slice with per-axis start/end/step already normalised to valid ranges. */
export function slice(a: NDArray, starts: readonly number[], ends: readonly number[], steps: readonly number[]): NDArray {
  const outShape = a.shape.map((_, i) => sliceLength(starts[i]!, ends[i]!, steps[i]!));
  const inStrides = stridesOf(a.shape);
  const total = sizeOf(outShape);
  const out = new Float64Array(total);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let src = 0;
    for (let i = 0; i < idx.length; i++) src += (starts[i]! + idx[i]! * steps[i]!) * inStrides[i]!;
    out[flat] = a.data[src]!;
    for (let i = idx.length - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: outShape, data: out };
}

export function sliceLength(start: number, end: number, step: number): number {
  return step > 0 ? Math.max(0, Math.ceil((end - start) / step)) : Math.max(0, Math.ceil((start - end) / -step));
}

export function concat(parts: readonly NDArray[], axis: number): NDArray {
  const first = parts[0]!;
  const outShape = [...first.shape];
  outShape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
  const outer = sizeOf(first.shape.slice(0, axis));
  const inner = sizeOf(first.shape.slice(axis + 1));
  const out = new Float64Array(sizeOf(outShape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const p of parts) {
      const chunk = p.shape[axis]! * inner;
      out.set(p.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return { shape: outShape, data: out };
}

/** Constant padding; `pads` is [begin_0, …, begin_{r-1}, end_0, …, end_{r-1}] (ONNX order). */
export function padConstant(a: NDArray, pads: readonly number[], value: number): NDArray {
  const r = a.shape.length;
  const outShape = a.shape.map((d, i) => d + pads[i]! + pads[i + r]!);
  const out = new Float64Array(sizeOf(outShape)).fill(value);
  const outStrides = stridesOf(outShape);
  const idx = new Array<number>(r).fill(0);
  for (let flat = 0; flat < a.data.length; flat++) {
    let dst = 0;
    for (let i = 0; i < r; i++) dst += (idx[i]! + pads[i]!) * outStrides[i]!;
    out[dst] = a.data[flat]!;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < a.shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape: outShape, data: out };
}

/** ONNX Gather: picks slices along `axis` by (already non-negative) indices of any shape. */
export function gather(a: NDArray, indices: NDArray, axis: number): NDArray {
  const outShape = [...a.shape.slice(0, axis), ...indices.shape, ...a.shape.slice(axis + 1)];
  const outer = sizeOf(a.shape.slice(0, axis));
  const inner = sizeOf(a.shape.slice(axis + 1));
  const dim = a.shape[axis]!;
  const out = new Float64Array(sizeOf(outShape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (let j = 0; j < indices.data.length; j++) {
      const k = indices.data[j]!;
      const src = (i * dim + k) * inner;
      out.set(a.data.subarray(src, src + inner), o);
      o += inner;
    }
  }
  return { shape: outShape, data: out };
}

/**
 * For a sum over `axes` (negative ones count from the end): the flat index, in the result with
 * the summed axes kept as size 1 (`keptShape`), that each input element adds into.
 */
export function reduceIndex(shape: readonly number[], axes: readonly number[]): { map: Int32Array; keptShape: number[]; reduced: ReadonlySet<number> } {
  const r = shape.length;
  const set = new Set(axes.map((x) => (x < 0 ? x + r : x)));
  const keptShape = shape.map((d, i) => (set.has(i) ? 1 : d));
  const outStrides = stridesOf(keptShape);
  const map = new Int32Array(sizeOf(shape));
  const idx = new Array<number>(r).fill(0);
  for (let flat = 0; flat < map.length; flat++) {
    let dst = 0;
    for (let i = 0; i < r; i++) if (!set.has(i)) dst += idx[i]! * outStrides[i]!;
    map[flat] = dst;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { map, keptShape, reduced: set };
}

/** Sum over `axes`; keeps reduced axes as size 1 when `keepDims`. */
export function reduceSum(a: NDArray, axes: readonly number[], keepDims: boolean): NDArray {
  const { map, keptShape, reduced } = reduceIndex(a.shape, axes);
  const out = new Float64Array(sizeOf(keptShape));
  for (let flat = 0; flat < a.data.length; flat++) out[map[flat]!] = out[map[flat]!]! + a.data[flat]!;
  const shape = keepDims ? keptShape : a.shape.filter((_, i) => !reduced.has(i));
  return { shape, data: out };
}
