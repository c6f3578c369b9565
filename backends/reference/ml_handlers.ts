// Reference semantics of the `onnx_ml` ops (scikit-learn's and onnxmltools' `ai.onnx.ml`
// operators), written to agree with onnxruntime, including its forms for binary classifiers: a
// LinearClassifier with one coefficient row returns [1 − p, p] (p = s, or σ(s) with LOGISTIC); a TreeEnsembleClassifier whose
// weights all go to one class returns [1 − p, p] (weights ≥ 0) or [−s, s] / logistic of both
// (mixed signs). Single-target tree regressors ignore LOGISTIC/SOFTMAX, as onnxruntime does.
import { labelEncoderMap, linearParams, type PostTransform, postTransform, classLabels, perFeature } from "../../ir/dialects/onnx_ml.js";
import { parseTreeEnsemble, takesTrueBranch, type TreeEnsemble } from "../../ir/dialects/tree_ensemble.js";
import type { NDArray } from "../../ir/tensor.js";
import { type Handler, type HandlerContext, ReferenceError } from "./handlers.js";

const logistic = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** The post transform of one row of scores, in place. */
export function applyPostTransform(row: Float64Array, post: PostTransform): void {
  if (post === "NONE") return;
  if (post === "LOGISTIC") {
    for (let i = 0; i < row.length; i++) row[i] = logistic(row[i]!);
    return;
  }
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    // SOFTMAX_ZERO leaves (near-)zero scores out of the sum and scales them instead.
    if (post === "SOFTMAX_ZERO" && Math.abs(row[i]!) <= 1e-7) {
      row[i] = row[i]! * Math.exp(-max);
      continue;
    }
    row[i] = Math.exp(row[i]! - max);
    sum += row[i]!;
  }
  for (let i = 0; i < row.length; i++) row[i] = row[i]! / sum;
}

const rowsOf = (x: NDArray) => ({ n: x.shape[0]!, f: x.shape[1]! });

function firstArgMax(row: ArrayLike<number>, eligible?: (k: number) => boolean): number {
  let best = -1;
  for (let k = 0; k < row.length; k++) {
    if (eligible && !eligible(k)) continue;
    if (best < 0 || row[k]! > row[best]!) best = k;
  }
  return best;
}

function linearClassifier([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const { n, f } = rowsOf(x!);
  const labels = classLabels(ctx.attrs, "classlabels_ints");
  const post = postTransform(ctx.attrs);
  const { coef, intercepts, rows } = linearParams(ctx.attrs, f, undefined);
  const cols = ctx.outTypes[1]!.shape[1] as number;
  const y = new Float64Array(n);
  const z = new Float64Array(n * cols);
  const s = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rows; r++) {
      let acc = intercepts[r]!;
      for (let j = 0; j < f; j++) acc += x!.data[i * f + j]! * coef[r * f + j]!;
      s[r] = acc;
    }
    if (rows === 1) {
      const two = labels.length === 2;
      y[i] = s[0]! > 0 ? (two ? labels[1]! : 1) : two ? labels[0]! : 0;
      // onnxruntime: LOGISTIC (only) applies to the single score, then [1 − p, p].
      const p = post === "LOGISTIC" ? logistic(s[0]!) : s[0]!;
      if (cols === 2) z.set([1 - p, p], i * 2);
      else z[i] = p;
      continue;
    }
    y[i] = labels[firstArgMax(s)]!;
    const row = Float64Array.from(s);
    applyPostTransform(row, post);
    z.set(row, i * cols);
  }
  return [
    { shape: [n], data: y },
    { shape: [n, cols], data: z },
  ];
}

function linearRegressor([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const { n, f } = rowsOf(x!);
  const { coef, intercepts, rows } = linearParams(ctx.attrs, f, ctx.attrs.int("targets"));
  const out = new Float64Array(n * rows);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rows; r++) {
      let acc = intercepts[r]!;
      for (let j = 0; j < f; j++) acc += x!.data[i * f + j]! * coef[r * f + j]!;
      out[i * rows + r] = acc;
    }
  }
  return [{ shape: [n, rows], data: out }];
}

// ---- tree ensembles -----------------------------------------------------------------------

type Aggregate = "SUM" | "AVERAGE" | "MIN" | "MAX";

