// ml-expand: rewrites `onnx_ml` ops into `onnx` ops that quantization already lowers, before
// calibration (so every new value gets its calibrated range):
//   - linear models → Gemm (the integer matmul; scales fold into it);
//   - Scaler → Sub + Mul by constants (folds into the input quantizers and the next matmul);
//   - tree ensembles → the GEMM form of trees.ts: comparisons, leaf selection, weighted sums;
//   - post transforms → Sigmoid / Softmax, and labels → ArgMax (+ Gather of the class labels):
//     trailing, so they run on the client after decryption;
//   - Binarizer, Imputer, OneHotEncoder, ArrayFeatureExtractor, LabelEncoder → comparisons,
//     selections and data movement.
// Normalizer stays as it is: it runs on the client (after decryption) like Softmax (client_tail.ts).
// The expanded graph computes what the reference interpreter computes on the `onnx_ml` op (the
// tests compare both), except where onnxruntime's own binary quirks are reproduced by the chosen
// matrices rather than by ops.
import { type Attribute, denseAttr, intAttr, intsAttr, typeAttr } from "../../ir/attributes.js";
import { Builder } from "../../ir/builder.js";
import type { FuncOp, Operation, Value } from "../../ir/core.js";
import { fail } from "../../ir/diagnostics.js";
import { inferOnnx, onnxDecl } from "../../ir/dialects/onnx.js";
import { attrsOf } from "../../ir/dialects/onnx_decls.js";
import { classLabels, labelEncoderMap, linearParams, type PostTransform, perFeature, postTransform } from "../../ir/dialects/onnx_ml.js";
import { parseTreeEnsemble, type TreeEnsemble } from "../../ir/dialects/tree_ensemble.js";
import { type ElementType, elementOf, f32, i64, shapeOf, tensor, typeEquals } from "../../ir/types.js";
import { countingPass, type Pass } from "../pass.js";
import { gemmTrees } from "./trees.js";

/** Creates `onnx.*` ops before an anchor, with result types from the dialect's inference rule. */
class OnnxWriter {
  private readonly b: Builder;
  constructor(
    private readonly anchor: Operation,
    private readonly hint: string,
  ) {
    this.b = Builder.before(anchor);
  }

  get loc() {
    return this.anchor.loc;
  }

  op(type: string, operands: readonly Value[], attrs: Record<string, Attribute> = {}, name?: string): Value {
    const decl = onnxDecl(type)!;
    const types = inferOnnx(decl, operands.map((v) => v.type), new Map(Object.entries(attrs)));
    if (typeof types === "string") return fail("E0601", `ml-expand: ${type}: ${types}`, this.anchor.loc, this.anchor.name);
    return this.b.create(`onnx.${type}`, operands, types, attrs, { loc: this.anchor.loc, names: [`${this.hint}_${name ?? type.toLowerCase()}`] }).result;
  }

  constant(shape: readonly number[], data: ArrayLike<number>, element: ElementType = f32, name = "const"): Value {
    const value = denseAttr(tensor(shape, element), data);
    return this.b.create("onnx.Constant", [], [value.type], { value }, { loc: this.anchor.loc, names: [`${this.hint}_${name}`] }).result;
  }

  /** x · W + bias, W given as [in × out] row-major. */
  affine(x: Value, w: ArrayLike<number>, rows: number, cols: number, bias: ArrayLike<number> | undefined, name: string): Value {
    const el = elementOf(x.type);
    const args = [x, this.constant([rows, cols], w, el, `${name}_w`)];
    if (bias) args.push(this.constant([cols], bias, el, `${name}_b`));
    return this.op("Gemm", args, {}, name);
  }

  castTo(x: Value, e: ElementType, name?: string): Value {
    return this.op("Cast", [x], { to: typeAttr(e) }, name);
  }

  /** The post transform of scores [N, C] along axis 1 (client side when trailing). */
  post(scores: Value, post: PostTransform): Value {
    switch (post) {
      case "NONE":
        return scores;
      case "LOGISTIC":
        return this.op("Sigmoid", [scores]);
      case "SOFTMAX":
        return this.op("Softmax", [scores], { axis: intAttr(1) });
      case "SOFTMAX_ZERO": {
        // Softmax over the scores that are not (near) zero; those give 0.
        const p = this.op("Softmax", [scores], { axis: intAttr(1) });
        const nonzero = this.castTo(this.op("Greater", [this.op("Abs", [scores]), this.constant([], [1e-7], elementOf(scores.type), "eps")]), elementOf(scores.type), "nonzero");
        const kept = this.op("Mul", [p, nonzero], {}, "kept");
        const sum = this.op("ReduceSum", [kept], { axes: intsAttr([1]), keepdims: intAttr(1) }, "sum");
        return this.op("Div", [kept, sum], {}, "softmax_zero");
      }
    }
  }

