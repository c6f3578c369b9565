// `onnx_ml` dialect: the `ai.onnx.ml` operators that scikit-learn's converter (skl2onnx) and
// onnxmltools write for numeric models, as a 1:1 image in float like the `onnx` dialect. Each op is
// declared the same way (operands, attributes with their ONNX defaults, an inference rule,
// examples); the reference interpreter gives their semantics (onnxruntime's), and the `ml-expand`
// pass rewrites them into `onnx` ops before quantization.
//
// String tensors do not exist in fhec: string class labels, string categories and string keys
// are rejected by the inference rules with a message saying so.
import type { Attribute } from "../attributes.js";
import type { OpDef } from "../opdef.js";
import { type TensorType, f32, i64, tensor, typeToString } from "../types.js";
import { bad, indexTensor, numericTensor, type OnnxAttrs, type OnnxOpDecl, rank, T, toOpDef, x1 } from "./onnx.js";
import { parseTreeEnsemble } from "./tree_ensemble.js";

const I = (value: number): Attribute => ({ kind: "int", value });
const F = (value: number): Attribute => ({ kind: "float", value });
const S = (value: string): Attribute => ({ kind: "string", value });

/** Post transforms fhec evaluates (PROBIT is not supported: onnxruntime's inverse erf is its own approximation). */
export const POST_TRANSFORMS = ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"] as const;
export type PostTransform = (typeof POST_TRANSFORMS)[number];

export function postTransform(a: OnnxAttrs): PostTransform {
  const p = a.str("post_transform");
  if (!(POST_TRANSFORMS as readonly string[]).includes(p)) bad(`post_transform '${p}' is not supported (${POST_TRANSFORMS.join(", ")})`);
  return p as PostTransform;
}

function noStrings(a: OnnxAttrs, name: string, what: string): void {
  if ((a.strs(name) ?? []).length > 0) bad(`${what} are strings (attribute '${name}'); fhec handles numeric tensors only: encode them as integers before fitting`);
}

/** A 2-D [N, F] input (a single row [F] is not supported: batches are 2-D). */
function features(x: TensorType, op: string): number {
  if (rank(x) !== 2) bad(`${op} input must be 2-D [N, features], got ${typeToString(x)}`);
  const f = x.shape[1];
  if (f === null || f === undefined) bad(`${op} needs a static feature dimension`);
  return f;
}

const CLASS_LABELS = {
  classlabels_ints: { kind: "ints", doc: "integer class labels" },
  classlabels_strings: { kind: "array", doc: "string class labels (not supported)" },
} as const;

/** Integer class labels: `classlabels_ints` (linear) or `classlabels_int64s` (trees). */
export function classLabels(a: OnnxAttrs, name: "classlabels_ints" | "classlabels_int64s"): number[] {
  noStrings(a, "classlabels_strings", "class labels");
  const labels = a.ints(name) ?? [];
  if (labels.length === 0) bad(`${name} is empty: the classifier needs its class labels`);
  return labels;
}

// ---- linear models ------------------------------------------------------------------------

/** Coefficient rows of a linear model: [rows, F] in row-major order, checked against F. */
export function linearParams(a: OnnxAttrs, f: number, rowsAttr: number | undefined): { coef: number[]; intercepts: number[]; rows: number } {
  const coef = a.floats("coefficients") ?? [];
  const intercepts = a.floats("intercepts") ?? [];
  const rows = rowsAttr ?? intercepts.length;
  if (rows < 1) bad("the model has no coefficient rows (intercepts is empty)");
  if (coef.length !== rows * f) bad(`coefficients hold ${coef.length} values, expected ${rows} rows × ${f} features`);
  if (intercepts.length !== 0 && intercepts.length !== rows) bad(`intercepts hold ${intercepts.length} values, expected ${rows}`);
  return { coef, intercepts: intercepts.length === 0 ? new Array<number>(rows).fill(0) : intercepts, rows };
}

/** Score columns of a LinearClassifier: one row with two labels gives two columns, as onnxruntime writes them. */
export function linearClassifierColumns(rows: number, labels: number): number {
  if (rows === 1 && labels === 2) return 2;
  if (rows !== labels) bad(`${rows} coefficient rows for ${labels} class labels`);
  return rows;
}

