// One small graph per `ai.onnx.ml` op and per attribute variant (node modes, aggregates, post
// transforms, multi-target, binary forms, opsets 1 and 3): fhec's reference interpreter on the
// imported IR must match onnxruntime-node within 1e-5 (labels exactly).
import { describe, expect, it } from "vitest";
import { importOnnx } from "../../compiler/onnx/index.js";
import type { NDArray } from "../../ir/tensor.js";
import { runReference } from "../../backends/reference/interpreter.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { verifyModule } from "../../ir/verifier.js";
import { expandMlOps } from "../../passes/quantize/lower_ml.js";
import { arr, checkAgainstOrt, expectClose, rand } from "./check.js";
import { A, type AttrValue, buildModel, type DType, type ModelSpec, tensorProto } from "./graph_builder.js";

const ML = "ai.onnx.ml";

/** One ml node reading x [N, F]; outputs named as skl2onnx names them. */
function mlModel(op: string, f: number, attrs: Record<string, AttrValue>, outs: { name: string; dtype: DType }[], opts: { mlOpset?: number; xDtype?: DType; extraInputs?: string[]; inits?: ModelSpec["initializers"] } = {}): ModelSpec {
  return {
    opset: 17,
    mlOpset: opts.mlOpset ?? 3,
    inputs: [{ name: "x", dtype: opts.xDtype ?? "float", shape: ["N", f] }],
    outputs: outs,
    initializers: opts.inits ?? [],
    nodes: [{ op, domain: ML, inputs: ["x", ...(opts.extraInputs ?? [])], outputs: outs.map((o) => o.name), attrs }],
  };
}

const classifierOuts = [
  { name: "label", dtype: "int64" as DType },
  { name: "probabilities", dtype: "float" as DType },
];
/**
 * onnxruntime agreement, then the compiler's expansion into `onnx` ops (what gets quantized)
 * computes the same outputs as the `onnx_ml` op in the reference interpreter.
 */
async function run(spec: ModelSpec, x: NDArray): Promise<void> {
  await checkAgainstOrt(spec, { x });
  const bytes = buildModel(spec);
  const want = runReference(importOnnx(bytes).funcs[0]!, [x]);
  const module = importOnnx(bytes);
  expandMlOps(module.funcs[0]!);
  expect(verifyModule(module, defaultRegistry).diagnostics).toEqual([]);
  for (const op of module.funcs[0]!.body.ops) if (op.name.startsWith("onnx_ml.")) expect(op.name).toBe("onnx_ml.Normalizer");
  const got = runReference(module.funcs[0]!, [x]);
  got.forEach((g, i) => expectClose(g, want[i]!, 1e-5, 1e-6, `expanded output ${i}`));
}
const X = rand([24, 3], 11, -2, 2);

describe("LinearClassifier", () => {
  const coef3 = [0.5, -1, 0.25, -0.3, 0.8, 1.1, 1.2, 0.1, -0.7];
  for (const post of ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"]) {
    it(`three classes, post_transform ${post}`, async () => {
      const attrs = { coefficients: A.floats(coef3), intercepts: A.floats([0.1, -0.2, 0.3]), classlabels_ints: A.ints([3, 5, 9]), post_transform: A.s(post), multi_class: A.i(1) };
      await run(mlModel("LinearClassifier", 3, attrs, classifierOuts), X);
    });
  }
  for (const post of ["NONE", "LOGISTIC"]) {
    it(`binary with one coefficient row ([1 − p, p]), post_transform ${post}`, async () => {
      const attrs = { coefficients: A.floats([0.5, -1, 0.25]), intercepts: A.floats([0.1]), classlabels_ints: A.ints([0, 1]), post_transform: A.s(post) };
      await run(mlModel("LinearClassifier", 3, attrs, classifierOuts), X);
    });
  }
  it("binary with two coefficient rows [−w, w] and LOGISTIC (skl2onnx's LogisticRegression)", async () => {
    const w = [0.5, -1, 0.25];
    const attrs = { coefficients: A.floats([...w.map((v) => -v), ...w]), intercepts: A.floats([-0.1, 0.1]), classlabels_ints: A.ints([0, 1]), post_transform: A.s("LOGISTIC") };
    await run(mlModel("LinearClassifier", 3, attrs, classifierOuts), X);
  });
});