  /** labels[ArgMax(scores)] as int64 [N] (the ArgMax alone when labels are 0…C−1). */
  label(scores: Value, labels: readonly number[]): Value {
    const idx = this.op("ArgMax", [scores], { axis: intAttr(1), keepdims: intAttr(0) }, "argmax");
    if (labels.every((l, i) => l === i)) return idx;
    return this.op("Gather", [this.constant([labels.length], labels, i64, "labels"), idx], { axis: intAttr(0) }, "label");
  }
}

function features(x: Value): number {
  return shapeOf(x.type)[1] as number;
}

/** Row-major transpose of [rows × cols]. */
function transposed(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

function expandLinearClassifier(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const f = features(x);
  const labels = classLabels(a, "classlabels_ints");
  const post = postTransform(a);
  const { coef, intercepts, rows } = linearParams(a, f, undefined);
  if (rows === 1) {
    // onnxruntime: one row and two labels give [1 − p, p] (p = s, or σ(s) with LOGISTIC) and the
    // label of s > 0: scores [−s, s] decide the label, and give [1 − σ(s), σ(s)] as σ([−s, s]).
    if (labels.length !== 2) fail("E0601", `LinearClassifier with one coefficient row needs two class labels, got ${labels.length}`, op.loc, op.name);
    const both = Float64Array.from([...coef.map((v) => -v), ...coef]);
    const signed = w.affine(x, transposed(both, 2, f), f, 2, [-intercepts[0]!, intercepts[0]!], "scores");
    const z = post === "LOGISTIC" ? w.op("Sigmoid", [signed]) : w.op("Add", [signed, w.constant([2], [1, 0], elementOf(signed.type), "one_zero")], {}, "one_minus");
    return [w.label(signed, labels), z];
  }
  const scores = w.affine(x, transposed(coef, rows, f), f, rows, intercepts, "scores");
  return [w.label(scores, labels), w.post(scores, post)];
}

function expandLinearRegressor(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const f = features(x);
  const { coef, intercepts, rows } = linearParams(a, f, a.int("targets"));
  return [w.affine(x, transposed(coef, rows, f), f, rows, intercepts, "regression")];
}

// ---- trees ----------------------------------------------------------------------------------

/** The leaf indicator [N, leaves] of every tree, from comparisons against the thresholds. */
function reachedLeaves(x: Value, ens: TreeEnsemble, w: OnnxWriter) {
  const el = elementOf(x.type);
  const width = el.kind === "float" && el.width === 64 ? 64 : 32;
  const g = gemmTrees(ens, width);
  const f = features(x);
  const j = g.features.length;
  const l = g.leaves.length;
  if (j === 0) fail("E0601", "the tree ensemble makes no comparison (every tree is a single leaf): a constant model has nothing to compute on encrypted data", w.loc, "onnx_ml");
  const select = new Float64Array(f * j);
  g.features.forEach((feat, k) => (select[feat * j + k] = 1));
  const picked = w.op("MatMul", [x, w.constant([f, j], select, el, "select")], {}, "features");
  const c = w.castTo(w.op("LessOrEqual", [picked, w.constant([j], g.thresholds, el, "thresholds")], {}, "decisions"), el, "decided");
  const agree = w.op("MatMul", [c, w.constant([j, l], g.paths, el, "paths")], {}, "agreement");
  // The agreement never exceeds the leaf's target (each decision adds at most 1), so "reached" is
  // agreement ≥ target: a step, which the comparisons pass lowers to a 1–2-bit table like the
  // threshold comparisons (an equality would be a bump, read by a wider table).
  const reached = w.castTo(w.op("GreaterOrEqual", [agree, w.constant([l], g.targets, el, "depths")], {}, "on_path"), el, "reached");
  return { g, reached };
}

/** Leaf weights as [leaves × outputs]; `tree` restricts to one tree's leaves. */
function leafMatrix(ens: TreeEnsemble, leaves: readonly number[], leafTree: readonly number[], scale: number, tree?: number): Float64Array {
  const e = new Float64Array(leaves.length * ens.outputs);
  leaves.forEach((node, l) => {
    if (tree !== undefined && leafTree[l] !== tree) return;
    for (const { output, weight } of ens.nodes[node]!.weights) e[l * ens.outputs + output] += weight * scale;
  });
  return e;
}

function expandTreeRegressor(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const targets = a.int("n_targets");
  const ens = parseTreeEnsemble(a, { classifier: false, features: features(x), outputs: targets });
  const aggregate = a.str("aggregate_function");
  const post = postTransform(a);
  const el = elementOf(x.type);
  const { g, reached } = reachedLeaves(x, ens, w);
  const l = g.leaves.length;
  const base = ens.base.length === targets ? ens.base : new Array<number>(targets).fill(0);
  let out: Value;
  if (aggregate === "SUM" || aggregate === "AVERAGE") {
    const scale = aggregate === "AVERAGE" ? 1 / ens.roots.length : 1;
    out = w.affine(reached, leafMatrix(ens, g.leaves, g.leafTree, scale), l, targets, base, "aggregate");
  } else {
    // MIN/MAX: one weighted sum per tree, then pairwise Max/Min (every leaf must weigh every target).
    g.leaves.forEach((node) => {
      const have = new Set(ens.nodes[node]!.weights.map((wt) => wt.output));
      if (have.size !== targets) fail("E0601", `TreeEnsembleRegressor ${aggregate}: leaf ${ens.nodes[node]!.id} of tree ${ens.nodes[node]!.tree} has no weight for some target; compiled ${aggregate} needs a weight for every target at every leaf`, op.loc, op.name);
    });
    const perTree = ens.roots.map((_, t) => w.affine(reached, leafMatrix(ens, g.leaves, g.leafTree, 1, t), l, targets, undefined, `tree${t}`));
    out = perTree.reduce((acc, v) => w.op(aggregate === "MAX" ? "Max" : "Min", [acc, v], {}, "aggregate"));
    if (base.some((b) => b !== 0)) out = w.op("Add", [out, w.constant([targets], base, el, "base")], {}, "based");
  }
  // onnxruntime applies the post transform to two or more targets only.
  return [targets >= 2 ? w.post(out, post) : out];
}

function expandTreeClassifier(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const labels = classLabels(a, "classlabels_int64s");
  const c = labels.length;
  const ens = parseTreeEnsemble(a, { classifier: true, features: features(x), outputs: c });
  const post = postTransform(a);
  const { g, reached } = reachedLeaves(x, ens, w);
  const l = g.leaves.length;
  const e = leafMatrix(ens, g.leaves, g.leafTree, 1);
  const unsupported = (why: string): never => fail("E0601", `TreeEnsembleClassifier: ${why} is not supported by the compiler (the reference interpreter evaluates it)`, op.loc, op.name);
  if (c > 2) {
    for (let k = 0; k < c; k++) if (!ens.weighted.has(k) && ens.base.length <= k) unsupported(`class ${k} without any weight or base value`);
    const base = Array.from({ length: c }, (_, k) => ens.base[k] ?? 0);
    const scores = w.affine(reached, e, l, c, base, "scores");
    return [w.label(scores, labels), w.post(scores, post)];
  }
  if (ens.weighted.size === 1 && ens.weighted.has(0) && ens.base.length <= 1) {
    // onnxruntime's binary form: one weight column s (+ base). Weights ≥ 0: [1 − s, s], label s > 0.5;
    // mixed signs: [−s, s] (LOGISTIC: σ of both), label s > 0.
    const b = ens.base[0] ?? 0;
    const signed = new Float64Array(l * 2);
    for (let i = 0; i < l; i++) {
      signed[i * 2] = -e[i * 2]!;
      signed[i * 2 + 1] = e[i * 2]!;
    }
    if (ens.weightsNonNegative) {
      const z = w.affine(reached, signed, l, 2, [1 - b, b], "scores");
      return [w.label(z, labels), z];
    }
    const s = w.affine(reached, signed, l, 2, [-b, b], "scores");
    return [w.label(s, labels), post === "LOGISTIC" ? w.op("Sigmoid", [s]) : s];
  }
  if (ens.weighted.size === 2 && ens.base.length === 0) {
    // Both columns weighted: the two scores with the post transform; onnxruntime's label is 1
    // when the second score is > 0 (0 otherwise), whatever the class labels.
    const scores = w.affine(reached, e, l, 2, [0, 0], "scores");
    const second = new Float64Array(l * 2);
    for (let i = 0; i < l; i++) second[i * 2 + 1] = e[i * 2 + 1]!;
    const decide = w.affine(reached, second, l, 2, [0, 0], "decide");
    return [w.label(decide, [0, 1]), w.post(scores, post)];
  }
  return unsupported(`a binary model with weights for classes {${[...ens.weighted].join(", ")}} and ${ens.base.length} base values`);
}

// ---- preprocessing ----------------------------------------------------------------------------

function expandScaler(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const f = features(x);
  const el = elementOf(x.type);
  const shifted = w.op("Sub", [x, w.constant([f], perFeature(a.floats("offset"), f, "offset", 0), el, "offset")], {}, "shifted");
  return [w.op("Mul", [shifted, w.constant([f], perFeature(a.floats("scale"), f, "scale", 1), el, "scale")], {}, "scaled")];
}

function expandImputer(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const f = features(x);
  const el = elementOf(x.type);
  const isInt = el.kind === "int";
  const replaced = isInt ? a.int("replaced_value_int64") : a.float("replaced_value_float");
  // fhec refuses NaN inputs: replacing NaN never changes an accepted value.
  if (Number.isNaN(replaced)) return [w.op("Identity", [x])];
  const values = perFeature(isInt ? a.ints("imputed_value_int64s") : a.floats("imputed_value_floats"), f, "imputed values", 0);
  // x + (v − r)·[x = r]: a sum of x and a comparison of x.
  const hit = w.castTo(w.op("Equal", [x, w.constant([], [replaced], el, "replaced")]), el, "hit");
  const delta = w.op("Mul", [hit, w.constant([f], values.map((v) => v - replaced), el, "delta")], {}, "delta");
  return [w.op("Add", [x, delta], {}, "imputed")];
}

function expandOneHot(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const cats = a.ints("cats_int64s")!;
  const el = elementOf(x.type);
  const r = shapeOf(x.type).length;
  // C copies of x along a new last axis, compared elementwise with the categories.
  const col = w.op("Unsqueeze", [x], { axes: intsAttr([r]) }, "column");
  const copies = cats.length === 1 ? col : w.op("Concat", new Array<Value>(cats.length).fill(col), { axis: intAttr(r) }, "copies");
  const eq = w.op("Equal", [copies, w.constant([cats.length], cats, el, "categories")], {}, "is_category");
  return [w.castTo(eq, f32, "one_hot")];
}

function expandLabelEncoder(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const { keys, values, intValues, fallback } = labelEncoderMap(a);
  const el = elementOf(x.type);
  const out = intValues ? i64 : f32;
  // default, then one Where per key (the first key wins, as in a map).
  let y = w.op("Add", [w.op("Mul", [w.castTo(x, out, "as_out"), w.constant([], [0], out, "zero")]), w.constant([], [fallback], out, "default")], {}, "default");
  for (let k = keys.length - 1; k >= 0; k--) {
    const hit = w.op("Equal", [x, w.constant([], [keys[k]!], el, `key${k}`)], {}, `is_key${k}`);
    y = w.op("Where", [hit, w.constant([], [values[k]!], out, `value${k}`), y], {}, `mapped${k}`);
  }
  return [y];
}

function expandBinarizer(op: Operation, w: OnnxWriter): Value[] {
  const a = attrsOf(op.name, op.attributes);
  const x = op.operands[0]!;
  const el = elementOf(x.type);
  return [w.castTo(w.op("Greater", [x, w.constant([], [a.float("threshold")], el, "threshold")]), el, "binary")];
}

function expandArrayFeatureExtractor(op: Operation, w: OnnxWriter): Value[] {
  const [x, idx] = op.operands;
  const r = shapeOf(x!.type).length;
  const flat = w.op("Reshape", [idx!], { shape: intsAttr([-1]) }, "indices");
  return [w.op("Gather", [x!, flat], { axis: intAttr(r - 1) }, "extracted")];
}

const EXPANSIONS: Readonly<Record<string, (op: Operation, w: OnnxWriter) => Value[]>> = {
  "onnx_ml.LinearClassifier": expandLinearClassifier,
  "onnx_ml.LinearRegressor": expandLinearRegressor,
  "onnx_ml.TreeEnsembleRegressor": expandTreeRegressor,
  "onnx_ml.TreeEnsembleClassifier": expandTreeClassifier,
  "onnx_ml.Scaler": expandScaler,
  "onnx_ml.Imputer": expandImputer,
  "onnx_ml.OneHotEncoder": expandOneHot,
  "onnx_ml.LabelEncoder": expandLabelEncoder,
  "onnx_ml.Binarizer": expandBinarizer,
  "onnx_ml.ArrayFeatureExtractor": expandArrayFeatureExtractor,
};

/** Rewrites every expandable `onnx_ml` op of the function; returns how many. */
export function expandMlOps(func: FuncOp): number {
  let count = 0;
  for (const op of [...func.body.ops]) {
    const expand = EXPANSIONS[op.name];
    if (!expand) continue;
    const hint = op.results[0]?.nameHint ?? "ml";
    const w = new OnnxWriter(op, hint);
    const values = expand(op, w);
    op.results.forEach((r, i) => {
      const v = values[i]!;
      // Keep the declared element type (a double-input tree still returns f32 scores).
      const want = elementOf(r.type);
      r.replaceAllUsesWith(typeEquals(elementOf(v.type), want) ? v : w.castTo(v, want, "cast"));
    });
    op.erase();
    count++;
  }
  return count;
}

export const mlExpandPass: Pass = countingPass({
  name: "ml-expand",
  summary: "Rewrites ai.onnx.ml ops (linear models, trees, scalers, …) into onnx ops the quantizer lowers; Normalizer stays for the client",
  counted: "expanded",
  rewrite: (module) => module.funcs.reduce((n, f) => n + expandMlOps(f), 0),
});
