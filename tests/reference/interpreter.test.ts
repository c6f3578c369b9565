// Reference interpreter unit tests: numerics and input checking.
import { describe, expect, it } from "vitest";
import { erf, roundHalfEven } from "../../backends/reference/kernels.js";
import { runReference } from "../../backends/reference/interpreter.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { CompileError } from "../../ir/diagnostics.js";
import { parseModule } from "../../ir/parser/index.js";

function func(text: string) {
  const parsed = parseModule(text, "t.mlir", defaultRegistry);
  expect(parsed.diagnostics).toEqual([]);
  return parsed.module!.funcs[0]!;
}

const addModule = `module {
  func.func @main(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
    %c = onnx.Constant {value = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>} : () -> tensor<3xf32>
    %y = onnx.Add %x, %c : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    return %y : tensor<?x3xf32>
  }
}
`;

describe("reference interpreter", () => {
  it("erf matches known values to float64 accuracy", () => {
    const known: [number, number][] = [
      [0, 0],
      [0.01, 0.011283415555849618],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [4.5, 0.9999999998033839],
    ];
    for (const [x, want] of known) {
      expect(Math.abs(erf(x) - want)).toBeLessThan(1e-15 + 1e-14 * want);
      expect(erf(-x)).toBe(-erf(x));
    }
  });
  it("rounds half to even", () => {
    expect([0.5, 1.5, 2.5, -0.5, -2.5, 2.6, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 3, -3]);
  });
  it("runs a whole batch with a dynamic batch dimension, rounding to f32", () => {
    const f = func(addModule);
    const [y] = runReference(f, [{ shape: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) }]);
    expect(y!.shape).toEqual([2, 3]);
    expect([...y!.data]).toEqual([1, 2, 3, 4, 5, 6].map((v, i) => Math.fround(v + Math.fround([0.1, 0.2, 0.3][i % 3]!))));
  });
  it("rejects inputs of the wrong shape and NaN inputs", () => {
    const f = func(addModule);
    expect(() => runReference(f, [{ shape: [2, 4], data: new Float64Array(8) }])).toThrow(/input #0 'x' has shape \[2, 4\], expected tensor<\?x3xf32>/);
    expect(() => runReference(f, [{ shape: [1, 3], data: Float64Array.of(0, NaN, 1) }])).toThrow(CompileError);
    expect(() => runReference(f, [])).toThrow(/takes 1 input/);
  });
  it("reports an out-of-range Gather index with the op", () => {
    const f = func(`module {
  func.func @main(%x: tensor<3xf32>, %i: tensor<1xi64>) -> tensor<1xf32> {
    %y = onnx.Gather %x, %i : (tensor<3xf32>, tensor<1xi64>) -> tensor<1xf32>
    return %y : tensor<1xf32>
  }
}
`);
    try {
      runReference(f, [{ shape: [3], data: new Float64Array(3) }, { shape: [1], data: Float64Array.of(5) }]);
      expect.fail("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(CompileError);
      expect((e as CompileError).diagnostics[0]!.message).toBe("Gather index 5 is out of range for axis 0 of size 3");
      expect((e as CompileError).diagnostics[0]!.opName).toBe("onnx.Gather");
    }
  });
});
