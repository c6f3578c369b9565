// Every exported model under tests/fixtures/models/ and tests/fixtures/models_extra/ must import, print, re-parse and verify, and
// its reference output on x_test.npy must match onnxruntime-node and y_ref.npy within 1e-4.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runReference } from "../../backends/reference/interpreter.js";
import { readNpy } from "../../compiler/data/npy.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import { runOnnxRuntime } from "../../compiler/onnx/ort.js";
import { walkOps } from "../../ir/core.js";
import { expectClose, roundTrip } from "./check.js";

import { extraFixturesRoot, fixtureNames, fixturesRoot } from "../helpers/fixtures.js";

const fixtures = [fixturesRoot, extraFixturesRoot].flatMap((root) => fixtureNames(root).map((name) => ({ root, name })));

describe("exported fixture models", () => {
  it("has fixtures to check", () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });
  for (const { root, name } of fixtures) {
    it(name, async () => {
      const dir = join(root, name);
      const bytes = readFileSync(join(dir, "model.onnx"));
      const before = Buffer.from(bytes);
      const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { input_name: string; op_types?: string[] };
      const imported = importOnnx(bytes, { file: `${name}/model.onnx` });
      expect(Buffer.compare(bytes, before)).toBe(0);
      // Every op carries its ONNX node location.
      for (const op of walkOps(imported)) if (op.name.startsWith("onnx.") && op.loc.kind !== "onnx") expect.fail(`${op.name} has no ONNX location`);
      const { module } = roundTrip(imported);
      const x = readNpy(readFileSync(join(dir, "x_test.npy")));
      const ref = runReference(module.funcs[0]!, [x]);
      const ort = await runOnnxRuntime(bytes, new Map([[meta.input_name, x]]));
      ort.forEach((o, i) => expectClose(ref[i]!, o, 1e-4, 1e-4, `${name}:${o.name} vs onnxruntime`));
      const yRef = readNpy(readFileSync(join(dir, "y_ref.npy")));
      expectClose(ref[0]!, yRef, 1e-4, 1e-4, `${name} vs y_ref.npy`);
    });
  }
});
