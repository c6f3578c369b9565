// A short run of the fuzz harness (bench/fuzz_harness.ts; long runs: `npm run bench -- fuzz`):
// every artifact kind, mutated, is accepted or refused with a user-facing error — never a raw
// TypeError/RangeError, an internal error or a hang.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ARTIFACT_KINDS, type Corpus, fuzzKind, makeCorpus, mutateBytes, outcomeOf, Rng, consumeOnnx } from "../../bench/fuzz_harness.js";
import { readFileSync } from "node:fs";
import { loadFixture } from "../helpers/fixtures.js";

const f = loadFixture("logreg_demo");
let corpus: Corpus;
const take = (x: { shape: readonly number[]; data: Float64Array }, n: number) => ({ shape: [n, ...x.shape.slice(1)], data: x.data.subarray(0, (n * x.data.length) / x.shape[0]!) });

beforeAll(async () => {
  corpus = await makeCorpus(f.model, f.calib, take(f.x, 2));
}, 120_000);

describe("fuzzed artifacts are accepted or refused clearly (short run)", () => {
  for (const kind of ARTIFACT_KINDS) {
    it(kind.name, async () => {
      // Few cases: the keys are ~12 MiB, each case re-hashes them; the bench runs for minutes.
      const r = await fuzzKind(corpus, kind, { cases: kind.name === "evaluation-keys" ? 6 : 40, budgetMs: 20_000 });
      expect(r.findings, JSON.stringify(r.findings.slice(0, 3))).toEqual([]);
      expect(r.slow).toBe(0);
      expect(r.cases).toBeGreaterThan(0);
    }, 60_000);
  }

  it("onnx models", async () => {
    const bytes = new Uint8Array(readFileSync(join(f.dir, "model.onnx")));
    const findings: string[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const r = await outcomeOf(() => consumeOnnx(mutateBytes(bytes, new Rng(seed), 256), f.calib, seed % 4 === 0));
      if (r.outcome === "crash") findings.push(`seed ${seed}: ${r.error}`);
    }
    expect(findings).toEqual([]);
  }, 60_000);
});
