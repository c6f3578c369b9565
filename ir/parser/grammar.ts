// Chevrotain grammar of the IR text. It builds a syntax tree with positions; types and attributes
// are built directly (with located errors for invalid ones). ir/parser/index.ts turns the tree into IR.
import { EmbeddedActionsParser, EOF, type IToken, type TokenType } from "chevrotain";
import { arrayAttr, type Attribute, boolAttr, dictAttr, floatAttr, intAttr, stringAttr, typeAttr, type DenseAttr } from "../attributes.js";
import { hexByteWidth } from "../printer.js";
import { type Dim, type ElementType, type TensorType, type Type, numElements, typeToString } from "../types.js";
import * as T from "./lexer.js";

export interface Pos {
  readonly line: number;
  readonly col: number;
  readonly length: number;
}

export interface NamedRef {
  readonly name: string;
  readonly pos: Pos;
}

export interface AstOp {
  readonly pos: Pos;
  readonly opName: string;
  readonly opPos: Pos;
  readonly results: NamedRef[];
  readonly operands: NamedRef[];
  readonly attributes: [string, Attribute][];
  readonly operandTypes: Type[];
  readonly resultTypes: Type[];
  readonly typesPos: Pos;
}

export interface AstFunc {
  readonly pos: Pos;
  readonly name: string;
  readonly args: { ref: NamedRef; type: Type }[];
  readonly resultTypes: Type[];
  readonly attributes: [string, Attribute][];
  readonly ops: AstOp[];
  readonly endPos: Pos;
}

export interface AstModule {
  readonly pos: Pos;
  readonly attributes: [string, Attribute][];
  readonly funcs: AstFunc[];
}

/** An error found while building a type or attribute (not a grammar error). */
export interface SemanticError {
  readonly code: "E0106" | "E0107";
  readonly message: string;
  readonly pos: Pos;
}

type Literal = number | Literal[];

const NO_POS: Pos = { line: 0, col: 0, length: 0 };

export function posOf(tok: IToken): Pos {
  return { line: tok.startLine ?? 0, col: tok.startColumn ?? 0, length: tok.image.length };
}

const MAX_WIDTH = 64;

function parseNumber(image: string): number {
  if (image === "nan") return NaN;
  if (image === "inf") return Infinity;
  if (image === "-inf") return -Infinity;
  return Number(image);
}

export class IrGrammar extends EmbeddedActionsParser {
  semanticErrors: SemanticError[] = [];