const linearClassifier: OnnxOpDecl = {
  type: "LinearClassifier",
  summary: "Class scores X · coefficientsᵀ + intercepts, the post transform, and the label of the largest score.",
  notes: "integer labels; post_transform NONE, LOGISTIC, SOFTMAX or SOFTMAX_ZERO; one coefficient row with two labels gives [1 − p, p] as onnxruntime does (p = s, or σ(s) with LOGISTIC)",
  inputs: [x1("X")],
  outputs: [
    { name: "Y", type: indexTensor },
    { name: "Z", type: numericTensor },
  ],
  attrs: {
    coefficients: { kind: "floats", doc: "weights, [classes × features] row-major", required: true },
    intercepts: { kind: "floats", doc: "one per class" },
    multi_class: { kind: "int", doc: "informative only (onnxruntime ignores it)", default: I(0) },
    post_transform: { kind: "string", doc: "NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO", default: S("NONE") },
    ...CLASS_LABELS,
  },
  infer: (ins, a) => {
    const x = ins[0]!;
    const f = features(x, "LinearClassifier");
    postTransform(a);
    const labels = classLabels(a, "classlabels_ints");
    const { rows } = linearParams(a, f, undefined);
    const cols = linearClassifierColumns(rows, labels.length);
    return [tensor([x.shape[0]!], i64), tensor([x.shape[0]!, cols], f32)];
  },
  ok: { ins: [T("?x2")], out: [T("?", "i64"), T("?x2")], attrs: "{classlabels_ints = [0, 1], coefficients = [1.0, 2.0, -1.0, 0.5], intercepts = [0.0, 1.0]}" },
  error: {
    ins: [T("?x2")],
    out: [T("?", "i64"), T("?x2")],
    attrs: "{classlabels_ints = [0, 1], coefficients = [1.0, 2.0, -1.0], intercepts = [0.0, 1.0]}",
    message: "coefficients hold 3 values, expected 2 rows × 2 features",
  },
};

const linearRegressor: OnnxOpDecl = {
  type: "LinearRegressor",
  summary: "X · coefficientsᵀ + intercepts, one column per target.",
  notes: "post_transform NONE",
  inputs: [x1("X")],
  outputs: [{ name: "Y", type: numericTensor }],
  attrs: {
    coefficients: { kind: "floats", doc: "weights, [targets × features] row-major", required: true },
    intercepts: { kind: "floats", doc: "one per target" },
    targets: { kind: "int", doc: "number of targets (default 1)", default: I(1) },
    post_transform: { kind: "string", doc: "NONE", default: S("NONE") },
  },
  infer: (ins, a) => {
    const x = ins[0]!;
    const f = features(x, "LinearRegressor");
    if (a.str("post_transform") !== "NONE") bad(`LinearRegressor post_transform '${a.str("post_transform")}' is not supported (NONE)`);
    const { rows } = linearParams(a, f, a.int("targets"));
    return [tensor([x.shape[0]!, rows], f32)];
  },
  ok: { ins: [T("?x2")], out: T("?x1"), attrs: "{coefficients = [1.0, 2.0], intercepts = [0.5]}" },
  error: { ins: [T("?x2")], out: T("?x1"), attrs: "{coefficients = [1.0], intercepts = [0.5]}", message: "coefficients hold 1 values, expected 1 rows × 2 features" },
};

// ---- preprocessing ------------------------------------------------------------------------

/** Per-feature (or single) parameter list of length 1 or F. */
export function perFeature(values: readonly number[] | undefined, f: number, name: string, fallback: number): number[] {
  const v = values ?? [];
  if (v.length === 0) return new Array<number>(f).fill(fallback);
  if (v.length === 1) return new Array<number>(f).fill(v[0]!);
  if (v.length !== f) bad(`${name} holds ${v.length} values; expected 1 or ${f} (one per feature)`);
  return [...v];
}

