// IR attributes: compile-time constants attached to ops (and the payload of constants).
import { type TensorType, type Type, typeEquals, numElements, isStaticShape } from "./types.js";

export interface IntAttr {
  readonly kind: "int";
  readonly value: number;
}
export interface FloatAttr {
  readonly kind: "float";
  readonly value: number;
}
export interface BoolAttr {
  readonly kind: "bool";
  readonly value: boolean;
}
export interface StringAttr {
  readonly kind: "string";
  readonly value: string;
}
export interface ArrayAttr {
  readonly kind: "array";
  readonly items: readonly Attribute[];
}
export interface DictAttr {
  readonly kind: "dict";
  readonly entries: ReadonlyMap<string, Attribute>;
}
export interface TypeAttr {
  readonly kind: "type";
  readonly type: Type;
}
/**
 * A dense tensor constant. Values are stored as float64 whatever the element type: integers are
 * exact up to 2^53 (the importer rejects larger ones), f32 values are exactly representable.
 */
export interface DenseAttr {
  readonly kind: "dense";
  readonly type: TensorType;
  readonly data: Float64Array;
}

export type Attribute = IntAttr | FloatAttr | BoolAttr | StringAttr | ArrayAttr | DictAttr | TypeAttr | DenseAttr;
export type AttributeKind = Attribute["kind"];

export const intAttr = (value: number): IntAttr => ({ kind: "int", value });
export const floatAttr = (value: number): FloatAttr => ({ kind: "float", value });
export const boolAttr = (value: boolean): BoolAttr => ({ kind: "bool", value });
export const stringAttr = (value: string): StringAttr => ({ kind: "string", value });
export const arrayAttr = (items: readonly Attribute[]): ArrayAttr => ({ kind: "array", items: [...items] });
export const intsAttr = (values: readonly number[]): ArrayAttr => arrayAttr(values.map(intAttr));
export const floatsAttr = (values: readonly number[]): ArrayAttr => arrayAttr(values.map(floatAttr));
export const typeAttr = (type: Type): TypeAttr => ({ kind: "type", type });
export const dictAttr = (entries: Iterable<[string, Attribute]>): DictAttr => ({
  kind: "dict",
  entries: new Map(entries),
});

export function denseAttr(type: TensorType, data: ArrayLike<number>): DenseAttr {
  if (!isStaticShape(type.shape)) throw new Error("dense attribute needs a static shape");
  const n = numElements(type.shape);
  if (data.length !== n) throw new Error(`dense attribute: ${data.length} values for ${n} elements`);
  return { kind: "dense", type, data: Float64Array.from(data) };
}

/** Reads an int array attribute (`[1, 2]`) as numbers; undefined if it is not one. */
export function asInts(a: Attribute | undefined): number[] | undefined {
  if (!a || a.kind !== "array") return undefined;
  const out: number[] = [];
  for (const item of a.items) {
    if (item.kind !== "int") return undefined;
    out.push(item.value);
  }
  return out;
}

export function asFloats(a: Attribute | undefined): number[] | undefined {
  if (!a || a.kind !== "array") return undefined;
  const out: number[] = [];
  for (const item of a.items) {
    if (item.kind !== "int" && item.kind !== "float") return undefined;
    out.push(item.value);
  }
  return out;
}

export function attrEquals(a: Attribute, b: Attribute): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "int":
    case "float":
    case "bool":
    case "string":
      return Object.is(a.value, (b as typeof a).value);
    case "array": {
      const o = b as ArrayAttr;
      return a.items.length === o.items.length && a.items.every((x, i) => attrEquals(x, o.items[i]!));
    }
    case "dict": {
      const o = b as DictAttr;
      if (a.entries.size !== o.entries.size) return false;
      for (const [k, v] of a.entries) {
        const w = o.entries.get(k);
        if (!w || !attrEquals(v, w)) return false;
      }
      return true;
    }
    case "type":
      return typeEquals(a.type, (b as TypeAttr).type);
    case "dense": {
      const o = b as DenseAttr;
      if (!typeEquals(a.type, o.type) || a.data.length !== o.data.length) return false;
      for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], o.data[i])) return false;
      return true;
    }
  }
}
