// Textual form of the IR. Every op prints in one of two forms read from nothing but the op itself:
//   generic: %r = "fhe.add_eint"(%a, %b) {attrs} : (T, T) -> T
//   pretty:  %r = fhe.add_eint %a, %b {attrs} : (T, T) -> T      (the default)
// `func.return` prints as `return %a : T`. The parser reads both forms; print(parse(t)) == t.
import type { Attribute, DenseAttr } from "./attributes.js";
import type { FuncOp, ModuleOp, Operation, Value } from "./core.js";
import { type Type, type ElementType, typeToString } from "./types.js";

export interface PrintOptions {
  /** Print ops in the quoted generic form. */
  readonly generic?: boolean;
  /** Dense tensors with more elements than this print as a hex blob. */
  readonly denseHexThreshold?: number;
}

const DEFAULT_HEX_THRESHOLD = 256;
const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_.$]*$/;
const VALUE_NAME = /^[A-Za-z0-9_.$-]+$/;

export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0.0";
  const s = String(x);
  return /^-?\d+$/.test(s) ? `${s}.0` : s;
}

function formatElement(v: number, element: ElementType): string {
  return element.kind === "float" ? formatFloat(v) : String(v);
}

/** Little-endian byte width used by the hex form, or undefined when the type has no hex form. */
export function hexByteWidth(element: ElementType): number | undefined {
  switch (element.kind) {
    case "float":
      return element.width === 16 ? undefined : element.width / 8;
    case "int": {
      const w = element.width;
      return w <= 8 ? 1 : w <= 16 ? 2 : w <= 32 ? 4 : 8;
    }
    case "index":
      return 8;
    default:
      return undefined;
  }
}

function denseToHex(d: DenseAttr, bytes: number): string {
  const buf = new DataView(new ArrayBuffer(d.data.length * bytes));
  const isFloat = d.type.element.kind === "float";
  const unsigned = d.type.element.kind === "int" && !d.type.element.signed;
  d.data.forEach((v, i) => {
    const at = i * bytes;
    if (isFloat) {
      if (bytes === 4) buf.setFloat32(at, v, true);
      else buf.setFloat64(at, v, true);
    } else if (unsigned) {
      if (bytes === 1) buf.setUint8(at, v);
      else if (bytes === 2) buf.setUint16(at, v, true);
      else if (bytes === 4) buf.setUint32(at, v, true);
      else buf.setBigUint64(at, BigInt(v), true);
    } else if (bytes === 1) buf.setInt8(at, v);
    else if (bytes === 2) buf.setInt16(at, v, true);
    else if (bytes === 4) buf.setInt32(at, v, true);
    else buf.setBigInt64(at, BigInt(v), true);
  });
  return "0x" + Buffer.from(buf.buffer).toString("hex").toUpperCase();
}

function denseLiteral(d: DenseAttr): string {
  const shape = d.type.shape as number[];
  const el = d.type.element;
  const n = d.data.length;
  if (shape.length === 0) return formatElement(d.data[0]!, el);
  if (n > 1 && d.data.every((v) => Object.is(v, d.data[0]))) return formatElement(d.data[0]!, el);
  let pos = 0;
  const nest = (axis: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < shape[axis]!; i++) {
      parts.push(axis === shape.length - 1 ? formatElement(d.data[pos++]!, el) : nest(axis + 1));
    }
    return `[${parts.join(", ")}]`;
  };
  return nest(0);
}

export function printAttribute(a: Attribute, opts: PrintOptions = {}): string {
  switch (a.kind) {
    case "int":
      return String(a.value);
    case "float":
      return formatFloat(a.value);
    case "bool":
      return a.value ? "true" : "false";
    case "string":
      return JSON.stringify(a.value);
    case "array":
      return `[${a.items.map((x) => printAttribute(x, opts)).join(", ")}]`;
    case "dict":
      return printAttrDict(a.entries, opts);
    case "type":
      return typeToString(a.type);
    case "dense": {
      const threshold = opts.denseHexThreshold ?? DEFAULT_HEX_THRESHOLD;
      const bytes = hexByteWidth(a.type.element);
      const allSame = a.data.length > 1 && a.data.every((v) => Object.is(v, a.data[0]));
      const body = a.data.length > threshold && bytes !== undefined && !allSame ? JSON.stringify(denseToHex(a, bytes)) : denseLiteral(a);
      return `dense<${body}> : ${typeToString(a.type)}`;
    }
  }
}

