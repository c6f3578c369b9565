// IR types. Structural values (plain objects): compare with `typeEquals`, print with `typeToString`.

/** Encrypted integer of `width` bits: `!fhe.eint<p>` (unsigned) or `!fhe.esint<p>` (signed). */
export interface EncryptedIntType {
  readonly kind: "eint";
  readonly width: number;
  readonly signed: boolean;
}

/** Clear integer: `i<p>` (signed, two's complement) or `ui<p>` (unsigned). */
export interface IntType {
  readonly kind: "int";
  readonly width: number;
  readonly signed: boolean;
}

export interface FloatType {
  readonly kind: "float";
  readonly width: 16 | 32 | 64;
}

export interface IndexType {
  readonly kind: "index";
}

/** Which LWE secret key a ciphertext lives under: the big one (dimension kN) or the small one (n). */
export type LweKey = "big" | "small";

/** A TFHE ciphertext holding a `width`-bit message (plus the padding bit): `!tfhe.lwe<p, big>`. */
export interface LweType {
  readonly kind: "lwe";
  readonly width: number;
  readonly key: LweKey;
}

export type ElementType = EncryptedIntType | IntType | FloatType | IndexType | LweType;

/** A dimension is a size, or `null` for a dynamic size (`?`, allowed in the `onnx` dialect only). */
export type Dim = number | null;

export interface TensorType {
  readonly kind: "tensor";
  readonly shape: readonly Dim[];
  readonly element: ElementType;
}

export type Type = ElementType | TensorType;

// ---- constructors -------------------------------------------------------------------------

export const eint = (width: number): EncryptedIntType => ({ kind: "eint", width, signed: false });
export const esint = (width: number): EncryptedIntType => ({ kind: "eint", width, signed: true });
export const intType = (width: number, signed = true): IntType => ({ kind: "int", width, signed });
export const i1 = intType(1);
export const i8 = intType(8);
export const i32 = intType(32);
export const i64 = intType(64);
export const f32: FloatType = { kind: "float", width: 32 };
export const f64: FloatType = { kind: "float", width: 64 };
export const lwe = (width: number, key: LweKey = "big"): LweType => ({ kind: "lwe", width, key });
export const tensor = (shape: readonly Dim[], element: ElementType): TensorType => ({
  kind: "tensor",
  shape: [...shape],
  element,
});

// ---- queries ------------------------------------------------------------------------------

export function elementOf(t: Type): ElementType {
  return t.kind === "tensor" ? t.element : t;
}

export function shapeOf(t: Type): readonly Dim[] {
  return t.kind === "tensor" ? t.shape : [];
}

export function isTensor(t: Type): t is TensorType {
  return t.kind === "tensor";
}

export function isFloat(t: Type): boolean {
  return elementOf(t).kind === "float";
}

/** Number of elements of a static shape; throws on a dynamic one. */
export function numElements(shape: readonly Dim[]): number {
  let n = 1;
  for (const d of shape) {
    if (d === null) throw new Error("numElements of a dynamic shape");
    n *= d;
  }
  return n;
}

export function isStaticShape(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => d !== null);
}

export function withElement(t: Type, element: ElementType): Type {
  return t.kind === "tensor" ? tensor(t.shape, element) : element;
}

export function typeEquals(a: Type, b: Type): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "eint":
    case "int": {
      const o = b as EncryptedIntType | IntType;
      return a.width === o.width && a.signed === o.signed;
    }
    case "float":
      return a.width === (b as FloatType).width;
    case "index":
      return true;
    case "lwe": {
      const o = b as LweType;
      return a.width === o.width && a.key === o.key;
    }
    case "tensor": {
      const o = b as TensorType;
      return (
        a.shape.length === o.shape.length &&
        a.shape.every((d, i) => d === o.shape[i]) &&
        typeEquals(a.element, o.element)
      );
    }
  }
}

export function typeToString(t: Type): string {
  switch (t.kind) {
    case "eint":
      return `!fhe.${t.signed ? "esint" : "eint"}<${t.width}>`;
    case "int":
      return `${t.signed ? "i" : "ui"}${t.width}`;
    case "float":
      return `f${t.width}`;
    case "index":
      return "index";
    case "lwe":
      return `!tfhe.lwe<${t.width}, ${t.key}>`;
    case "tensor": {
      const dims = t.shape.map((d) => (d === null ? "?" : String(d)) + "x").join("");
      return `tensor<${dims}${typeToString(t.element)}>`;
    }
  }
}

/** Range of values representable by an integer element type (clear or encrypted). */
export function intRange(width: number, signed: boolean): { min: number; max: number } {
  if (signed) return { min: -(2 ** (width - 1)), max: 2 ** (width - 1) - 1 };
  return { min: 0, max: 2 ** width - 1 };
}