describe("LinearRegressor, Scaler, Normalizer, Binarizer, Imputer", () => {
  it("LinearRegressor with one and with two targets", async () => {
    await run(mlModel("LinearRegressor", 3, { coefficients: A.floats([0.5, -1, 0.25]), intercepts: A.floats([2]) }, [{ name: "variable", dtype: "float" }]), X);
    await run(mlModel("LinearRegressor", 3, { coefficients: A.floats([0.5, -1, 0.25, 1, 2, 3]), intercepts: A.floats([2, -1]), targets: A.i(2) }, [{ name: "variable", dtype: "float" }]), X);
  });
  it("Scaler with per-feature and with single offset/scale", async () => {
    await run(mlModel("Scaler", 3, { offset: A.floats([0.5, -1, 2]), scale: A.floats([2, 0.5, 4]) }, [{ name: "variable", dtype: "float" }]), X);
    await run(mlModel("Scaler", 3, { offset: A.floats([0.5]), scale: A.floats([3]) }, [{ name: "variable", dtype: "float" }]), X);
  });
  for (const norm of ["MAX", "L1", "L2"]) {
    it(`Normalizer ${norm}`, async () => {
      await run(mlModel("Normalizer", 3, { norm: A.s(norm) }, [{ name: "variable", dtype: "float" }]), X);
    });
  }
  it("Binarizer", async () => {
    await run(mlModel("Binarizer", 3, { threshold: A.f(0.25) }, [{ name: "variable", dtype: "float" }]), X);
  });
  it("Imputer replacing a value per feature", async () => {
    const x = arr([4, 3], [0, 1, 2, 3, 0, 5, 0, 0, 0, 1.5, -2, 0]);
    await run(mlModel("Imputer", 3, { imputed_value_floats: A.floats([7, 8, 9]), replaced_value_float: A.f(0) }, [{ name: "variable", dtype: "float" }]), x);
  });
});

describe("OneHotEncoder, ArrayFeatureExtractor, LabelEncoder", () => {
  it("OneHotEncoder on int64 categories (unknown values give zeros)", async () => {
    const spec = mlModel("OneHotEncoder", 2, { cats_int64s: A.ints([1, 4, 7]), zeros: A.i(1) }, [{ name: "variable", dtype: "float" }], { xDtype: "int64" });
    await run(spec, arr([3, 2], [1, 4, 7, 2, 4, 1]));
  });
  it("ArrayFeatureExtractor with constant indices", async () => {
    const spec = mlModel("ArrayFeatureExtractor", 3, {}, [{ name: "variable", dtype: "float" }], { extraInputs: ["idx"], inits: [tensorProto("idx", "int64", [2], [2, 0])] });
    await run(spec, X);
  });
  it("LabelEncoder int64 → int64 with a default", async () => {
    const spec = mlModel("LabelEncoder", 2, { keys_int64s: A.ints([0, 1, 2]), values_int64s: A.ints([10, 20, 30]), default_int64: A.i(-5) }, [{ name: "variable", dtype: "int64" }], { xDtype: "int64", mlOpset: 2 });
    await run(spec, arr([3, 2], [0, 1, 2, 3, 1, 0]));
  });
  it("LabelEncoder float → float", async () => {
    const spec = mlModel("LabelEncoder", 2, { keys_floats: A.floats([0.5, 1]), values_floats: A.floats([-1, 2]), default_float: A.f(9) }, [{ name: "variable", dtype: "float" }], { mlOpset: 2 });
    await run(spec, arr([2, 2], [0.5, 1, 3, 0.5]));
  });
});

// ---- trees ------------------------------------------------------------------------------------

/**
 * Two small trees on 3 features: tree 0 (depth 2, modes given), tree 1 (one split). Leaves carry
 * weights for `outputs` outputs (or only output `only`).
 */
