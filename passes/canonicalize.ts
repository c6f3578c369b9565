// canonicalize: greedy rewriting to a fixed point, capped. Folds ops whose operands are
// constants (through each op's declared folder), removes dead pure ops, and composes
// `apply_lookup_table ∘ apply_lookup_table` into one table. Correctness never depends on it.
import type { DenseAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { FuncOp, ModuleOp, Operation } from "../ir/core.js";
import { hasTrait } from "../ir/opdef.js";
import type { OpRegistry } from "../ir/registry.js";
import type { Pass, PassReport } from "./pass.js";
import { composeTables } from "./tlu_compose.js";

/** The constant value an op produces, if it is a constant-like op. */
function constantValue(op: Operation | undefined, registry: OpRegistry): DenseAttr | undefined {
  if (!op || !hasTrait(registry.get(op.name), "constantLike")) return undefined;
  const v = op.attr("value");
  return v?.kind === "dense" ? v : undefined;
}

function isDead(op: Operation, registry: OpRegistry): boolean {
  const def = registry.get(op.name);
  return hasTrait(def, "pure") && op.results.every((r) => r.uses.length === 0);
}

/** One rewrite attempt on `op`; returns the ops whose situation changed (to revisit), or undefined. */
function rewrite(op: Operation, registry: OpRegistry): Operation[] | undefined {
  const def = registry.get(op.name);
  if (!def) return undefined;

  if (isDead(op, registry)) {
    const producers = op.operands.map((v) => v.definingOp).filter((p): p is Operation => p !== undefined);
    op.erase();
    return producers;
  }

  if (def.fold && hasTrait(def, "pure") && !hasTrait(def, "constantLike")) {
    const constants = op.operands.map((v) => constantValue(v.definingOp, registry));
    const folded = def.fold(op, constants);
    if (folded) {
      const users = op.results.flatMap((r) => r.uses.map((u) => u.op));
      const builder = Builder.before(op);
      op.results.forEach((r, i) => {
        const replacement = folded.kind === "values" ? folded.values[i]! : builder.constant(folded.values[i]!, r.nameHint);
        r.replaceAllUsesWith(replacement);
      });
      const producers = op.operands.map((v) => v.definingOp).filter((p): p is Operation => p !== undefined);
      op.erase();
      return [...users, ...producers];
    }
  }

  if (op.name === "fhe.apply_lookup_table") return composeTables(op);
  return undefined;
}

export interface CanonicalizeResult {
  readonly converged: boolean;
  readonly iterations: number;
  readonly rewrites: number;
}

/** Runs the greedy driver on one function: sweeps until a sweep changes nothing, at most maxIterations. */
export function canonicalizeFunc(func: FuncOp, registry: OpRegistry, maxIterations: number): CanonicalizeResult {
  let rewrites = 0;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    let changed = false;
    const worklist = [...func.body.ops].reverse();
    const queued = new Set(worklist);
    while (worklist.length > 0) {
      const op = worklist.pop()!;
      queued.delete(op);
      if (op.parent !== func.body) continue; // erased meanwhile
      const revisit = rewrite(op, registry);
      if (!revisit) continue;
      changed = true;
      rewrites++;
      for (const r of revisit) {
        if (r.parent === func.body && !queued.has(r)) {
          queued.add(r);
          worklist.push(r);
        }
      }
    }
    if (!changed) return { converged: true, iterations: iteration, rewrites };
  }
  return { converged: false, iterations: maxIterations, rewrites };
}

export const canonicalizePass: Pass = {
  name: "canonicalize",
  summary: "Fold constants, remove dead ops, compose table lookups (greedy, capped)",
  options: {
    "max-iterations": { type: "int", default: 10, doc: "sweeps before giving up on reaching a fixed point" },
  },
  run(module: ModuleOp, options, ctx): PassReport {
    const max = options["max-iterations"] as number;
    let converged = true;
    let rewrites = 0;
    let iterations = 0;
    for (const func of module.funcs) {
      const r = canonicalizeFunc(func, ctx.registry, max);
      rewrites += r.rewrites;
      iterations = Math.max(iterations, r.iterations);
      if (!r.converged) {
        converged = false;
        ctx.emitter.warning("W0303", `canonicalize did not converge on @${func.name} within ${max} iterations`, func.loc);
      }
    }
    return { changed: rewrites > 0, details: { converged, iterations, rewrites } };
  },
};
