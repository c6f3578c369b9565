// The single declaration of an op: operands, results, attributes, traits, verifier hook, folder
// and documentation. The printer, parser, verifier and interpreters all read this declaration.
import type { Attribute, AttributeKind, DenseAttr } from "./attributes.js";
import type { Operation, Value } from "./core.js";
import type { Type } from "./types.js";

/** A named predicate on types, with the phrase used in diagnostics ("an encrypted integer or tensor"). */
export interface TypeConstraint {
  readonly description: string;
  check(t: Type): boolean;
}

export function constraint(description: string, check: (t: Type) => boolean): TypeConstraint {
  return { description, check };
}

export interface OperandSpec {
  readonly name: string;
  readonly type: TypeConstraint;
  /** `variadic`: zero or more (at most one per op); `optional`: zero or one (trailing only). */
  readonly arity?: "single" | "optional" | "variadic";
  readonly doc?: string;
}

export interface ResultSpec {
  readonly name: string;
  readonly type: TypeConstraint;
  readonly arity?: "single" | "optional" | "variadic";
  readonly doc?: string;
}

/** Attribute kinds a declaration can ask for; `ints`/`floats` are arrays of numbers, `number` is int or float. */
export type AttrSpecKind = AttributeKind | "ints" | "floats" | "number" | "any";

export interface AttrSpec {
  readonly kind: AttrSpecKind;
  readonly optional?: boolean;
  readonly doc: string;
}

export type Trait =
  /** No side effects: removable when unused, foldable when its operands are constants. */
  | "pure"
  | "commutative"
  /** Applies independently per element (with broadcasting). */
  | "elementwise"
  /** Ends a function body. */
  | "terminator"
  /** Produces a constant from its attributes only. */
  | "constantLike"
  /** A table lookup on one encrypted operand (costs one PBS per element). */
  | "tableLookup"
  /** Moves or selects elements without computing on them. */
  | "dataMovement";

/** Reports an op-specific verification failure (code E0208), optionally with a related note. */
export type VerifyReporter = (message: string) => void;

/** Result of a fold: constant attributes (one per result), or existing values that replace the results. */
export type FoldResult = { readonly kind: "constants"; readonly values: readonly DenseAttr[] } | { readonly kind: "values"; readonly values: readonly Value[] };

export interface OpExamples {
  /** A complete `func.func` that uses the op correctly. Printing its parse reproduces it. */
  readonly ok: string;
  /** A complete `func.func` that misuses the op, and a fragment of the error it must produce. */
  readonly error?: { readonly text: string; readonly message: string };
}

export interface OpDef {
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly operands: readonly OperandSpec[];
  readonly results: readonly ResultSpec[];
  readonly attributes: Readonly<Record<string, AttrSpec>>;
  readonly traits: readonly Trait[];
  /** Op-specific checks beyond counts and constraints; called only when those passed. */
  readonly verify?: (op: Operation, report: VerifyReporter) => void;
  /**
   * Folds the op given the constant values of its operands (undefined where not constant).
   * Never creates ops; returns undefined when it cannot fold.
   */
  readonly fold?: (op: Operation, constants: readonly (DenseAttr | undefined)[]) => FoldResult | undefined;
  readonly examples: OpExamples;
}

/** Fills defaults so dialect files declare only what matters. */
export function defineOp(def: {
  name: string;
  summary: string;
  description?: string;
  operands?: OperandSpec[];
  results?: ResultSpec[];
  attributes?: Record<string, AttrSpec>;
  traits?: Trait[];
  verify?: OpDef["verify"];
  fold?: OpDef["fold"];
  examples: OpExamples;
}): OpDef {
  return {
    operands: [],
    results: [],
    attributes: {},
    traits: [],
    ...def,
  };
}

export function hasTrait(def: OpDef | undefined, trait: Trait): boolean {
  return def !== undefined && def.traits.includes(trait);
}

/** Checks an attribute against the kind a declaration asks for. */
export function attrMatches(kind: AttrSpecKind, a: Attribute): boolean {
  switch (kind) {
    case "any":
      return true;
    case "number":
      return a.kind === "int" || a.kind === "float";
    case "ints":
      return a.kind === "array" && a.items.every((x) => x.kind === "int");
    case "floats":
      return a.kind === "array" && a.items.every((x) => x.kind === "int" || x.kind === "float");
    case "float":
      // An integer literal is an acceptable float value (`alpha = 1` means 1.0).
      return a.kind === "float" || a.kind === "int";
    default:
      return a.kind === kind;
  }
}

export function describeAttrSpecKind(kind: AttrSpecKind): string {
  switch (kind) {
    case "ints":
      return "an array of integers";
    case "floats":
      return "an array of numbers";
    case "number":
      return "a number";
    case "any":
      return "any attribute";
    case "int":
      return "an integer";
    case "float":
      return "a float";
    case "bool":
      return "a boolean";
    case "string":
      return "a string";
    case "array":
      return "an array";
    case "dict":
      return "a dictionary";
    case "type":
      return "a type";
    case "dense":
      return "a dense tensor";
  }
}