const scaler: OnnxOpDecl = {
  type: "Scaler",
  summary: "(X − offset) · scale per feature.",
  inputs: [x1("X")],
  outputs: [{ name: "Y", type: numericTensor }],
  attrs: {
    offset: { kind: "floats", doc: "subtracted, one value or one per feature" },
    scale: { kind: "floats", doc: "multiplied after, one value or one per feature" },
  },
  infer: (ins, a) => {
    const f = features(ins[0]!, "Scaler");
    perFeature(a.floats("offset"), f, "offset", 0);
    perFeature(a.floats("scale"), f, "scale", 1);
    return [tensor(ins[0]!.shape, f32)];
  },
  ok: { ins: [T("?x2")], out: T("?x2"), attrs: "{offset = [1.0, 2.0], scale = [0.5, 0.25]}" },
  error: { ins: [T("?x2")], out: T("?x2"), attrs: "{offset = [1.0, 2.0, 3.0]}", message: "offset holds 3 values; expected 1 or 2 (one per feature)" },
};

export const NORMS = ["MAX", "L1", "L2"] as const;

const normalizer: OnnxOpDecl = {
  type: "Normalizer",
  summary: "Divides each row by its norm: MAX (largest value), L1 (sum of |x|) or L2 (Euclidean).",
  notes: "compiled as a client-side step after decryption, like Softmax; ops after it run on the client too",
  inputs: [x1("X")],
  outputs: [{ name: "Y", type: numericTensor }],
  attrs: { norm: { kind: "string", doc: "MAX, L1 or L2", default: S("MAX") } },
  infer: (ins, a) => {
    features(ins[0]!, "Normalizer");
    if (!(NORMS as readonly string[]).includes(a.str("norm"))) bad(`norm '${a.str("norm")}' is not one of ${NORMS.join(", ")}`);
    return [tensor(ins[0]!.shape, f32)];
  },
  ok: { ins: [T("?x3")], out: T("?x3"), attrs: '{norm = "L1"}' },
  error: { ins: [T("?x3")], out: T("?x3"), attrs: '{norm = "L3"}', message: "norm 'L3' is not one of MAX, L1, L2" },
};

const binarizer: OnnxOpDecl = {
  type: "Binarizer",
  summary: "1 where X > threshold, else 0 (X's type).",
  inputs: [x1("X")],
  outputs: [{ name: "Y", type: numericTensor }],
  attrs: { threshold: { kind: "float", doc: "threshold (default 0)", default: F(0) } },
  infer: (ins) => [ins[0]!],
  ok: { ins: [T("?x3")], out: T("?x3"), attrs: "{threshold = 0.5}" },
  error: { ins: [T("?x3")], out: T("?x3", "f64"), message: "result #0 type tensor<?x3xf64> should be tensor<?x3xf32>" },
};

const imputer: OnnxOpDecl = {
  type: "Imputer",
  summary: "Replaces entries equal to replaced_value (NaN by default in sklearn's export) by a per-feature value.",
  notes: "fhec refuses NaN inputs, so an Imputer of NaN never changes a value fhec accepts",
  inputs: [x1("X")],
  outputs: [{ name: "Y", type: numericTensor }],
  attrs: {
    imputed_value_floats: { kind: "floats", doc: "replacements, one value or one per feature" },
    imputed_value_int64s: { kind: "ints", doc: "replacements for integer inputs" },
    replaced_value_float: { kind: "float", doc: "the value to replace (default 0)", default: F(0) },
    replaced_value_int64: { kind: "int", doc: "the value to replace in integer inputs (default 0)", default: I(0) },
  },
  infer: (ins, a) => {
    const f = features(ins[0]!, "Imputer");
    const isInt = ins[0]!.element.kind === "int";
    const values = isInt ? a.ints("imputed_value_int64s") : a.floats("imputed_value_floats");
    if (!values || values.length === 0) bad(`Imputer needs ${isInt ? "imputed_value_int64s" : "imputed_value_floats"} for ${typeToString(ins[0]!.element)} inputs`);
    perFeature(values, f, isInt ? "imputed_value_int64s" : "imputed_value_floats", 0);
    return [ins[0]!];
  },
  ok: { ins: [T("?x2")], out: T("?x2"), attrs: "{imputed_value_floats = [1.0, 2.0], replaced_value_float = 0.0}" },
  error: { ins: [T("?x2")], out: T("?x2"), attrs: "{replaced_value_float = 0.0}", message: "Imputer needs imputed_value_floats for f32 inputs" },
};

