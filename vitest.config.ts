import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

// The files that take longest on a 2-core machine (most of it one long FHE run, native
// compilations or a child process), longest first: started first, so that two workers do not end
// with one of them running a long file alone (on a fresh clone vitest has no timing cache and
// orders by file size instead). Approximate seconds of a clean-clone run alongside each.
const SLOW_FIRST = [
  "tests/compile/fixtures.test.ts", // ~100
  "tests/llvm/equal_clear_random.test.ts", // ~95
  "tests/deploy/large_artifact.test.ts", // ~70
  "tests/llvm/equal_clear_fixtures.test.ts", // ~70
  "tests/package/packed_install.test.ts", // ~65
  "tests/compile/key_budget.test.ts", // ~65
  "tests/llvm/equal_clear_forms.test.ts", // ~65
  "tests/docs/readme_blocks.test.ts", // ~35
  "tests/runtime/noise.test.ts", // ~30
  "tests/deploy/deploy.test.ts", // ~30
  "tests/tfhe/fixtures.test.ts", // ~25
  "tests/tfhe/fidelity_model.test.ts", // ~25
  "tests/compile/quantization.test.ts", // ~15
  "tests/runtime/shared_pbs.test.ts", // ~15
  "tests/runtime/pbs.test.ts", // ~15
  "tests/runtime/multibit.test.ts", // ~15
  "tests/compile/precision.test.ts", // ~15
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((s) => f.moduleId.endsWith(s));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    // Stable: files not in the list keep vitest's order (cached durations, else size).
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // vitest's default is one worker per core minus one: a single worker on 2 cores. Most files
    // are single-threaded (compilation, simulation, child processes), so two workers keep both
    // cores busy.
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    sequence: { sequencer: SlowFirst },
    globalSetup: ["tests/setup/build_dist.ts"],
  },
});
