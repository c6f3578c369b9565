// The bundled real-model fixtures, for tests: the set the compiler was developed on
// (tests/fixtures/models/<name>/) and a second set of new models of the same classes
// (tests/fixtures/models_extra/<name>/, made by examples/fixtures/make_extra_fixtures.py).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readNpy } from "../../compiler/data/npy.js";

export const fixturesRoot = join(import.meta.dirname, "..", "fixtures", "models");
export const extraFixturesRoot = join(import.meta.dirname, "..", "fixtures", "models_extra");

interface Meta {
  task: "classification" | "regression";
}

/** The fixture folders (those holding a model.onnx) under `root`, sorted. */
export function fixtureNames(root: string): string[] {
  return existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, "model.onnx"))).sort() : [];
}

export function loadFixture(name: string, root = fixturesRoot) {
  const dir = join(root, name);
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