const oneHotEncoder: OnnxOpDecl = {
  type: "OneHotEncoder",
  summary: "Appends an axis of one-hot indicators of X against the integer categories.",
  notes: "integer categories; an unknown category is an error with zeros=0 in the reference, all zeros in a compiled circuit",
  inputs: [x1("X")],
  outputs: [{ name: "Y", type: numericTensor }],
  attrs: {
    cats_int64s: { kind: "ints", doc: "the categories" },
    cats_strings: { kind: "array", doc: "string categories (not supported)" },
    zeros: { kind: "int", doc: "1: unknown categories give zeros; 0: an error (default 1)", default: I(1) },
  },
  infer: (ins, a) => {
    noStrings(a, "cats_strings", "categories");
    const cats = a.ints("cats_int64s") ?? [];
    if (cats.length === 0) bad("OneHotEncoder needs cats_int64s");
    return [tensor([...ins[0]!.shape, cats.length], f32)];
  },
  ok: { ins: [T("?x2", "i64")], out: T("?x2x3"), attrs: "{cats_int64s = [1, 2, 5]}" },
  error: { ins: [T("?x2", "i64")], out: T("?x2x3"), attrs: '{cats_strings = ["a"]}', message: "categories are strings (attribute 'cats_strings'); fhec handles numeric tensors only: encode them as integers before fitting" },
};

const arrayFeatureExtractor: OnnxOpDecl = {
  type: "ArrayFeatureExtractor",
  summary: "Selects entries of the last axis of X at the given indices.",
  notes: "indices must be a constant",
  inputs: [x1("X"), x1("Y", indexTensor)],
  outputs: [{ name: "Z", type: numericTensor }],
  attrs: {},
  infer: ([x, y]) => {
    if (rank(x!) < 2) bad(`ArrayFeatureExtractor input must have rank ≥ 2, got ${typeToString(x!)}`);
    const k = y!.shape.reduce<number | null>((p, d) => (p === null || d === null ? null : p * d), 1);
    if (k === null) bad("ArrayFeatureExtractor indices need a static shape");
    return [tensor([...x!.shape.slice(0, -1), k], x!.element)];
  },
  ok: { ins: [T("?x4"), T("2", "i64")], out: T("?x2") },
  error: { ins: [T("4"), T("2", "i64")], out: T("2"), message: "ArrayFeatureExtractor input must have rank ≥ 2, got tensor<4xf32>" },
};

const labelEncoder: OnnxOpDecl = {
  type: "LabelEncoder",
  summary: "Maps each value found in keys to the value at the same position (default_* otherwise).",
  notes: "numeric keys and values (int64 or float), ai.onnx.ml opset 2–3; compiled on the client side (after a label), not on encrypted values",
  inputs: [x1("X")],
  outputs: [{ name: "Y", type: numericTensor }],
  attrs: {
    keys_int64s: { kind: "ints", doc: "integer keys" },
    keys_floats: { kind: "floats", doc: "float keys" },
    keys_strings: { kind: "array", doc: "string keys (not supported)" },
    values_int64s: { kind: "ints", doc: "integer values" },
    values_floats: { kind: "floats", doc: "float values" },
    values_strings: { kind: "array", doc: "string values (not supported)" },
    default_int64: { kind: "int", doc: "value for unknown keys (default -1)", default: I(-1) },
    default_float: { kind: "float", doc: "value for unknown keys (default -0.0)", default: F(-0) },
    default_string: { kind: "string", doc: "(not supported)", default: S("_Unused") },
  },
  infer: (ins, a) => {
    noStrings(a, "keys_strings", "keys");
    noStrings(a, "values_strings", "values");
    const { keys, values, intValues } = labelEncoderMap(a);
    if (keys.length !== values.length) bad(`LabelEncoder has ${keys.length} keys but ${values.length} values`);
    return [tensor(ins[0]!.shape, intValues ? i64 : f32)];
  },
  ok: { ins: [T("?", "i64")], out: T("?", "i64"), attrs: "{keys_int64s = [0, 1], values_int64s = [3, 7]}" },
  error: { ins: [T("?", "i64")], out: T("?", "i64"), attrs: "{keys_int64s = [0, 1], values_int64s = [3]}", message: "LabelEncoder has 2 keys but 1 values" },
};

export function labelEncoderMap(a: OnnxAttrs): { keys: number[]; values: number[]; intValues: boolean; fallback: number } {
  const keys = a.ints("keys_int64s") ?? a.floats("keys_floats") ?? [];
  const intValues = a.has("values_int64s");
  const values = (intValues ? a.ints("values_int64s") : a.floats("values_floats")) ?? [];
  if (keys.length === 0) bad("LabelEncoder needs keys_int64s or keys_floats");
  return { keys, values, intValues, fallback: intValues ? a.int("default_int64") : a.float("default_float") };
}