/** Walks every tree for one row; per output: the aggregated weight and whether any leaf gave one. */
export function aggregateTrees(ens: TreeEnsemble, x: ArrayLike<number>, aggregate: Aggregate): { score: Float64Array; has: Uint8Array } {
  const score = new Float64Array(ens.outputs);
  const has = new Uint8Array(ens.outputs);
  for (const root of ens.roots) {
    let node = ens.nodes[root]!;
    while (node.mode !== "LEAF") node = ens.nodes[takesTrueBranch(node, x[node.feature]!) ? node.trueChild : node.falseChild]!;
    for (const { output, weight } of node.weights) {
      const prev = score[output]!;
      if (aggregate === "MIN") score[output] = has[output] && prev <= weight ? prev : weight;
      else if (aggregate === "MAX") score[output] = has[output] && prev >= weight ? prev : weight;
      else score[output] = prev + weight;
      has[output] = 1;
    }
  }
  return { score, has };
}

function treeRegressor([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const { n, f } = rowsOf(x!);
  const targets = ctx.attrs.int("n_targets");
  const ens = parseTreeEnsemble(ctx.attrs, { classifier: false, features: f, outputs: targets });
  const aggregate = ctx.attrs.str("aggregate_function") as Aggregate;
  const post = postTransform(ctx.attrs);
  const out = new Float64Array(n * targets);
  const trees = ens.roots.length;
  for (let i = 0; i < n; i++) {
    const { score, has } = aggregateTrees(ens, x!.data.subarray(i * f, (i + 1) * f), aggregate);
    for (let k = 0; k < targets; k++) {
      let v = aggregate === "AVERAGE" ? score[k]! / trees : has[k] ? score[k]! : 0;
      if (ens.base.length === targets) v += ens.base[k]!;
      score[k] = v;
    }
    // onnxruntime applies the post transform to two or more targets only.
    if (targets >= 2) applyPostTransform(score, post);
    out.set(score, i * targets);
  }
  return [{ shape: [n, targets], data: out }];
}

/** onnxruntime's binary classifier: one weight column becomes two outputs; the form depends on the weights' signs. */
function binaryScores(ens: TreeEnsemble, labels: readonly number[], post: PostTransform, score: Float64Array, has: Uint8Array): { label: number; z: number[] } {
  let p0 = score[0]!;
  let p1 = score[1]!;
  let has1 = has[1]! === 1;
  let single = false;
  let form = -1;
  const b = ens.base;
  if (b.length === 2) {
    if (has1) {
      p1 = b[1]! + p0;
      p0 = -p1;
    } else {
      p1 += b[1]!;
      p0 += b[0]!;
    }
  } else if (b.length === 1) {
    p0 += b[0]!;
    single = !has1;
  } else {
    form = 3;
    single = !has1;
  }
  const pos = !single && has1 ? p1 : has[0] ? p0 : 0;
  let label: number;
  const binaryCase = ens.weighted.size === 1;
  if (binaryCase) {
    if (ens.weightsNonNegative) {
      form = pos > 0.5 ? 0 : 1;
      label = pos > 0.5 ? labels[1]! : labels[0]!;
    } else {
      form = pos > 0 ? 2 : 3;
      label = pos > 0 ? labels[1]! : labels[0]!;
    }
  } else {
    label = pos > 0 ? 1 : 0;
  }
  if (!single) {
    const row = Float64Array.of(p0, p1);
    applyPostTransform(row, post);
    return { label, z: [...row] };
  }
  if (form === 0 || form === 1) return { label, z: [1 - p0, p0] };
  if (form === 2 || form === 3) return { label, z: post === "LOGISTIC" ? [logistic(-p0), logistic(p0)] : [-p0, p0] };
  throw new ReferenceError("binary TreeEnsembleClassifier: onnxruntime leaves the second score undefined for this combination of base_values and weights");
}

function treeClassifier([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const { n, f } = rowsOf(x!);
  const labels = classLabels(ctx.attrs, "classlabels_int64s");
  const c = labels.length;
  const ens = parseTreeEnsemble(ctx.attrs, { classifier: true, features: f, outputs: c });
  const post = postTransform(ctx.attrs);
  const y = new Float64Array(n);
  const z = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const { score, has } = aggregateTrees(ens, x!.data.subarray(i * f, (i + 1) * f), "SUM");
    if (c === 2) {
      const r = binaryScores(ens, labels, post, score, has);
      y[i] = r.label;
      z.set(r.z, i * 2);
      continue;
    }
    ens.base.forEach((b, k) => {
      score[k] = has[k] ? score[k]! + b : b;
      has[k] = 1;
    });
    const best = firstArgMax(score, (k) => has[k] === 1);
    if (best < 0) throw new ReferenceError("TreeEnsembleClassifier: no class received a weight for this row");
    y[i] = labels[best]!;
    applyPostTransform(score, post);
    z.set(score, i * c);
  }
  return [
    { shape: [n], data: y },
    { shape: [n, c], data: z },
  ];
}

// ---- preprocessing ------------------------------------------------------------------------

function perColumn(x: NDArray, f: (v: number, col: number) => number): NDArray {
  const cols = x.shape[x.shape.length - 1]!;
  return { shape: [...x.shape], data: Float64Array.from(x.data, (v, i) => f(v, i % cols)) };
}

function normalizer([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const { n, f } = rowsOf(x!);
  const norm = ctx.attrs.str("norm");
  const out = Float64Array.from(x!.data);
  for (let i = 0; i < n; i++) {
    const row = out.subarray(i * f, (i + 1) * f);
    let d: number;
    if (norm === "MAX") d = row.reduce((m, v) => Math.max(m, v), -Infinity);
    else if (norm === "L1") d = row.reduce((s, v) => s + Math.abs(v), 0);
    else d = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
    if (d !== 0) for (let j = 0; j < f; j++) row[j] = row[j]! / d;
  }
  return [{ shape: [n, f], data: out }];
}

function oneHot([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const cats = ctx.attrs.ints("cats_int64s")!;
  const at = new Map(cats.map((c, k) => [c, k]));
  const strict = ctx.attrs.int("zeros") === 0;
  const out = new Float64Array(x!.data.length * cats.length);
  x!.data.forEach((v, i) => {
    const k = at.get(Math.trunc(v));
    if (k === undefined) {
      if (strict) throw new ReferenceError(`OneHotEncoder: ${v} is not one of the categories (zeros = 0)`);
      return;
    }
    out[i * cats.length + k] = 1;
  });
  return [{ shape: [...x!.shape, cats.length], data: out }];
}

function arrayFeatureExtractor([x, idx]: readonly NDArray[]): NDArray[] {
  const cols = x!.shape[x!.shape.length - 1]!;
  const k = idx!.data.length;
  idx!.data.forEach((j) => {
    if (j < 0 || j >= cols) throw new ReferenceError(`ArrayFeatureExtractor: index ${j} is out of range for ${cols} columns`);
  });
  const rows = x!.data.length / cols;
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) out[r * k + j] = x!.data[r * cols + idx!.data[j]!]!;
  return [{ shape: [...x!.shape.slice(0, -1), k], data: out }];
}

function labelEncoder([x]: readonly NDArray[], ctx: HandlerContext): NDArray[] {
  const { keys, values, fallback } = labelEncoderMap(ctx.attrs);
  const map = new Map(keys.map((k, i) => [k, values[i]!]));
  return [{ shape: [...x!.shape], data: Float64Array.from(x!.data, (v) => map.get(v) ?? fallback) }];
}

export const ML_HANDLERS: Readonly<Record<string, Handler>> = {
  "onnx_ml.LinearClassifier": linearClassifier,
  "onnx_ml.LinearRegressor": linearRegressor,
  "onnx_ml.TreeEnsembleRegressor": treeRegressor,
  "onnx_ml.TreeEnsembleClassifier": treeClassifier,
  "onnx_ml.Scaler": ([x], ctx) => {
    const f = x!.shape[1]!;
    const offset = perFeature(ctx.attrs.floats("offset"), f, "offset", 0);
    const scale = perFeature(ctx.attrs.floats("scale"), f, "scale", 1);
    return [perColumn(x!, (v, j) => (v - offset[j]!) * scale[j]!)];
  },
  "onnx_ml.Normalizer": normalizer,
  "onnx_ml.Binarizer": ([x], ctx) => {
    const t = ctx.attrs.float("threshold");
    return [{ shape: [...x!.shape], data: Float64Array.from(x!.data, (v) => (v > t ? 1 : 0)) }];
  },
  "onnx_ml.Imputer": ([x], ctx) => {
    const isInt = ctx.inTypes[0]!.element.kind === "int";
    const f = x!.shape[1]!;
    const values = perFeature(isInt ? ctx.attrs.ints("imputed_value_int64s") : ctx.attrs.floats("imputed_value_floats"), f, "imputed values", 0);
    const replaced = isInt ? ctx.attrs.int("replaced_value_int64") : ctx.attrs.float("replaced_value_float");
    const hit = (v: number) => v === replaced || (Number.isNaN(replaced) && Number.isNaN(v));
    return [perColumn(x!, (v, j) => (hit(v) ? values[j]! : v))];
  },
  "onnx_ml.OneHotEncoder": oneHot,
  "onnx_ml.ArrayFeatureExtractor": arrayFeatureExtractor,
  "onnx_ml.LabelEncoder": labelEncoder,
};
