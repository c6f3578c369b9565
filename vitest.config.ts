import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

// The files that take longest (each over ~20 s on a 2-core machine, most of it one long FHE run
// or child process). Started first, so that two workers do not end with one of them running a
// long file alone: on a fresh clone vitest has no timing cache and orders by file size instead.
const SLOW_FIRST = [
  "tests/tfhe/fidelity_model.test.ts",
  "tests/llvm/equal_clear_fixtures.test.ts",
  "tests/llvm/equal_clear_random.test.ts",
  "tests/llvm/equal_clear_forms.test.ts",
  "tests/docs/readme_blocks.test.ts",
  "tests/package/packed_install.test.ts",
  "tests/runtime/noise.test.ts",
  "tests/compile/fixtures.test.ts",
  "tests/tfhe/fixtures.test.ts",
  "tests/runtime/pbs.test.ts",
  "tests/deploy/deploy.test.ts",
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
