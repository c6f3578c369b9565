// The scikit-learn fixtures (examples/fixtures/make_sklearn_fixtures.py) in fhec's float reference
// interpreter give scikit-learn's own predictions: `label` equals predict() exactly and
// `probabilities` equal predict_proba() within 1e-4 (regressors: predict() within 1e-4, relative
// for values above 1).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runReference } from "../../backends/reference/interpreter.js";
import { readNpy } from "../../compiler/data/npy.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import type { NDArray } from "../../ir/tensor.js";
import { expectClose } from "./check.js";

export const SKLEARN_FIXTURES = ["sk_logreg_multi", "sk_scaler_logreg", "sk_decision_tree", "sk_rf_regressor", "sk_gbt"];
const root = new URL("../fixtures/models/", import.meta.url).pathname;
const npy = (dir: string, f: string): NDArray => readNpy(readFileSync(join(dir, f)));

describe("scikit-learn fixtures: reference = scikit-learn", () => {
  for (const name of SKLEARN_FIXTURES) {
    it(name, () => {
      const dir = join(root, name);
      const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { task: string };
      const module = importOnnx(readFileSync(join(dir, "model.onnx")), { file: `${name}/model.onnx` });
      const outs = runReference(module.funcs[0]!, [npy(dir, "x_test.npy")]);
      if (meta.task === "regression") {
        expectClose(outs[0]!, npy(dir, "y_ref.npy"), 1e-4, 1e-4, `${name} variable vs predict`);
        return;
      }
      const [label, proba] = outs;
      expect([...label!.data], `${name} label vs predict`).toEqual([...npy(dir, "sk_label.npy").data]);
      expectClose(proba!, npy(dir, "sk_proba.npy"), 0, 1e-4, `${name} probabilities vs predict_proba`);
    });
  }
});