// ---- tree ensembles -----------------------------------------------------------------------

const TREE_NODE_ATTRS = {
  nodes_treeids: { kind: "ints", doc: "tree of each node", required: true },
  nodes_nodeids: { kind: "ints", doc: "id of each node within its tree", required: true },
  nodes_featureids: { kind: "ints", doc: "feature compared at each node" },
  nodes_modes: { kind: "array", doc: "BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ or LEAF" },
  nodes_values: { kind: "floats", doc: "thresholds" },
  nodes_values_as_tensor: { kind: "dense", doc: "thresholds in double (opset 3)" },
  nodes_truenodeids: { kind: "ints", doc: "child when the comparison holds" },
  nodes_falsenodeids: { kind: "ints", doc: "child otherwise" },
  nodes_missing_value_tracks_true: { kind: "ints", doc: "NaN goes to the true child" },
  nodes_hitrates: { kind: "floats", doc: "ignored" },
  nodes_hitrates_as_tensor: { kind: "dense", doc: "ignored" },
  base_values: { kind: "floats", doc: "added to each output" },
  base_values_as_tensor: { kind: "dense", doc: "base values in double (opset 3)" },
  post_transform: { kind: "string", doc: "NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO", default: S("NONE") },
} as const;

const treeClassifier: OnnxOpDecl = {
  type: "TreeEnsembleClassifier",
  summary: "Sum of the class weights of the leaves the trees reach, plus base values, the post transform and the label of the top class.",
  notes: "ai.onnx.ml opsets 1 and 3; integer labels; every node mode; binary models with one weight column follow onnxruntime ([1 − p, p] or [−s, s])",
  inputs: [x1("X")],
  outputs: [
    { name: "Y", type: indexTensor },
    { name: "Z", type: numericTensor },
  ],
  attrs: {
    ...TREE_NODE_ATTRS,
    class_treeids: { kind: "ints", doc: "tree of each leaf weight" },
    class_nodeids: { kind: "ints", doc: "leaf of each weight" },
    class_ids: { kind: "ints", doc: "class index of each weight" },
    class_weights: { kind: "floats", doc: "the weights" },
    class_weights_as_tensor: { kind: "dense", doc: "weights in double (opset 3)" },
    classlabels_int64s: { kind: "ints", doc: "integer class labels" },
    classlabels_strings: { kind: "array", doc: "string class labels (not supported)" },
  },
  infer: (ins, a) => {
    const f = features(ins[0]!, "TreeEnsembleClassifier");
    const labels = classLabels(a, "classlabels_int64s");
    postTransform(a);
    parseTreeEnsemble(a, { classifier: true, features: f, outputs: labels.length });
    return [tensor([ins[0]!.shape[0]!], i64), tensor([ins[0]!.shape[0]!, labels.length], f32)];
  },
  ok: {
    ins: [T("?x2")],
    out: [T("?", "i64"), T("?x2")],
    attrs:
      '{class_ids = [0, 0], class_nodeids = [1, 2], class_treeids = [0, 0], class_weights = [0.25, 0.75], classlabels_int64s = [0, 1], nodes_falsenodeids = [2, 0, 0], nodes_featureids = [1, 0, 0], nodes_modes = ["BRANCH_LEQ", "LEAF", "LEAF"], nodes_nodeids = [0, 1, 2], nodes_treeids = [0, 0, 0], nodes_truenodeids = [1, 0, 0], nodes_values = [0.5, 0.0, 0.0]}',
  },
  error: {
    ins: [T("?x2")],
    out: [T("?", "i64"), T("?x2")],
    attrs:
      '{class_ids = [0, 0], class_nodeids = [1, 2], class_treeids = [0, 0], class_weights = [0.25, 0.75], classlabels_int64s = [0, 1], nodes_falsenodeids = [2, 0, 0], nodes_featureids = [3, 0, 0], nodes_modes = ["BRANCH_LEQ", "LEAF", "LEAF"], nodes_nodeids = [0, 1, 2], nodes_treeids = [0, 0, 0], nodes_truenodeids = [1, 0, 0], nodes_values = [0.5, 0.0, 0.0]}',
    message: "tree 0 node 0 compares feature 3, but the input has 2 features",
  },
};

