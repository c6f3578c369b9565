// The LLVM backend against the clear backend, bit for bit, on every bundled fixture: outputs (compared
// as bytes), statistics and overflow errors, in disable mode and in simulate mode with the same seed
// (the same draws: read noise, rounding ties, p_error redirections). Random graphs: equal_clear_random and equal_clear_forms.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { BatchTensor } from "../../backends/clear/index.js";
import { compile } from "../../compiler/compile.js";
import { take } from "../../bench/fixtures.js";
import { fixturesRoot, loadFixture } from "../helpers/fixtures.js";
import { bytes, expectSame, status, tick } from "./helpers.js";

/** Samples per fixture: enough for ties, noise draws near ties and p_error redirections on every fixture. */
const SAMPLES = 200;

describe.skipIf(!status.ok)("LLVM backend equals the clear backend on the bundled fixtures", () => {
  for (const name of readdirSync(fixturesRoot).sort()) {
    // Each `it` stays short: one compiled circuit per fixture, shared by its cases. The first case
    // also compiles the circuit (parameter search included), which takes minutes on a loaded machine.
    let made: { circuit: ReturnType<typeof compile>; q: BatchTensor[]; windowed: boolean } | undefined;
    const setup = () => {
      if (made) return made;
      const f = loadFixture(name);
      const circuit = compile(f.model, { calibration: f.calib });
      const q = circuit.quantizeInputs([take(f.x, Math.min(SAMPLES, f.x.shape[0]!))]);
      made = { circuit, q, windowed: circuit.func.body.ops.some((op) => op.name === "fhe.rescale") };
      return made;
    };
    it(`${name}: disable`, async () => {
      await tick();
      const { circuit, q, windowed } = setup();
      await tick();
      await expectSame(circuit.func, q, { pError: 0, approximateTies: "up", checkOverflow: !windowed }, `${name} disable`);
    }, 300_000);
    for (const noise of ["parameters", "bound"] as const) {
      it(`${name}: simulate with ${noise} noise, seeds 0 and 1`, async () => {
        const { circuit, q } = setup();
        for (const seed of [0, 1]) {
          await tick();
          await expectSame(circuit.func, q, { pError: circuit.pError, approximateTies: "random", seed, noise, checkOverflow: false }, `${name} simulate seed ${seed} ${noise}`);
        }
      }, 300_000);
    }
    it(`${name}: p_error redirections (p_error 0.05) and the circuit API's backend option`, async () => {
      await tick();
      const { circuit, q } = setup();
      await tick();
      await expectSame(circuit.func, q, { pError: 0.05, approximateTies: "random", seed: 7, noise: "bound", checkOverflow: false }, `${name} p_error 0.05`);
      for (const fhe of ["disable", "simulate"] as const) {
        await tick();
        const a = circuit.runClearWithStats(q, { fhe, seed: 3, backend: "clear" });
        const b = circuit.runClearWithStats(q, { fhe, seed: 3, backend: "llvm" });
        a.outputs.forEach((o, i) => expect(bytes(b.outputs[i]!.data).equals(bytes(o.data)), `${name} ${fhe} via the circuit`).toBe(true));
      }
    }, 300_000);
  }
});
