// The bundled real-model fixtures (tests/fixtures/models/<name>/), for tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readNpy } from "../../compiler/data/npy.js";

export const fixturesRoot = join(import.meta.dirname, "..", "fixtures", "models");

interface Meta {
  task: "classification" | "regression";
  /** The output y_ref.npy holds (a classifier's probabilities). */
  output_name: string;
}

export function loadFixture(name: string) {
  const dir = join(fixturesRoot, name);
  const npy = (f: string) => readNpy(readFileSync(join(dir, f)));
  return {
    dir,
    model: join(dir, "model.onnx"),
    meta: JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Meta,
    calib: npy("calib.npy"),
    x: npy("x_test.npy"),
    y: npy("y_test.npy"),
  };
}