  constructor() {
    super(T.allTokens, {
      maxLookahead: 2,
      errorMessageProvider: {
        buildMismatchTokenMessage: ({ expected, actual }) => `expected ${label(expected)}, found ${describe(actual)}`,
        buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${describe(firstRedundant)} after the end of the module`,
        buildNoViableAltMessage: ({ expectedPathsPerAlt, actual, ruleName }) => {
          const firsts = [...new Set(expectedPathsPerAlt.flatMap((alt) => alt.map((path) => label(path[0]!))))];
          return `expected ${ruleDescription(ruleName) ?? firsts.slice(0, 6).join(" or ")}, found ${describe(actual[0]!)}`;
        },
        buildEarlyExitMessage: ({ expectedIterationPaths, actual }) =>
          `expected ${expectedIterationPaths.map((p) => label(p[0]!)).join(" or ")}, found ${describe(actual[0]!)}`,
      },
    });
    this.performSelfAnalysis();
  }

  private error(code: SemanticError["code"], message: string, pos: Pos): void {
    this.ACTION(() => this.semanticErrors.push({ code, message, pos }));
  }

  // ---- module and functions ----------------------------------------------------------------

  module = this.RULE("module", (): AstModule => {
    const funcs: AstFunc[] = [];
    let attributes: [string, Attribute][] = [];
    let pos = NO_POS;
    this.OR([
      {
        ALT: () => {
          pos = posOf(this.CONSUME(T.ModuleKw));
          this.OPTION(() => {
            this.CONSUME(T.AttributesKw);
            attributes = this.SUBRULE(this.attrDict);
          });
          this.CONSUME(T.LBrace);
          this.MANY(() => funcs.push(this.SUBRULE(this.func)));
          this.CONSUME(T.RBrace);
        },
      },
      { ALT: () => this.AT_LEAST_ONE(() => funcs.push(this.SUBRULE2(this.func))) },
    ]);
    return { pos, attributes, funcs };
  });

  func = this.RULE("func", (): AstFunc => {
    const pos = posOf(this.CONSUME(T.FuncKw));
    const name = this.CONSUME(T.AtId).image.slice(1);
    const args: { ref: NamedRef; type: Type }[] = [];
    let resultTypes: Type[] = [];
    let attributes: [string, Attribute][] = [];
    const ops: AstOp[] = [];
    this.CONSUME(T.LParen);
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const tok = this.CONSUME(T.PercentId);
        this.CONSUME(T.Colon);
        const type = this.SUBRULE(this.type);
        args.push({ ref: { name: tok.image.slice(1), pos: posOf(tok) }, type });
      },
    });
    this.CONSUME(T.RParen);
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      resultTypes = this.SUBRULE(this.resultTypes);
    });
    this.OPTION2(() => {
      this.CONSUME(T.AttributesKw);
      attributes = this.SUBRULE(this.attrDict);
    });
    this.CONSUME(T.LBrace);
    this.MANY2(() => ops.push(this.SUBRULE(this.statement)));
    const endPos = posOf(this.CONSUME(T.RBrace));
    return { pos, name, args, resultTypes, attributes, ops, endPos };
  });

  private resultTypes = this.RULE("resultTypes", (): Type[] => {
    const types: Type[] = [];
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => types.push(this.SUBRULE(this.type)) });
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => types.push(this.SUBRULE2(this.type)) },
    ]);
    return types;
  });

  // ---- operations ----------------------------------------------------------------------------

  statement = this.RULE("statement", (): AstOp => {
    const results: NamedRef[] = [];
    let first: IToken | undefined;
    this.OPTION(() => {
      this.AT_LEAST_ONE_SEP({
        SEP: T.Comma,
        DEF: () => {
          const tok = this.CONSUME(T.PercentId);
          first ??= tok;
          results.push({ name: tok.image.slice(1), pos: posOf(tok) });
        },
      });
      this.CONSUME(T.Equals);
    });
    let opName = "";
    let opTok: IToken | undefined;
    let operands: NamedRef[] = [];
    let attributes: [string, Attribute][] = [];
    let operandTypes: Type[] = [];
    let resultTypes: Type[] = [];
    let typesTok: IToken | undefined;
    this.OR([
      {
        ALT: () => {
          opTok = this.CONSUME(T.ReturnKw);
          opName = "func.return";
          this.OPTION2(() => {
            operands = this.SUBRULE(this.operandList);
            typesTok = this.CONSUME(T.Colon);
            this.AT_LEAST_ONE_SEP2({ SEP: T.Comma, DEF: () => operandTypes.push(this.SUBRULE(this.type)) });
          });
        },
      },
      {
        ALT: () => {
          opTok = this.CONSUME(T.StringLit);
          opName = this.ACTION(() => JSON.parse(opTok!.image) as string);
          this.CONSUME(T.LParen);
          this.OPTION3(() => (operands = this.SUBRULE2(this.operandList)));
          this.CONSUME(T.RParen);
          this.OPTION4(() => (attributes = this.SUBRULE(this.attrDict)));
          typesTok = this.CONSUME2(T.Colon);
          const ft = this.SUBRULE(this.functionType);
          this.ACTION(() => ([operandTypes, resultTypes] = ft));
        },
      },
      {
        ALT: () => {
          opTok = this.CONSUME(T.Ident);
          opName = opTok.image;
          this.OPTION5(() => (operands = this.SUBRULE3(this.operandList)));
          this.OPTION6(() => (attributes = this.SUBRULE2(this.attrDict)));
          typesTok = this.CONSUME3(T.Colon);
          const ft = this.SUBRULE2(this.functionType);
          this.ACTION(() => ([operandTypes, resultTypes] = ft));
        },
      },
    ]);
    return this.ACTION(() => ({
      pos: posOf(first ?? opTok!),
      opName,
      opPos: posOf(opTok!),
      results,
      operands,
      attributes,
      operandTypes,
      resultTypes,
      typesPos: typesTok ? posOf(typesTok) : posOf(opTok!),
    }));
  });

  private operandList = this.RULE("operandList", (): NamedRef[] => {
    const refs: NamedRef[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const tok = this.CONSUME(T.PercentId);
        refs.push({ name: tok.image.slice(1), pos: posOf(tok) });
      },
    });
    return refs;
  });

  private functionType = this.RULE("functionType", (): [Type[], Type[]] => {
    const ins: Type[] = [];
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => ins.push(this.SUBRULE(this.type)) });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Arrow);
    const outs = this.SUBRULE(this.resultTypes);
    return [ins, outs];
  });

  // ---- types --------------------------------------------------------------------------------

  type = this.RULE("type", (): Type => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.tensorType) },
      { ALT: () => this.SUBRULE(this.elementType) },
    ]);
  });

  private tensorType = this.RULE("tensorType", (): TensorType => {
    this.CONSUME(T.TensorKw);
    this.CONSUME(T.LAngle);
    let shape: Dim[] = [];
    this.OPTION(() => {
      const dims = this.CONSUME(T.Dims);
      shape = this.ACTION(() =>
        dims.image
          .split("x")
          .slice(0, -1)
          .map((d) => (d === "?" ? null : Number(d))),
      );
    });
    const element = this.SUBRULE(this.elementType);
    this.CONSUME(T.RAngle);
    return { kind: "tensor", shape, element };
  });

  private elementType = this.RULE("elementType", (): ElementType => {
    return this.OR([
      {
        ALT: () => {
          const tok = this.CONSUME(T.IntTypeTok);
          const signed = !tok.image.startsWith("u");
          const width = Number(tok.image.slice(signed ? 1 : 2));
          if (width > MAX_WIDTH) this.error("E0106", `integer width ${width} exceeds ${MAX_WIDTH}`, posOf(tok));
          return { kind: "int" as const, width, signed };
        },
      },
      {
        ALT: () => {
          const tok = this.CONSUME(T.FloatTypeTok);
          return { kind: "float" as const, width: Number(tok.image.slice(1)) as 16 | 32 | 64 };
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.IndexKw);
          return { kind: "index" as const };
        },
      },
      { ALT: () => this.SUBRULE(this.dialectType) },
    ]);
  });

  private dialectType = this.RULE("dialectType", (): ElementType => {
    const tok = this.CONSUME(T.BangId);
    this.CONSUME(T.LAngle);
    const widthTok = this.CONSUME(T.Integer);
    let keyTok: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      keyTok = this.CONSUME(T.Ident);
    });
    this.CONSUME(T.RAngle);
    return this.ACTION((): ElementType => {
      const width = Number(widthTok.image);
      const name = tok.image.slice(1);
      const fallback: ElementType = { kind: "eint", width: 1, signed: false };
      if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) {
        this.semanticErrors.push({ code: "E0106", message: `precision must be in 1..${MAX_WIDTH}, got ${widthTok.image}`, pos: posOf(widthTok) });
        return fallback;
      }
      if (name === "fhe.eint" || name === "fhe.esint") {
        if (keyTok) this.semanticErrors.push({ code: "E0106", message: `${tok.image} takes only a precision`, pos: posOf(keyTok) });
        return { kind: "eint", width, signed: name === "fhe.esint" };
      }
      if (name === "tfhe.lwe") {
        const key = keyTok?.image;
        if (key !== "big" && key !== "small") {
          this.semanticErrors.push({ code: "E0106", message: "!tfhe.lwe needs a key: !tfhe.lwe<p, big> or !tfhe.lwe<p, small>", pos: posOf(keyTok ?? tok) });
          return fallback;
        }
        return { kind: "lwe", width, key };
      }
      this.semanticErrors.push({ code: "E0106", message: `unknown type '${tok.image}' (known: !fhe.eint, !fhe.esint, !tfhe.lwe)`, pos: posOf(tok) });
      return fallback;
    });
  });

  // ---- attributes -----------------------------------------------------------------------------

  attrDict = this.RULE("attrDict", (): [string, Attribute][] => {
    const entries: [string, Attribute][] = [];
    this.CONSUME(T.LBrace);
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const keyTok = this.OR([
          { ALT: () => this.CONSUME(T.Ident) },
          { ALT: () => this.CONSUME(T.StringLit) },
          { ALT: () => this.CONSUME(T.Keyword) },
        ]);
        this.CONSUME(T.Equals);
        const value = this.SUBRULE(this.attribute);
        this.ACTION(() => {
          const key = keyTok.tokenType === T.StringLit ? (JSON.parse(keyTok.image) as string) : keyTok.image;
          if (entries.some(([k]) => k === key)) {
            this.semanticErrors.push({ code: "E0107", message: `duplicate attribute '${key}'`, pos: posOf(keyTok) });
          }
          entries.push([key, value]);
        });
      },
    });
    this.CONSUME(T.RBrace);
    return entries;
  });

  attribute = this.RULE("attribute", (): Attribute => {
    return this.OR([
      {
        ALT: () => {
          const tok = this.CONSUME(T.Integer);
          return this.ACTION(() => {
            const v = Number(tok.image);
            if (!Number.isSafeInteger(v)) this.semanticErrors.push({ code: "E0107", message: `integer ${tok.image} is too large (limit 2^53)`, pos: posOf(tok) });
            return intAttr(v);
          });
        },
      },
      { ALT: () => floatAttr(parseNumber(this.CONSUME(T.Float).image)) },
      { ALT: () => floatAttr(parseNumber(this.CONSUME(T.NanInf).image)) },
      { ALT: () => floatAttr(parseNumber(this.CONSUME(T.NegInf).image)) },
      { ALT: () => (this.CONSUME(T.TrueKw), boolAttr(true)) },
      { ALT: () => (this.CONSUME(T.FalseKw), boolAttr(false)) },
      {
        ALT: () => {
          const tok = this.CONSUME(T.StringLit);
          return stringAttr(this.ACTION(() => JSON.parse(tok.image) as string) ?? "");
        },
      },
      {
        ALT: () => {
          const items: Attribute[] = [];
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => items.push(this.SUBRULE(this.attribute)) });
          this.CONSUME(T.RBracket);
          return arrayAttr(items);
        },
      },
      {
        ALT: () => {
          const entries = this.SUBRULE(this.attrDict);
          return this.ACTION(() => dictAttr(entries));
        },
      },
      { ALT: () => this.SUBRULE(this.dense) },
      { ALT: () => typeAttr(this.SUBRULE(this.type)) },
    ]);
  });

  private dense = this.RULE("dense", (): DenseAttr => {
    const kwTok = this.CONSUME(T.DenseKw);
    this.CONSUME(T.LAngle);
    let hex: IToken | undefined;
    let literal: Literal = 0;
    this.OR([
      { ALT: () => (hex = this.CONSUME(T.StringLit)) },
      { ALT: () => (literal = this.SUBRULE(this.literal)) },
    ]);
    this.CONSUME(T.RAngle);
    this.CONSUME(T.Colon);
    const type = this.SUBRULE(this.type);
    return this.ACTION(() => this.buildDense(posOf(kwTok), type, hex, literal));
  });

  private literal = this.RULE("literal", (): Literal => {
    return this.OR([
      { ALT: () => parseNumber(this.CONSUME(T.Integer).image) },
      { ALT: () => parseNumber(this.CONSUME(T.Float).image) },
      { ALT: () => parseNumber(this.CONSUME(T.NanInf).image) },
      { ALT: () => parseNumber(this.CONSUME(T.NegInf).image) },
      {
        ALT: () => {
          const items: Literal[] = [];
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => items.push(this.SUBRULE(this.literal)) });
          this.CONSUME(T.RBracket);
          return items;
        },
      },
    ]);
  });

  private buildDense(pos: Pos, type: Type, hex: IToken | undefined, literal: Literal): DenseAttr {
    const empty: DenseAttr = { kind: "dense", type: { kind: "tensor", shape: [0], element: { kind: "int", width: 64, signed: true } }, data: new Float64Array(0) };
    if (type.kind !== "tensor" || type.shape.some((d) => d === null)) {
      this.semanticErrors.push({ code: "E0107", message: `dense attribute needs a static tensor type, got ${typeToString(type)}`, pos });
      return empty;
    }
    const n = numElements(type.shape);
    const element = type.element;
    if (element.kind !== "int" && element.kind !== "float" && element.kind !== "index") {
      this.semanticErrors.push({ code: "E0107", message: `dense attribute elements must be clear integers or floats, got ${typeToString(element)}`, pos });
      return empty;
    }
    let data: Float64Array;
    if (hex) {
      const decoded = decodeHex(JSON.parse(hex.image) as string, element, n);
      if (typeof decoded === "string") {
        this.semanticErrors.push({ code: "E0107", message: decoded, pos: posOf(hex) });
        return empty;
      }
      data = decoded;
    } else if (typeof literal === "number") {
      data = new Float64Array(n).fill(literal);
    } else {
      const flat: number[] = [];
      const problem = flattenLiteral(literal, type.shape as number[], 0, flat);
      if (problem) {
        this.semanticErrors.push({ code: "E0107", message: `dense literal does not match ${typeToString(type)}: ${problem}`, pos });
        return empty;
      }
      data = Float64Array.from(flat);
    }
    if (element.kind !== "float") {
      const bad = data.find((v) => !Number.isSafeInteger(v));
      if (bad !== undefined) {
        this.semanticErrors.push({ code: "E0107", message: `dense ${typeToString(type)} holds a non-integer value ${bad}`, pos });
        return empty;
      }
    }
    return { kind: "dense", type, data };
  }
}

function flattenLiteral(lit: Literal, shape: number[], axis: number, out: number[]): string | undefined {
  if (typeof lit === "number") {
    if (axis !== shape.length) return `a number where a list of ${shape[axis]} was expected`;
    out.push(lit);
    return undefined;
  }
  if (axis === shape.length) return "a list where a number was expected";
  if (lit.length !== shape[axis]) return `axis ${axis} has ${lit.length} entries, expected ${shape[axis]}`;
  for (const item of lit) {
    const p = flattenLiteral(item, shape, axis + 1, out);
    if (p) return p;
  }
  return undefined;
}

function decodeHex(text: string, element: ElementType, n: number): Float64Array | string {
  const bytes = hexByteWidth(element);
  if (bytes === undefined) return `no hex form for ${typeToString(element)}`;
  if (!/^0x[0-9A-Fa-f]*$/.test(text)) return "hex dense value must look like \"0x0A1B...\"";
  const raw = Buffer.from(text.slice(2), "hex");
  if (raw.length !== n * bytes) return `hex dense value has ${raw.length} bytes, expected ${n * bytes} (${n} × ${bytes})`;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(n);
  const isFloat = element.kind === "float";
  const unsigned = element.kind === "int" && !element.signed;
  for (let i = 0; i < n; i++) {
    const at = i * bytes;
    if (isFloat) out[i] = bytes === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
    else if (unsigned) out[i] = bytes === 1 ? view.getUint8(at) : bytes === 2 ? view.getUint16(at, true) : bytes === 4 ? view.getUint32(at, true) : Number(view.getBigUint64(at, true));
    else if (bytes === 1) out[i] = view.getInt8(at);
    else if (bytes === 2) out[i] = view.getInt16(at, true);
    else if (bytes === 4) out[i] = view.getInt32(at, true);
    else out[i] = Number(view.getBigInt64(at, true));
  }
  return out;
}

function label(t: TokenType): string {
  if (t === EOF) return "end of input";
  return (t.LABEL ?? t.name) as string;
}

function describe(tok: IToken): string {
  if (tok.tokenType === EOF) return "end of input";
  return `'${tok.image}'`;
}

function ruleDescription(rule: string): string | undefined {
  switch (rule) {
    case "type":
    case "elementType":
      return "a type (i8, f32, index, !fhe.eint<p>, tensor<...>)";
    case "attribute":
      return "an attribute value";
    case "literal":
      return "a number or a list";
    case "statement":
      return "an operation";
    case "module":
      return "'module' or 'func.func'";
    case "resultTypes":
      return "a type or a parenthesised type list";
    default:
      return undefined;
  }
}