function forest(modes: [string, string, string], opts: { outputs: number; only?: number; negative?: boolean; asTensor?: boolean; classifier: boolean }): Record<string, AttrValue> {
  const nodes = {
    nodes_treeids: [0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
    nodes_nodeids: [0, 1, 2, 3, 4, 5, 6, 0, 1, 2],
    nodes_featureids: [0, 1, 2, 0, 0, 0, 0, 2, 0, 0],
    nodes_modes: [modes[0], modes[1], modes[2], "LEAF", "LEAF", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"],
    nodes_values: [0.25, -0.5, 1.0, 0, 0, 0, 0, 0.1, 0, 0],
    nodes_truenodeids: [1, 3, 5, 0, 0, 0, 0, 1, 0, 0],
    nodes_falsenodeids: [2, 4, 6, 0, 0, 0, 0, 2, 0, 0],
  };
  const leaves: [number, number][] = [
    [0, 3],
    [0, 4],
    [0, 5],
    [0, 6],
    [1, 1],
    [1, 2],
  ];
  const wt: number[] = [];
  const wn: number[] = [];
  const wi: number[] = [];
  const ww: number[] = [];
  leaves.forEach(([t, n], l) => {
    for (let k = 0; k < opts.outputs; k++) {
      if (opts.only !== undefined && k !== opts.only) continue;
      wt.push(t);
      wn.push(n);
      wi.push(k);
      const w = ((l * 7 + k * 3) % 10) / 10 + 0.05;
      ww.push(opts.negative && (l + k) % 3 === 0 ? -w : w);
    }
  });
  const p = opts.classifier ? "class" : "target";
  const attrs: Record<string, AttrValue> = {
    nodes_treeids: A.ints(nodes.nodes_treeids),
    nodes_nodeids: A.ints(nodes.nodes_nodeids),
    nodes_featureids: A.ints(nodes.nodes_featureids),
    nodes_modes: A.strings(nodes.nodes_modes),
    nodes_truenodeids: A.ints(nodes.nodes_truenodeids),
    nodes_falsenodeids: A.ints(nodes.nodes_falsenodeids),
    [`${p}_treeids`]: A.ints(wt),
    [`${p}_nodeids`]: A.ints(wn),
    [`${p}_ids`]: A.ints(wi),
  };
  if (opts.asTensor) {
    attrs["nodes_values_as_tensor"] = A.t(tensorProto("", "double", [nodes.nodes_values.length], nodes.nodes_values));
    attrs[`${p}_weights_as_tensor`] = A.t(tensorProto("", "double", [ww.length], ww));
  } else {
    attrs["nodes_values"] = A.floats(nodes.nodes_values);
    attrs[`${p}_weights`] = A.floats(ww);
  }
  return attrs;
}

/** Inputs that hit every threshold exactly (ties decide LEQ vs LT, EQ, NEQ) and values around them. */
const TREE_X = arr(
  [12, 3],
  [0.25, -0.5, 1.0, 0.25, 0, 0.1, 0.3, -0.5, 1, -1, -1, -1, 1, 1, 1, 0.25, -0.6, 0.9, 0.2, -0.5, 0.1, 0, 0, 0, 0.26, -0.4, 1.0, -0.3, 2, 0.1, 0.25, -0.5, 0.11, 0.5, 0.5, 0.5],
);

const MODE_SETS: [string, string, string][] = [
  ["BRANCH_LEQ", "BRANCH_LEQ", "BRANCH_LEQ"],
  ["BRANCH_LT", "BRANCH_GTE", "BRANCH_GT"],
  ["BRANCH_EQ", "BRANCH_NEQ", "BRANCH_LT"],
];

describe("TreeEnsembleRegressor", () => {
  for (const modes of MODE_SETS) {
    for (const aggregate of ["SUM", "AVERAGE", "MIN", "MAX"]) {
      it(`modes ${modes.join("/")}, aggregate ${aggregate}, one target with a base value`, async () => {
        const attrs = { ...forest(modes, { outputs: 1, classifier: false }), n_targets: A.i(1), aggregate_function: A.s(aggregate), base_values: A.floats([0.5]) };
        await run(mlModel("TreeEnsembleRegressor", 3, attrs, [{ name: "variable", dtype: "float" }], { mlOpset: 1 }), TREE_X);
      });
    }
  }
  for (const post of ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"]) {
    it(`three targets, post_transform ${post}, base values, opset-3 double tensors on double inputs`, async () => {
      const attrs = { ...forest(MODE_SETS[1]!, { outputs: 3, classifier: false, negative: true, asTensor: true }), n_targets: A.i(3), post_transform: A.s(post), base_values: A.floats([0.1, 0, -0.2]) };
      await run(mlModel("TreeEnsembleRegressor", 3, attrs, [{ name: "variable", dtype: "float" }], { mlOpset: 3, xDtype: "double" }), TREE_X);
    });
  }
  it("one target ignores LOGISTIC, as onnxruntime does", async () => {
    const attrs = { ...forest(MODE_SETS[0]!, { outputs: 1, classifier: false }), n_targets: A.i(1), post_transform: A.s("LOGISTIC") };
    await run(mlModel("TreeEnsembleRegressor", 3, attrs, [{ name: "variable", dtype: "float" }]), TREE_X);
  });
  it("two targets, AVERAGE and MAX", async () => {
    for (const aggregate of ["AVERAGE", "MAX"]) {
      const attrs = { ...forest(MODE_SETS[2]!, { outputs: 2, classifier: false, negative: true }), n_targets: A.i(2), aggregate_function: A.s(aggregate) };
      await run(mlModel("TreeEnsembleRegressor", 3, attrs, [{ name: "variable", dtype: "float" }]), TREE_X);
    }
  });
});

describe("TreeEnsembleClassifier", () => {
  for (const post of ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"]) {
    it(`three classes, post_transform ${post}, base values`, async () => {
      const attrs = { ...forest(MODE_SETS[1]!, { outputs: 3, classifier: true, negative: post !== "NONE" }), classlabels_int64s: A.ints([2, 4, 6]), post_transform: A.s(post), base_values: A.floats([0.1, 0, -0.2]) };
      await run(mlModel("TreeEnsembleClassifier", 3, attrs, classifierOuts, { mlOpset: 1 }), TREE_X);
    });
  }
  for (const modes of MODE_SETS) {
    it(`three classes without base values, modes ${modes.join("/")}, opset-3 double tensors on double inputs`, async () => {
      const attrs = { ...forest(modes, { outputs: 3, classifier: true, asTensor: true }), classlabels_int64s: A.ints([0, 1, 2]) };
      await run(mlModel("TreeEnsembleClassifier", 3, attrs, classifierOuts, { mlOpset: 3, xDtype: "double" }), TREE_X);
    });
  }
  it("binary, one weight column ≥ 0 (skl2onnx's decision trees): [1 − p, p], label p > 0.5", async () => {
    const attrs = { ...forest(MODE_SETS[0]!, { outputs: 2, only: 0, classifier: true }), classlabels_int64s: A.ints([0, 1]) };
    await run(mlModel("TreeEnsembleClassifier", 3, attrs, classifierOuts), TREE_X);
  });
  for (const post of ["NONE", "LOGISTIC"]) {
    it(`binary, one weight column of mixed signs with a base value (gradient boosting), post_transform ${post}`, async () => {
      const attrs = { ...forest(MODE_SETS[1]!, { outputs: 2, only: 0, classifier: true, negative: true }), classlabels_int64s: A.ints([0, 1]), base_values: A.floats([-0.3]), post_transform: A.s(post) };
      await run(mlModel("TreeEnsembleClassifier", 3, attrs, classifierOuts), TREE_X);
    });
  }
  it("binary with weights for both classes (binary as multiclass)", async () => {
    const attrs = { ...forest(MODE_SETS[0]!, { outputs: 2, classifier: true }), classlabels_int64s: A.ints([0, 1]) };
    await run(mlModel("TreeEnsembleClassifier", 3, attrs, classifierOuts), TREE_X);
  });
});

describe("ai.onnx.ml errors", () => {
  const importOf = (spec: ModelSpec) => () => importOnnx(buildModel(spec), { file: "m.onnx" });
  it("ZipMap asks for zipmap=False", () => {
    const spec = mlModel("LinearClassifier", 3, { coefficients: A.floats([1, 2, 3]), intercepts: A.floats([0]), classlabels_ints: A.ints([0, 1]) }, classifierOuts);
    spec.nodes.push({ op: "ZipMap", domain: ML, inputs: ["probabilities"], outputs: ["output_probability"], attrs: { classlabels_int64s: A.ints([0, 1]) } });
    spec.outputs = [classifierOuts[0]!, { name: "output_probability", dtype: "float" }];
    expect(importOf(spec)).toThrow(/ZipMap \(node 'zipmap_1'\) returns a sequence of maps, which FHE cannot produce; export the model with the converter's zipmap=False option/);
  });
  it("an unsupported ai.onnx.ml operator gets one clear error", () => {
    const spec = mlModel("SVMClassifier", 3, {}, classifierOuts);
    expect(importOf(spec)).toThrow(/unsupported ai\.onnx\.ml operator 'SVMClassifier' \(node 'svmclassifier_0', ai\.onnx\.ml opset 3\); see `fhec import --list-ops` for the \d+ supported ai\.onnx\.ml operators/);
  });
  it("string class labels are refused with the reason", () => {
    const spec = mlModel("LinearClassifier", 3, { coefficients: A.floats([1, 2, 3]), intercepts: A.floats([0]), classlabels_strings: A.strings(["no", "yes"]) }, classifierOuts);
    expect(importOf(spec)).toThrow(/class labels are strings \(attribute 'classlabels_strings'\); fhec handles numeric tensors only/);
  });
  it("an ai.onnx.ml opset outside 1–3 is refused", () => {
    const spec = { ...mlModel("Binarizer", 3, {}, [{ name: "variable", dtype: "float" as DType }]), mlOpset: 5 };
    expect(importOf(spec)).toThrow(/ai\.onnx\.ml opset 5 is not supported; fhec imports ai\.onnx\.ml opsets 1 to 3/);
  });
  it("a tree pointing at a missing child is refused at import", () => {
    const attrs: Record<string, AttrValue> = { ...forest(MODE_SETS[0]!, { outputs: 1, classifier: false }), n_targets: A.i(1) };
    attrs["nodes_truenodeids"] = A.ints([1, 3, 5, 0, 0, 0, 0, 9, 0, 0]);
    expect(importOf(mlModel("TreeEnsembleRegressor", 3, attrs, [{ name: "variable", dtype: "float" }]))).toThrow(/tree 1 node 0: true child 9 does not exist/);
  });
});
