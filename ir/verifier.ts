// The verifier: structure (terminators, dominance), then each op against its declaration
// (operand/result counts and constraints, attributes), then the op's own verify hook.
import type { FuncOp, ModuleOp, Operation, Value } from "./core.js";
import { type DiagnosticCode, DiagnosticEmitter, type Location, unknownLoc } from "./diagnostics.js";
import { attrMatches, describeAttrSpecKind, type OpDef, type OperandSpec, type ResultSpec } from "./opdef.js";
import type { OpRegistry } from "./registry.js";
import { shapeOf, typeEquals, typeToString } from "./types.js";

export function verifyModule(module: ModuleOp, registry: OpRegistry, emitter = new DiagnosticEmitter()): DiagnosticEmitter {
  const seen = new Map<string, Location>();
  for (const f of module.funcs) {
    const prev = seen.get(f.name);
    if (prev) emitter.error("E0108", `function @${f.name} is defined twice`, f.loc, { related: [{ message: "first definition here", loc: prev }] });
    seen.set(f.name, f.loc);
    verifyFunc(f, registry, emitter);
  }
  return emitter;
}

function valueLoc(v: Value): Location {
  return v.def?.kind === "result" ? v.def.op.loc : unknownLoc;
}

function verifyFunc(f: FuncOp, registry: OpRegistry, emitter: DiagnosticEmitter): void {
  const ops = f.body.ops;
  const last = ops[ops.length - 1];
  if (!last || last.name !== "func.return") {
    emitter.error("E0209", `function @${f.name} must end with 'return'`, last?.loc ?? f.loc);
  }
  const defined = new Set<Value>(f.args);
  const inThisFunc = new Set<Operation>(ops);
  for (const op of ops) {
    const def = registry.get(op.name);
    if (def?.traits.includes("terminator") && op !== last) {
      emitter.error("E0209", `'${op.name}' must be the last op of its function`, op.loc, { opName: op.name });
    }
    op.operands.forEach((v, i) => {
      if (defined.has(v)) return;
      const defOp = v.definingOp;
      if (defOp && inThisFunc.has(defOp)) {
        emitter.error("E0200", `operand #${i} does not dominate this use: it is defined later`, op.loc, {
          opName: op.name,
          related: [{ message: "defined here", loc: valueLoc(v) }],
        });
      } else {
        emitter.error("E0211", `operand #${i} is not defined in function @${f.name}`, op.loc, { opName: op.name });
      }
    });
    for (const r of op.results) defined.add(r);
    if (!def) {
      emitter.error("E0102", `unknown operation '${op.name}'`, op.loc, { opName: op.name });
      continue;
    }
    verifyOp(op, def, emitter);
  }
  if (last?.name === "func.return") {
    const got = last.operands.map((v) => v.type);
    if (got.length !== f.resultTypes.length || got.some((t, i) => !typeEquals(t, f.resultTypes[i]!))) {
      emitter.error(
        "E0210",
        `returned types (${got.map(typeToString).join(", ")}) differ from the function's result types (${f.resultTypes.map(typeToString).join(", ")})`,
        last.loc,
        { opName: last.name },
      );
    }
  }
}

/** How many values each operand/result spec takes, or undefined when the count cannot fit. */
export function segmentSizes(specs: readonly (OperandSpec | ResultSpec)[], count: number): number[] | undefined {
  const single = specs.filter((s) => (s.arity ?? "single") === "single").length;
  const optional = specs.filter((s) => s.arity === "optional").length;
  const variadic = specs.some((s) => s.arity === "variadic");
  if (count < single || (!variadic && count > single + optional)) return undefined;
  let extra = count - single;
  return specs.map((s) => {
    const arity = s.arity ?? "single";
    if (arity === "single") return 1;
    if (arity === "optional") {
      const take = Math.min(1, extra);
      extra -= take;
      return take;
    }
    const take = extra;
    extra = 0;
    return take;
  });
}

function expectedCount(specs: readonly (OperandSpec | ResultSpec)[], noun: string): string {
  const single = specs.filter((s) => (s.arity ?? "single") === "single").length;
  const optional = specs.filter((s) => s.arity === "optional").length;
  const variadic = specs.some((s) => s.arity === "variadic");
  const plural = (n: number) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  if (variadic) return `at least ${plural(single)}`;
  if (optional > 0) return `${single} to ${plural(single + optional)}`;
  return plural(single);
}

function checkValues(
  op: Operation,
  values: readonly Value[],
  specs: readonly (OperandSpec | ResultSpec)[],
  what: "operand" | "result",
  emitter: DiagnosticEmitter,
): boolean {
  const sizes = segmentSizes(specs, values.length);
  const countCode: DiagnosticCode = what === "operand" ? "E0201" : "E0202";
  if (!sizes) {
    emitter.error(countCode, `expects ${expectedCount(specs, what)}, got ${values.length}`, op.loc, { opName: op.name });
    return false;
  }
  let ok = true;
  let at = 0;
  specs.forEach((spec, s) => {
    for (let k = 0; k < sizes[s]!; k++, at++) {
      const t = values[at]!.type;
      if (!spec.type.check(t)) {
        emitter.error(what === "operand" ? "E0203" : "E0204", `${what} #${at} '${spec.name}' must be ${spec.type.description}, got ${typeToString(t)}`, op.loc, {
          opName: op.name,
        });
        ok = false;
      }
    }
  });
  return ok;
}

function verifyOp(op: Operation, def: OpDef, emitter: DiagnosticEmitter): void {
  let ok = checkValues(op, op.operands, def.operands, "operand", emitter);
  ok = checkValues(op, op.results, def.results, "result", emitter) && ok;
  if (op.dialect !== "onnx" && op.dialect !== "onnx_ml" && op.dialect !== "func") {
    for (const v of [...op.operands, ...op.results]) {
      if (shapeOf(v.type).some((d) => d === null)) {
        emitter.error("E0208", `dynamic dimension in ${typeToString(v.type)}: only the onnx and onnx_ml dialects allow '?'`, op.loc, { opName: op.name });
        ok = false;
        break;
      }
    }
  }
  for (const [name, spec] of Object.entries(def.attributes)) {
    const a = op.attributes.get(name);
    if (!a) {
      if (!spec.optional) {
        emitter.error("E0205", `missing attribute '${name}' (${describeAttrSpecKind(spec.kind)}: ${spec.doc})`, op.loc, { opName: op.name });
        ok = false;
      }
    } else if (!attrMatches(spec.kind, a)) {
      emitter.error("E0206", `attribute '${name}' must be ${describeAttrSpecKind(spec.kind)}, got ${a.kind}`, op.loc, { opName: op.name });
      ok = false;
    }
  }
  for (const name of op.attributes.keys()) {
    // Dotted names (`fhec.range`) are discardable annotations owned by passes, not the op.
    if (!(name in def.attributes) && !name.includes(".")) {
      const known = Object.keys(def.attributes);
      emitter.error("E0207", `unknown attribute '${name}'${known.length ? ` (known: ${known.join(", ")})` : " (the op takes none)"}`, op.loc, { opName: op.name });
      ok = false;
    }
  }
  if (ok && def.verify) def.verify(op, (message) => emitter.error("E0208", message, op.loc, { opName: op.name }));
}
