// crypto-params' `last-step-bits`: the width of exact roundings' last extraction step, read with the
// kept bits by one table. Fixed widths shorten gemm_tree's comparison rounding (5 → 2 bits, 3 PBS
// per chain bit by bit; its 6 comparisons share 5 chains); 0 chooses by the cost model and keeps
// bit by bit unless a wide step saves at least MIN_GAIN.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { roundDigits } from "../../ir/dialects/fhe.js";
import { analyzeNorms, cryptoParamsPass } from "../../passes/params/pass.js";
import { loadFixture } from "../helpers/fixtures.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { DiagnosticEmitter } from "../../ir/diagnostics.js";

const ctx = () => ({ registry: defaultRegistry, emitter: new DiagnosticEmitter() });

const OPTIONS = { "p-error": 0, "global-p-error": 0, "max-partitions": 3, "max-key-bytes": 0 };

function treeRound() {
  const f = loadFixture("gemm_tree");
  const circuit = compile(f.model, { calibration: f.calib });
  const round = circuit.func.body.ops.find((op) => op.name === "fhe.round")!;
  return { circuit, round };
}

/** PBS of the round per sample: its constraints' counts (one per step and element). */
const roundPbs = (c: ReturnType<typeof treeRound>) => analyzeNorms(c.circuit.func).constraints.filter((x) => x.reader === c.round).reduce((s, x) => s + (x.count ?? 1), 0);

describe("crypto-params last-step-bits on gemm_tree", () => {
  it("the default reads bit by bit: 3 steps × 5 chains = 15 PBS", () => {
    const t = treeRound();
    expect(roundDigits(t.round)).toEqual([1, 1, 1]);
    expect(roundPbs(t)).toBe(15);
  });

  it("a 2-bit last step: 1 one-bit step and one 4-bit table per chain, under 15 PBS", () => {
    const t = treeRound();
    cryptoParamsPass.run(t.circuit.module, { ...OPTIONS, "last-step-bits": 2 }, ctx());
    expect(roundDigits(t.round)).toEqual([1, 2]);
    expect(roundPbs(t)).toBe(10);
    expect(analyzeNorms(t.circuit.func).constraints.filter((x) => x.reader === t.round).map((x) => x.precision)).toEqual([1, 4]);
  });

  it("0 compares the widths by the cost model and keeps bit by bit here (a wide step saves under 10%)", () => {
    const t = treeRound();
    cryptoParamsPass.run(t.circuit.module, { ...OPTIONS, "last-step-bits": 0 }, ctx());
    expect(roundDigits(t.round)).toEqual([1, 1, 1]);
  });

  it("refuses a width outside [0, 4]", () => {
    const t = treeRound();
    expect(() => cryptoParamsPass.run(t.circuit.module, { ...OPTIONS, "last-step-bits": 5 }, ctx())).toThrow(/last-step-bits' must be an integer in \[0, 4\]/);
  });
});
