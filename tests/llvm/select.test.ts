// Backend selection: `auto` takes LLVM only when it is available and pays (a large batch, or code
// already compiled for the circuit); explicit choices are kept.
import { describe, expect, it } from "vitest";
import { compileLlvm, llvmPays, llvmStatus, resetLlvmStatus, resolveBackend, workPerSample } from "../../backends/llvm/index.js";
import { genGraph } from "../clear/gen.js";

describe("backend selection", () => {
  const { func } = genGraph(3, { ops: ["matmul", "tlu", "conv", "sum"] });

  it("counts multiply-adds of the linear ops in the work per sample", () => {
    expect(workPerSample(func)).toBeGreaterThan(0);
  });

  it("LLVM pays for large batches only", () => {
    expect(llvmPays(func, 1)).toBe(false);
    expect(llvmPays(func, 1e9)).toBe(true);
  });

  it("explicit choices are kept; auto falls back to clear when LLVM is unavailable", () => {
    const saved = process.env["FHEC_LLVM_BINDINGS"];
    process.env["FHEC_LLVM_BINDINGS"] = "fhec-test-no-such-package";
    resetLlvmStatus();
    try {
      expect(resolveBackend("clear", func, 1e9, {})).toBe("clear");
      expect(resolveBackend("llvm", func, 1, {})).toBe("llvm");
      expect(resolveBackend("auto", func, 1e9, {})).toBe("clear");
    } finally {
      if (saved === undefined) delete process.env["FHEC_LLVM_BINDINGS"];
      else process.env["FHEC_LLVM_BINDINGS"] = saved;
      resetLlvmStatus();
    }
  });

  it.skipIf(!llvmStatus().ok)("auto uses code already compiled for the circuit and mode, even for one sample", () => {
    expect(resolveBackend("auto", func, 1, { approximateTies: "up" })).toBe("clear");
    compileLlvm(func, { approximateTies: "up" });
    expect(resolveBackend("auto", func, 1, { approximateTies: "up" })).toBe("llvm");
    // Another draw mode has its own code.
    expect(resolveBackend("auto", func, 1, { approximateTies: "random", pError: 0.01 })).toBe("clear");
  });
});
