// Tokens of the IR's textual form (chevrotain lexer).
import { createToken, Lexer, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /\/\/[^\n]*/, group: Lexer.SKIPPED });

export const Arrow = createToken({ name: "Arrow", pattern: /->/, label: "'->'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "']'" });
export const LAngle = createToken({ name: "LAngle", pattern: /</, label: "'<'" });
export const RAngle = createToken({ name: "RAngle", pattern: />/, label: "'>'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });

/** The `2x3x` / `?x4x` prefix of a tensor shape, lexed as one token (as MLIR's lexer does). */
export const Dims = createToken({ name: "Dims", pattern: /(?:(?:\d+|\?)x)+/, label: "tensor dimensions" });
export const Float = createToken({ name: "Float", pattern: /-?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)/, label: "float" });
export const Integer = createToken({ name: "Integer", pattern: /-?\d+/, label: "integer" });
export const StringLit = createToken({ name: "StringLit", pattern: /"(?:[^"\\\n]|\\.)*"/, label: "string" });
export const PercentId = createToken({ name: "PercentId", pattern: /%[A-Za-z0-9_.$-]+/, label: "SSA value (%name)" });
export const AtId = createToken({ name: "AtId", pattern: /@[A-Za-z_][A-Za-z0-9_.$]*/, label: "symbol (@name)" });
export const BangId = createToken({ name: "BangId", pattern: /![A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*/, label: "dialect type (!dialect.name)" });

export const Ident = createToken({ name: "Ident", pattern: /[A-Za-z_][A-Za-z0-9_.$]*/, label: "identifier" });
/** Category of reserved words, so they can still serve as dictionary keys. */
export const Keyword = createToken({ name: "Keyword", pattern: Lexer.NA });
const kw = (name: string, pattern: RegExp, label: string) =>
  createToken({ name, pattern, label, longer_alt: Ident, categories: [Keyword] });
export const ModuleKw = kw("ModuleKw", /module/, "'module'");
export const AttributesKw = kw("AttributesKw", /attributes/, "'attributes'");
export const FuncKw = kw("FuncKw", /func\.func/, "'func.func'");
export const ReturnKw = kw("ReturnKw", /return/, "'return'");
export const DenseKw = kw("DenseKw", /dense/, "'dense'");
export const TensorKw = kw("TensorKw", /tensor/, "'tensor'");
export const IndexKw = kw("IndexKw", /index/, "'index'");
export const TrueKw = kw("TrueKw", /true/, "'true'");
export const FalseKw = kw("FalseKw", /false/, "'false'");
export const NanInf = kw("NanInf", /nan|inf/, "'nan' or 'inf'");
export const NegInf = createToken({ name: "NegInf", pattern: /-inf/, label: "'-inf'", longer_alt: Ident });
export const IntTypeTok = kw("IntTypeTok", /u?i[1-9][0-9]*/, "integer type");
export const FloatTypeTok = kw("FloatTypeTok", /f(?:16|32|64)/, "float type");

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Arrow,
  NegInf,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  LAngle,
  RAngle,
  Comma,
  Colon,
  Equals,
  Dims,
  Float,
  Integer,
  StringLit,
  PercentId,
  AtId,
  BangId,
  Keyword,
  ModuleKw,
  AttributesKw,
  FuncKw,
  ReturnKw,
  DenseKw,
  TensorKw,
  IndexKw,
  TrueKw,
  FalseKw,
  NanInf,
  IntTypeTok,
  FloatTypeTok,
  Ident,
];

export const irLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
