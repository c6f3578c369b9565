// The layering of docs/architecture.md, checked on every source file's imports: a new import that
// goes against the flow fails here, naming the file and the import.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const LAYERS = ["compiler", "passes", "backends", "runtime", "crypto-model", "ir"] as const;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === "node_modules" || name === "build") continue;
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Repository-relative targets of every relative import (static, dynamic and re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, resolve(dirname(file), s)));
}

/** Which top-level areas each area may import (besides itself). */
function allowed(from: string): (to: string) => boolean {
  const inside = (prefix: string) => (to: string) => to === prefix || to.startsWith(`${prefix}/`);
  const any = (...prefixes: string[]) => (to: string) => prefixes.some((p) => inside(p)(to));
  if (from.startsWith("crypto-model/")) return any("crypto-model");
  if (from.startsWith("ir/")) return any("ir");
  if (from.startsWith("runtime/")) return any("runtime", "crypto-model");
  if (from.startsWith("passes/")) return any("passes", "ir", "crypto-model");
  if (from.startsWith("backends/tfhe/")) return any("backends", "ir", "crypto-model", "runtime");
  if (from.startsWith("backends/")) return any("backends", "ir", "crypto-model");
  // The compiler (library and CLI) reaches the runtime only through the tfhe backend's public surface.
  const throughBackend = (to: string) => !inside("runtime")(to) && (!inside("backends/tfhe")(to) || to === "backends/tfhe/index.js");
  if (from.startsWith("compiler/cli/")) return throughBackend;
  // The library: anything below it but the runtime, never the CLI.
  if (from.startsWith("compiler/")) return (to) => throughBackend(to) && !inside("compiler/cli")(to);
  return () => true;
}

/** The import cycles among `files` (strongly connected components of two or more modules), each sorted. */
function importCycles(files: readonly string[], importsOf: (rel: string) => readonly string[]): string[][] {
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, importsOf(f).map((t) => t.replace(/\.js$/, ".ts")).filter((t) => known.has(t))]));
  // Tarjan's algorithm: a component is complete when its root's low link equals its own index.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe("import rules", () => {
  const files = LAYERS.flatMap((l) => sources(join(ROOT, l))).map((f) => ({ abs: f, rel: relative(ROOT, f) }));

  it("finds the sources", () => {
    expect(files.some((f) => f.rel === "compiler/compile.ts")).toBe(true);
    expect(files.some((f) => f.rel === "crypto-model/noise.ts")).toBe(true);
  });

  it("every import flows compiler → passes → ir, backends → ir, backends/tfhe → runtime, all → crypto-model; the compiler reaches the runtime only through backends/tfhe/index.ts", () => {
    const violations: string[] = [];
    for (const f of files) {
      const ok = allowed(f.rel);
      for (const target of importsOf(f.abs)) if (!ok(target)) violations.push(`${f.rel} imports ${target}`);
    }
    expect(violations).toEqual([]);
  });

  it("one backend reaches another only through its index.ts; what simulators share is in backends/simulation", () => {
    const backendOf = (path: string) => /^backends\/([^/]+)\//.exec(path)?.[1];
    const violations: string[] = [];
    for (const f of files) {
      const from = backendOf(f.rel);
      if (!from) continue;
      for (const target of importsOf(f.abs)) {
        const to = backendOf(target);
        if (to && to !== from && to !== "simulation" && target !== `backends/${to}/index.js`) violations.push(`${f.rel} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("no module of the library takes part in an import cycle", () => {
    const byRel = new Map(files.map((f) => [f.rel, f.abs]));
    expect(importCycles([...byRel.keys()], (rel) => importsOf(byRel.get(rel)!))).toEqual([]);
  });

  it("the cycle finder reports a two-module and a three-module cycle, and not a chain", () => {
    const graph: Record<string, string[]> = { "a.ts": ["b.js"], "b.ts": ["a.js"], "c.ts": ["d.js"], "d.ts": ["e.js"], "e.ts": ["c.js"], "f.ts": ["a.js"] };
    expect(importCycles(Object.keys(graph), (f) => graph[f]!)).toEqual([["a.ts", "b.ts"], ["c.ts", "d.ts", "e.ts"]]);
  });

  it("the checker itself catches a forbidden import", () => {
    expect(allowed("passes/x.ts")("runtime/index.js")).toBe(false);
    expect(allowed("compiler/circuit.ts")("compiler/cli/io.js")).toBe(false);
    expect(allowed("backends/clear/x.ts")("runtime/index.js")).toBe(false);
    expect(allowed("compiler/deploy/client.ts")("runtime/index.js")).toBe(false);
    expect(allowed("compiler/container.ts")("backends/tfhe/batch_io.js")).toBe(false);
    expect(allowed("compiler/cli/commands/serve.ts")("runtime/index.js")).toBe(false);
    expect(allowed("compiler/deploy/client.ts")("backends/tfhe/index.js")).toBe(true);
  });
});
