// Text → IR. Lexing and grammar errors stop at the first one; name resolution reports every
// problem it finds. Forward references are resolved here and left for the verifier's dominance check.
import type { IRecognitionException } from "chevrotain";
import { FuncOp, ModuleOp, Operation, Value } from "../core.js";
import { DiagnosticEmitter, type Diagnostic, type Location } from "../diagnostics.js";
import type { OpRegistry } from "../registry.js";
import { typeEquals, typeToString } from "../types.js";
import { type AstFunc, type AstOp, IrGrammar, type Pos } from "./grammar.js";
import { irLexer } from "./lexer.js";

export interface ParseResult {
  /** Undefined when there were errors. */
  readonly module: ModuleOp | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

// The grammar's self-analysis is costly; one instance is reused (it is reset on every parse).
let grammar: IrGrammar | undefined;

export function parseModule(text: string, file: string, registry: OpRegistry): ParseResult {
  const emitter = new DiagnosticEmitter();
  const loc = (p: Pos): Location => ({ kind: "file", file, line: p.line, col: p.col, length: p.length });

  const lexed = irLexer.tokenize(text);
  if (lexed.errors.length > 0) {
    const e = lexed.errors[0]!;
    const ch = text.slice(e.offset, e.offset + e.length);
    emitter.error("E0100", `unexpected character '${ch}'`, loc({ line: e.line ?? 0, col: e.column ?? 0, length: e.length }));
    return { module: undefined, diagnostics: emitter.diagnostics };
  }
  grammar ??= new IrGrammar();
  grammar.semanticErrors = [];
  grammar.input = lexed.tokens;
  const ast = grammar.module();
  if (grammar.errors.length > 0) {
    emitter.error("E0101", grammar.errors[0]!.message, loc(syntaxErrorPos(grammar.errors[0]!, text)));
    return { module: undefined, diagnostics: emitter.diagnostics };
  }
  for (const e of grammar.semanticErrors) emitter.error(e.code, e.message, loc(e.pos));
  if (emitter.hasErrors()) return { module: undefined, diagnostics: emitter.diagnostics };

  const module = new ModuleOp(ast.attributes, loc(ast.pos));
  const funcNames = new Map<string, Pos>();
  for (const f of ast.funcs) {
    const prev = funcNames.get(f.name);
    if (prev) {
      emitter.error("E0108", `function @${f.name} is defined twice`, loc(f.pos), { related: [{ message: "first definition here", loc: loc(prev) }] });
    }
    funcNames.set(f.name, f.pos);
    module.addFunc(buildFunc(f, registry, emitter, loc));
  }
  return { module: emitter.hasErrors() ? undefined : module, diagnostics: emitter.diagnostics };
}

function syntaxErrorPos(e: IRecognitionException, text: string): Pos {
  const tok = e.token;
  if (tok.startLine !== undefined && !Number.isNaN(tok.startLine)) return { line: tok.startLine, col: tok.startColumn ?? 1, length: tok.image.length || 1 };
  // End of input: point just past the last character.
  const lines = text.replace(/\s+$/, "").split("\n");
  return { line: lines.length, col: (lines[lines.length - 1]?.length ?? 0) + 1, length: 1 };
}

function buildFunc(f: AstFunc, registry: OpRegistry, emitter: DiagnosticEmitter, loc: (p: Pos) => Location): FuncOp {
  const func = new FuncOp(f.name, f.resultTypes, f.attributes, loc(f.pos));
  const defs = new Map<string, { value: Value; pos: Pos }>();
  const define = (name: string, pos: Pos, value: Value) => {
    const prev = defs.get(name);
    if (prev) {
      emitter.error("E0103", `SSA value %${name} is defined twice`, loc(pos), { related: [{ message: "previous definition here", loc: loc(prev.pos) }] });
      return;
    }
    defs.set(name, { value, pos });
  };
  for (const a of f.args) define(a.ref.name, a.ref.pos, func.body.addArg(a.type, a.ref.name));

  // Names defined anywhere in the function, so a use before its definition is a dominance error
  // (reported by the verifier), not an undefined name.
  const laterDefs = new Set<string>();
  for (const op of f.ops) for (const r of op.results) laterDefs.add(r.name);
  const forward = new Map<string, Value[]>();

  for (const a of f.ops) {
    const op = buildOp(a, registry, emitter, loc, defs, laterDefs, forward);
    if (!op) continue;
    func.body.append(op);
    op.results.forEach((r, i) => {
      const ref = a.results[i]!;
      const firstDef = !defs.has(ref.name);
      define(ref.name, ref.pos, r);
      if (!firstDef) return;
      for (const placeholder of forward.get(ref.name) ?? []) {
        if (!typeEquals(placeholder.type, r.type)) {
          emitter.error("E0105", `%${ref.name} is used as ${typeToString(placeholder.type)} but defined as ${typeToString(r.type)}`, loc(ref.pos));
        }
        placeholder.replaceAllUsesWith(r);
      }
      forward.delete(ref.name);
    });
  }
  return func;
}

function buildOp(
  a: AstOp,
  registry: OpRegistry,
  emitter: DiagnosticEmitter,
  loc: (p: Pos) => Location,
  defs: Map<string, { value: Value; pos: Pos }>,
  laterDefs: Set<string>,
  forward: Map<string, Value[]>,
): Operation | undefined {
  if (!registry.has(a.opName)) {
    const hints = registry.suggest(a.opName);
    const hint = hints.length > 0 ? `; did you mean ${hints.map((h) => `'${h}'`).join(" or ")}?` : "";
    emitter.error("E0102", `unknown operation '${a.opName}'${hint}`, loc(a.opPos));
    return undefined;
  }
  let ok = true;
  if (a.operands.length !== a.operandTypes.length) {
    emitter.error("E0101", `${a.operands.length} operand(s) but ${a.operandTypes.length} operand type(s)`, loc(a.typesPos), { opName: a.opName });
    ok = false;
  }
  if (a.opName !== "func.return" && a.results.length !== a.resultTypes.length) {
    emitter.error("E0101", `${a.results.length} result name(s) but ${a.resultTypes.length} result type(s)`, loc(a.typesPos), { opName: a.opName });
    ok = false;
  }
  if (a.opName === "func.return" && a.results.length > 0) {
    emitter.error("E0101", "'return' has no results", loc(a.pos));
    ok = false;
  }
  if (!ok) return undefined;

  const operands: Value[] = [];
  a.operands.forEach((ref, i) => {
    const listed = a.operandTypes[i]!;
    const def = defs.get(ref.name);
    if (def) {
      if (!typeEquals(def.value.type, listed)) {
        emitter.error("E0105", `%${ref.name} has type ${typeToString(def.value.type)} but is used as ${typeToString(listed)}`, loc(ref.pos), {
          opName: a.opName,
          related: [{ message: `%${ref.name} defined here`, loc: loc(def.pos) }],
        });
      }
      operands.push(def.value);
    } else if (laterDefs.has(ref.name)) {
      const placeholder = new Value(listed, undefined, ref.name);
      forward.set(ref.name, [...(forward.get(ref.name) ?? []), placeholder]);
      operands.push(placeholder);
    } else {
      emitter.error("E0104", `use of undefined value %${ref.name}`, loc(ref.pos), { opName: a.opName });
      operands.push(new Value(listed, undefined, ref.name));
    }
  });
  return new Operation(
    a.opName,
    operands,
    a.resultTypes,
    a.attributes,
    loc(a.pos),
    a.results.map((r) => r.name),
  );
}
