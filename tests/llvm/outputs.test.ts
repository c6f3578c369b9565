// Caller-supplied result arrays (RunOptions.outputs) on both backends: the results land in them,
// byte for byte the fresh arrays' results, a later run overwrites them, and arrays that do not fit
// (count, length, memory shared with an input) are refused before anything is written.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { take } from "../../bench/fixtures.js";
import { loadFixture } from "../helpers/fixtures.js";
import { bytes, status, tick } from "./helpers.js";

describe.skipIf(!status.ok)("runClear into caller-supplied result arrays", () => {
  const f = loadFixture("mlp");
  const circuit = compile(f.model, { calibration: f.calib });
  // 70 samples: two whole blocks of the kernel and a partial one.
  const q = circuit.quantizeInputs([take(f.x, 70)]);
  // Other samples (the fixture holds 100).
  const other = circuit.quantizeInputs([{ shape: [70, ...f.x.shape.slice(1)], data: f.x.data.subarray(30 * 64, 100 * 64) }]);

  for (const backend of ["clear", "llvm"] as const) {
    for (const fhe of ["disable", "simulate"] as const) {
      it(`${backend} ${fhe}: the results land in the arrays, as fresh runs give them`, async () => {
        await tick();
        const fresh = circuit.runClear(q, { fhe, backend });
        const arrays = fresh.map((o) => new Float64Array(o.data.length).fill(NaN));
        const into = circuit.runClear(q, { fhe, backend, outputs: arrays });
        into.forEach((o, i) => {
          expect(o.data).toBe(arrays[i]);
          expect(o.shape).toEqual(fresh[i]!.shape);
          expect(bytes(o.data).equals(bytes(fresh[i]!.data))).toBe(true);
        });
        // The next run given the same arrays overwrites them.
        const next = circuit.runClear(other, { fhe, backend });
        circuit.runClear(other, { fhe, backend, outputs: arrays });
        arrays.forEach((a, i) => expect(bytes(a).equals(bytes(next[i]!.data))).toBe(true));
      }, 120_000);
    }

    it(`${backend}: arrays that do not fit are refused, untouched`, () => {
      const size = circuit.runClear(q, { fhe: "disable", backend })[0]!.data.length;
      const short = new Float64Array(size - 1).fill(7);
      expect(() => circuit.runClear(q, { fhe: "disable", backend, outputs: [short] })).toThrow(/holds 699 values, expected 700/);
      expect(short.every((v) => v === 7)).toBe(true);
      expect(() => circuit.runClear(q, { fhe: "disable", backend, outputs: [] })).toThrow(/1 result\(s\), got 0 output array/);
      const shared = new Float64Array(q[0]!.data.buffer as ArrayBuffer, 0, size);
      expect(() => circuit.runClear(q, { fhe: "disable", backend, outputs: [shared] })).toThrow(/shares its memory with an input/);
    });
  }
});