export function printAttrDict(entries: ReadonlyMap<string, Attribute>, opts: PrintOptions = {}): string {
  const parts = [...entries].map(([k, v]) => `${BARE_KEY.test(k) ? k : JSON.stringify(k)} = ${printAttribute(v, opts)}`);
  return `{${parts.join(", ")}}`;
}

function resultTypesToString(types: readonly Type[]): string {
  return types.length === 1 ? typeToString(types[0]!) : `(${types.map(typeToString).join(", ")})`;
}

/** Assigns each value of a function a unique printed name, keeping name hints where possible. */
export class ValueNamer {
  private readonly names = new Map<Value, string>();

  constructor(func: FuncOp) {
    const values: Value[] = [...func.args];
    for (const op of func.body.ops) values.push(...op.results);
    const hintCount = new Map<string, number>();
    for (const v of values) {
      if (v.nameHint && VALUE_NAME.test(v.nameHint)) hintCount.set(v.nameHint, (hintCount.get(v.nameHint) ?? 0) + 1);
    }
    const used = new Set<string>();
    for (const v of values) {
      if (v.nameHint && hintCount.get(v.nameHint) === 1) {
        this.names.set(v, v.nameHint);
        used.add(v.nameHint);
      }
    }
    let counter = 0;
    for (const v of values) {
      if (this.names.has(v)) continue;
      while (used.has(String(counter))) counter++;
      const name = String(counter++);
      this.names.set(v, name);
      used.add(name);
    }
  }

  name(v: Value): string {
    return `%${this.names.get(v) ?? "<<unknown value>>"}`;
  }
}

export function printOp(op: Operation, namer: ValueNamer, opts: PrintOptions = {}): string {
  const operands = op.operands.map((v) => namer.name(v)).join(", ");
  if (op.name === "func.return") {
    return op.operands.length === 0 ? "return" : `return ${operands} : ${op.operands.map((v) => typeToString(v.type)).join(", ")}`;
  }
  const lhs = op.results.length === 0 ? "" : `${op.results.map((r) => namer.name(r)).join(", ")} = `;
  const attrs = op.attributes.size === 0 ? "" : ` ${printAttrDict(op.attributes, opts)}`;
  const fnType = `(${op.operands.map((v) => typeToString(v.type)).join(", ")}) -> ${resultTypesToString(op.results.map((r) => r.type))}`;
  const head = opts.generic ? `"${op.name}"(${operands})` : op.operands.length === 0 ? op.name : `${op.name} ${operands}`;
  return `${lhs}${head}${attrs} : ${fnType}`;
}

export function printFunc(f: FuncOp, opts: PrintOptions = {}, indent = ""): string {
  const namer = new ValueNamer(f);
  const args = f.args.map((a) => `${namer.name(a)}: ${typeToString(a.type)}`).join(", ");
  const results = f.resultTypes.length === 0 ? "" : ` -> ${resultTypesToString(f.resultTypes)}`;
  const attrs = f.attributes.size === 0 ? "" : ` attributes ${printAttrDict(f.attributes, opts)}`;
  const lines = [`${indent}func.func @${f.name}(${args})${results}${attrs} {`];
  for (const op of f.body.ops) lines.push(`${indent}  ${printOp(op, namer, opts)}`);
  lines.push(`${indent}}`);
  return lines.join("\n");
}

export function printModule(m: ModuleOp, opts: PrintOptions = {}): string {
  const attrs = m.attributes.size === 0 ? "" : ` attributes ${printAttrDict(m.attributes, opts)}`;
  const body = m.funcs.map((f) => printFunc(f, opts, "  ")).join("\n\n");
  return `module${attrs} {\n${body}${body ? "\n" : ""}}\n`;
}
