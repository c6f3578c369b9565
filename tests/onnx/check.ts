// Shared test steps: import → print → re-parse → verify → reference run, compared with onnxruntime.
import { expect } from "vitest";
import { runReference } from "../../backends/reference/interpreter.js";
import { importOnnx } from "../../compiler/onnx/index.js";
import { runOnnxRuntime } from "../../compiler/onnx/ort.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { renderDiagnostics } from "../../ir/diagnostics.js";
import { parseModule } from "../../ir/parser/index.js";
import { printModule } from "../../ir/printer.js";
import type { NDArray } from "../../ir/tensor.js";
import { verifyModule } from "../../ir/verifier.js";
import type { ModuleOp } from "../../ir/core.js";
import { buildModel, type ModelSpec, randomValues } from "./graph_builder.js";

/** Prints, re-parses and verifies; returns the re-parsed module (which is what gets executed). */
export function roundTrip(module: ModuleOp): { text: string; module: ModuleOp } {
  const text = printModule(module);
  const parsed = parseModule(text, "imported.mlir", defaultRegistry);
  expect(renderDiagnostics(parsed.diagnostics, new Map([["imported.mlir", text]]))).toBe("");
  const verified = verifyModule(parsed.module!, defaultRegistry);
  expect(renderDiagnostics(verified.diagnostics, new Map([["imported.mlir", text]]))).toBe("");
  expect(printModule(parsed.module!)).toBe(text);
  return { text, module: parsed.module! };
}

export function expectClose(got: NDArray, want: NDArray, rel: number, abs: number, what = "output"): void {
  expect(got.shape, `${what} shape`).toEqual(want.shape);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]!;
    const w = want.data[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    const excess = Math.abs(g - w) - (rel * Math.abs(w) + abs);
    if (!(excess <= 0) && (at < 0 || excess > worst)) {
      worst = excess;
      at = i;
    }
  }
  if (at >= 0) {
    expect.fail(`${what}[${at}] = ${got.data[at]} differs from ${want.data[at]} beyond rel ${rel} / abs ${abs}`);
  }
}

export function arr(shape: number[], data: number[]): NDArray {
  return { shape, data: Float64Array.from(data) };
}

export function rand(shape: number[], seed: number, lo = -2, hi = 2): NDArray {
  return arr(shape, randomValues(shape.reduce((p, d) => p * d, 1), seed, lo, hi));
}

/**
 * Builds the model, imports it, round-trips the IR, runs the reference interpreter and
 * onnxruntime on the same inputs and compares every output (rel 1e-5, abs 1e-6).
 */
export async function checkAgainstOrt(spec: ModelSpec, inputs: Record<string, NDArray>, tol = { rel: 1e-5, abs: 1e-6 }): Promise<string> {
  const bytes = buildModel(spec);
  const { text, module } = roundTrip(importOnnx(bytes, { file: "test.onnx" }));
  const func = module.funcs[0]!;
  const args = spec.inputs.map((v) => inputs[v.name]!);
  const ref = runReference(func, args);
  const ort = await runOnnxRuntime(bytes, new Map(Object.entries(inputs)));
  expect(ref.length).toBe(ort.length);
  ort.forEach((o, i) => expectClose(ref[i]!, o, tol.rel, tol.abs, o.name));
  return text;
}
