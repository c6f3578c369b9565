// Calibration ranges of tree features narrowed to the thresholds they are compared with.
//
// A feature that reaches the circuit only through a one-hot selection (MatMul by a constant whose
// column holds a single 1) compared against constants matters only by the side of each threshold
// it falls on. Clamping it to [lo', hi'] with lo' below its lowest threshold and hi' above its
// highest keeps every decision for every input, while the input codes only have to resolve that
// span instead of the whole data range: fewer input bits, and each comparison clears fewer bits.
// lo' is the largest calibration value below the lowest threshold (hi' the smallest above the
// highest), so the data grid detected by calibration (measurements to 0.1, …) still holds.
import { asFloats, arrayAttr, floatsAttr } from "../ir/attributes.js";
import type { FuncOp, Operation, Value } from "../ir/core.js";
import type { NDArray } from "../ir/tensor.js";
import { shapeOf } from "../ir/types.js";
import type { InputQuantizer } from "./codec.js";

const COMPARISONS = new Set(["onnx.Less", "onnx.LessOrEqual", "onnx.Greater", "onnx.GreaterOrEqual"]);

function constantOf(v: Value): NDArray | undefined {
  const def = v.definingOp;
  if (def?.name !== "onnx.Constant") return undefined;
  const d = def.attr("value") as { data: Float64Array } | undefined;
  return d ? { shape: [...(shapeOf(v.type) as number[])], data: d.data } : undefined;
}

/** The thresholds of a selection's comparisons, per selected column; undefined if the selection feeds anything else. */
function columnThresholds(selection: Value, columns: number): number[][] | undefined {
  const out = Array.from({ length: columns }, () => [] as number[]);
  for (const { op, index } of selection.uses) {
    if (!COMPARISONS.has(op.name) || index !== 0) return undefined;
    const t = constantOf(op.operands[1]!);
    if (!t || (t.data.length !== columns && t.data.length !== 1)) return undefined;
    for (let c = 0; c < columns; c++) out[c]!.push(t.data[t.data.length === 1 ? 0 : c]!);
  }
  return out;
}

/**
 * Per feature of a rank-2 argument, the thresholds it is compared with, or undefined when some
 * use of the argument is not a one-hot selection into comparisons against constants.
 */
export function featureThresholds(arg: Value): number[][] | undefined {
  const shape = shapeOf(arg.type);
  if (shape.length !== 2 || shape[1] === null) return undefined;
  const features = shape[1]!;
  const out = Array.from({ length: features }, () => [] as number[]);
  for (const { op, index } of arg.uses as { op: Operation; index: number }[]) {
    if (op.name !== "onnx.MatMul" || index !== 0) return undefined;
    const a = constantOf(op.operands[1]!);
    if (!a || a.shape.length !== 2 || a.shape[0] !== features) return undefined;
    const columns = a.shape[1]!;
    const thresholds = columnThresholds(op.result, columns);
    if (!thresholds) return undefined;
    for (let c = 0; c < columns; c++) {
      const hot: number[] = [];
      for (let f = 0; f < features; f++) if (a.data[f * columns + c] !== 0) hot.push(f);
      if (hot.length !== 1 || a.data[hot[0]! * columns + c] !== 1) return undefined;
      out[hot[0]!]!.push(...thresholds[c]!);
    }
  }
  return out;
}

/** [lo', hi'] for one feature: the calibration values just outside its threshold span (else its data range). */
export function thresholdSpan(values: ArrayLike<number>, thresholds: readonly number[], lo: number, hi: number): [number, number] {
  if (thresholds.length === 0) return [lo, hi];
  const tMin = Math.min(...thresholds);
  const tMax = Math.max(...thresholds);
  let below = -Infinity;
  let above = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < tMin && v > below) below = v;
    if (v > tMax && v < above) above = v;
  }
  return [below === -Infinity ? lo : below, above === Infinity ? hi : above];
}

/**
 * Narrows `fhec.input_element_ranges` (set by calibration) of every rank-2 argument whose features
 * only feed comparisons to the span of their thresholds. Returns whether any range changed.
 */
export function narrowRangesToThresholds(func: FuncOp, calib: readonly NDArray[]): boolean {
  const attr = func.attributes.get("fhec.input_element_ranges");
  if (attr?.kind !== "array") return false;
  let changed = false;
  const items = attr.items.map((item, i) => {
    const flat = asFloats(item);
    const arg = func.args[i];
    const data = calib[i];
    const thresholds = arg ? featureThresholds(arg) : undefined;
    if (!flat || !data || !thresholds || flat.length !== 2 * thresholds.length) return item;
    const n = data.shape[0]!;
    const per = thresholds.length;
    const next = thresholds.flatMap((t, f) => {
      const column = Float64Array.from({ length: n }, (_, s) => data.data[s * per + f]!);
      return thresholdSpan(column, t, flat[2 * f]!, flat[2 * f + 1]!);
    });
    if (next.every((v, j) => v === flat[j])) return item;
    changed = true;
    return floatsAttr(next);
  });
  if (changed) func.attributes.set("fhec.input_element_ranges", arrayAttr(items));
  return changed;
}

/**
 * Per rank-2 argument, per feature: the smallest distance between a calibration value and a
 * threshold the feature is compared with (Infinity for a feature without thresholds); undefined
 * for an argument that is not only compared. A code that stands for a value nearer to the
 * calibration value than that distance keeps the value on its side of every threshold.
 */
export function thresholdDistances(func: FuncOp, calib: readonly NDArray[]): (Float64Array | undefined)[] {
  return func.args.map((arg, i) => {
    const thresholds = featureThresholds(arg);
    const data = calib[i];
    if (!thresholds || !data) return undefined;
    const n = data.shape[0]!;
    const per = thresholds.length;
    return Float64Array.from(thresholds, (ts, f) => {
      let d = Infinity;
      for (let s = 0; s < n; s++) for (const t of ts) d = Math.min(d, Math.abs(data.data[s * per + f]! - t));
      return d;
    });
  });
}

/**
 * Per argument, per feature: whether every calibration value's code (`codes`, from `quantizers`)
 * stands for a value nearer to it than its nearest threshold is (`distances`, thresholdDistances),
 * so that the code keeps it on its side of every threshold. Codes clamped to the ends are skipped:
 * those values lie outside the thresholds' span. Empty for an argument that is not only compared.
 */
export function featuresResolved(
  quantizers: readonly InputQuantizer[],
  codes: readonly { readonly data: ArrayLike<number> }[],
  calib: readonly NDArray[],
  distances: readonly (Float64Array | undefined)[],
): boolean[][] {
  return quantizers.map((q, i) => {
    const d = distances[i];
    if (!d) return [];
    const error = new Float64Array(d.length);
    const x = calib[i]!.data;
    const at = (v: readonly number[], f: number) => v[v.length === 1 ? 0 : f]!;
    for (let k = 0; k < x.length; k++) {
      const f = k % d.length;
      const code = codes[i]!.data[k]!;
      if (code <= q.qmin || code >= q.qmax) continue;
      error[f] = Math.max(error[f]!, Math.abs(x[k]! - at(q.scale, f) * (code - at(q.zeroPoint, f))));
    }
    return Array.from(d, (dist, f) => error[f]! < dist);
  });
}