export const AGGREGATES = ["SUM", "AVERAGE", "MIN", "MAX"] as const;
export type Aggregate = (typeof AGGREGATES)[number];

const treeRegressor: OnnxOpDecl = {
  type: "TreeEnsembleRegressor",
  summary: "Aggregate (SUM, AVERAGE, MIN, MAX) of the target weights of the leaves the trees reach, plus base values.",
  notes: "ai.onnx.ml opsets 1 and 3; every node mode; multi-target",
  inputs: [x1("X")],
  outputs: [{ name: "Y", type: numericTensor }],
  attrs: {
    ...TREE_NODE_ATTRS,
    aggregate_function: { kind: "string", doc: "SUM, AVERAGE, MIN or MAX", default: S("SUM") },
    n_targets: { kind: "int", doc: "number of outputs", required: true },
    target_treeids: { kind: "ints", doc: "tree of each leaf weight" },
    target_nodeids: { kind: "ints", doc: "leaf of each weight" },
    target_ids: { kind: "ints", doc: "target index of each weight" },
    target_weights: { kind: "floats", doc: "the weights" },
    target_weights_as_tensor: { kind: "dense", doc: "weights in double (opset 3)" },
  },
  infer: (ins, a) => {
    const f = features(ins[0]!, "TreeEnsembleRegressor");
    postTransform(a);
    if (!(AGGREGATES as readonly string[]).includes(a.str("aggregate_function"))) bad(`aggregate_function '${a.str("aggregate_function")}' is not one of ${AGGREGATES.join(", ")}`);
    const n = a.int("n_targets");
    if (n < 1) bad(`n_targets must be ≥ 1, got ${n}`);
    parseTreeEnsemble(a, { classifier: false, features: f, outputs: n });
    return [tensor([ins[0]!.shape[0]!, n], f32)];
  },
  ok: {
    ins: [T("?x2")],
    out: T("?x1"),
    attrs:
      '{n_targets = 1, nodes_falsenodeids = [2, 0, 0], nodes_featureids = [1, 0, 0], nodes_modes = ["BRANCH_LT", "LEAF", "LEAF"], nodes_nodeids = [0, 1, 2], nodes_treeids = [0, 0, 0], nodes_truenodeids = [1, 0, 0], nodes_values = [0.5, 0.0, 0.0], target_ids = [0, 0], target_nodeids = [1, 2], target_treeids = [0, 0], target_weights = [1.5, -2.0]}',
  },
  error: {
    ins: [T("?x2")],
    out: T("?x1"),
    attrs:
      '{n_targets = 1, nodes_falsenodeids = [2, 0, 0], nodes_featureids = [1, 0, 0], nodes_modes = ["BRANCH_LT", "LEAF", "LEAF"], nodes_nodeids = [0, 1, 2], nodes_treeids = [0, 0, 0], nodes_truenodeids = [7, 0, 0], nodes_values = [0.5, 0.0, 0.0], target_ids = [0, 0], target_nodeids = [1, 2], target_treeids = [0, 0], target_weights = [1.5, -2.0]}',
    message: "tree 0 node 0: true child 7 does not exist",
  },
};

export const ONNX_ML_OPS: readonly OnnxOpDecl[] = [
  linearClassifier,
  linearRegressor,
  scaler,
  normalizer,
  binarizer,
  imputer,
  oneHotEncoder,
  arrayFeatureExtractor,
  labelEncoder,
  treeClassifier,
  treeRegressor,
];

const DECLS = new Map<string, OnnxOpDecl>(ONNX_ML_OPS.map((d) => [d.type, d]));

/** The declaration of an `ai.onnx.ml` op type, or undefined when unsupported. */
export function onnxMlDecl(opType: string): OnnxOpDecl | undefined {
  return DECLS.get(opType);
}

export const onnxMlDialect: OpDef[] = ONNX_ML_OPS.map((d) => toOpDef(d, "onnx_ml"));

/** `ai.onnx.ml` opsets fhec imports (TreeEnsemble* versions 1 and 3, LabelEncoder 2). */
export const ML_OPSETS = { min: 1, max: 3 } as const;
