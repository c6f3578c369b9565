// Shared helpers for benchmarks over the bundled fixture models.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readNpy } from "../compiler/data/npy.js";
import type { NDArray } from "../ir/tensor.js";
import type { TfheParameters } from "../runtime/index.js";

/** The repository root, whether running from bench/ (sources) or dist/bench/ (compiled). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      readFileSync(join(dir, "package.json"));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error("bench: cannot find the repository root");
}

export interface Fixture {
  readonly name: string;
  readonly model: string;
  readonly calib: NDArray;
  readonly x: NDArray;
  readonly y: NDArray;
  readonly task: "classification" | "regression";
  /** The output accuracy is judged on (a classifier's probabilities, not its label). */
  readonly outputName: string;
}

/**
 * The fixture sets under tests/fixtures/: `main`, the models the compiler was developed on,
 * `extra`, new models of the same classes (examples/fixtures/make_extra_fixtures.py), and
 * `heldout`, models with 600-row test splits that measure accuracy loss six times more finely
 * (examples/fixtures/make_heldout_fixtures.py).
 */
export const FIXTURE_SETS = { main: "models", extra: "models_extra", heldout: "models_heldout" } as const;
export type FixtureSet = keyof typeof FIXTURE_SETS;

function setDir(set: FixtureSet): string {
  return join(repoRoot(), "tests", "fixtures", FIXTURE_SETS[set]);
}

/** The fixture folders (those holding a model.onnx) in `dir`, sorted; none if it does not exist. */
function modelFolders(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, "model.onnx"))).sort() : [];
}

/** The fixture names of a set (`all`: every set), or of a folder of fixtures laid out the same way. */
export function fixtureNames(set: FixtureSet | "all", folder?: string): string[] {
  if (folder !== undefined) return modelFolders(folder);
  const sets = set === "all" ? (Object.keys(FIXTURE_SETS) as FixtureSet[]) : [set];
  return sets.flatMap((s) => modelFolders(setDir(s)));
}

/** A fixture by name, from `folder` when given, else from whichever bundled set holds it. */
export function fixture(name: string, folder?: string): Fixture {
  const set = folder === undefined ? (Object.keys(FIXTURE_SETS) as FixtureSet[]).find((s) => existsSync(join(setDir(s), name, "model.onnx"))) : undefined;
  const root = folder ?? (set ? setDir(set) : undefined);
  if (!root || !existsSync(join(root, name, "model.onnx"))) throw new Error(`bench: no fixture '${name}' in ${folder ?? `tests/fixtures/{${Object.values(FIXTURE_SETS).join(",")}}`}`);
  const dir = join(root, name);
  const npy = (f: string) => readNpy(readFileSync(join(dir, f)));
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { task: Fixture["task"]; output_name?: string };
  return { name, model: join(dir, "model.onnx"), calib: npy("calib.npy"), x: npy("x_test.npy"), y: npy("y_test.npy"), task: meta.task, outputName: meta.output_name ?? "" };
}

/** Repeats the samples of `x` to `n` samples. */
export function repeatSamples(x: NDArray, n: number): NDArray {
  const per = x.data.length / x.shape[0]!;
  const data = new Float64Array(n * per);
  for (let s = 0; s < n; s++) data.set(x.data.subarray((s % x.shape[0]!) * per, ((s % x.shape[0]!) + 1) * per), s * per);
  return { shape: [n, ...x.shape.slice(1)], data };
}

/** How many timed runs fit in `budgetMs` after a first run of `firstMs`: at least 3, at most `maxReps`. */
export function repsWithin(budgetMs: number, firstMs: number, maxReps: number): number {
  return Math.max(3, Math.min(maxReps, Math.floor(budgetMs / Math.max(firstMs, 1e-3))));
}

/** `f()`'s wall time (ms) and its result. */
export function timed<T>(f: () => T): [number, T] {
  const t = performance.now();
  const r = f();
  return [performance.now() - t, r];
}

/** The median (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export function writeJson(name: string, data: unknown): string {
  const dir = join(repoRoot(), "bench", "out");
  const path = join(dir, `${name}.json`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2));
  return path;
}

/** The value after `--name` in a bench's arguments. */
export function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The first `n` samples of `x`. */
export function take(x: NDArray, n: number): NDArray {
  const per = x.data.length / x.shape[0]!;
  return { shape: [n, ...x.shape.slice(1)], data: x.data.subarray(0, n * per) };
}

/** The columns every PBS benchmark row starts with: the set and its geometry. */
export interface ParameterColumns {
  set: string;
  precision: number;
  n: number;
  k: number;
  N: number;
  pbs: string;
  ks: string;
}

export function parameterColumns(set: string, params: TfheParameters, precision: number): ParameterColumns {
  return {
    set, precision, n: params.lweDimension, k: params.glweDimension, N: params.polynomialSize,
    pbs: `2^${params.pbsBaseLog}×${params.pbsLevel}`, ks: `2^${params.ksBaseLog}×${params.ksLevel}`,
  };
}
