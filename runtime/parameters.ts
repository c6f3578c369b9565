// TFHE crypto parameters (precision independent) as a runtime object: validated, hashed,
// serializable. The rules and the security curve themselves live in crypto-model/; the addon
// re-validates everything it receives.
import {
  assertSecureParameters, checkSecurity, groupingFactor, keyswitchKeyWordBytes, PARAMETER_INTEGER_FIELDS, PARAMETER_NOISE_FIELDS, type SecurityCheck,
  type TfheParameterFields, validateParameters,
} from "../crypto-model/index.js";
import { native, type RawParams } from "./native.js";

export type { TfheParameterFields } from "../crypto-model/index.js";

/** Every field, in canonical order. */
const PARAMETER_FIELDS = [...PARAMETER_INTEGER_FIELDS, ...PARAMETER_NOISE_FIELDS];

/**
 * Canonical encoding: 8 × u32 (the PBS grouping factor last) then 2 × f64, little-endian (48 bytes);
 * hashed with FNV-1a 64. The addon's Params::payload is the same.
 */
function canonicalBytes(p: TfheParameterFields): Uint8Array {
  const b = new Uint8Array(48);
  const v = new DataView(b.buffer);
  const ints = [p.lweDimension, p.glweDimension, p.polynomialSize, p.pbsBaseLog, p.pbsLevel, p.ksBaseLog, p.ksLevel, groupingFactor(p)];
  ints.forEach((x, i) => v.setUint32(4 * i, x, true));
  v.setFloat64(32, p.lweNoiseStd, true);
  v.setFloat64(40, p.glweNoiseStd, true);
  return b;
}

function fnv1a64(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of bytes) {
    h ^= BigInt(c);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/**
 * Precision-independent TFHE parameters. Immutable; validated on construction (structure only —
 * use {@link checkSecurity} / {@link TfheParameters.assertSecure} for the security level). The
 * fields are crypto-model's TfheParameterFields (merged in below), pbsGroupingFactor always set.
 */
export interface TfheParameters extends Readonly<Required<TfheParameterFields>> {}

export class TfheParameters {
  /** Name of a published set, if any (see isTestOnly). */
  readonly name: string | undefined;
  private readonly hashValue: bigint;

  /** Takes the parameter fields of `fields` and nothing else (an optimizer's set carries more). */
  constructor(fields: TfheParameterFields, name?: string) {
    const own = this as unknown as Record<string, number>;
    const given = fields as unknown as Record<string, number>;
    for (const f of PARAMETER_FIELDS) own[f] = f === "pbsGroupingFactor" ? groupingFactor(fields) : given[f]!;
    this.name = name;
    validateParameters(this);
    this.hashValue = fnv1a64(canonicalBytes(this));
    Object.freeze(this);
  }

  /**
   * Whether the author named this set INSECURE_* in code: the mark of the unit tests' tiny sets,
   * the only sets below the curve the runtime generates keys for. No byte format carries a name,
   * so a set read from anyone else never has it.
   */
  get isTestOnly(): boolean {
    return this.name?.startsWith("INSECURE_") ?? false;
  }

  /** Dimension of the big LWE key (kN), where ciphertexts live between table lookups. */
  get bigDimension(): number {
    return this.glweDimension * this.polynomialSize;
  }

  /** Largest table precision p a PBS supports with these parameters (2^p ≤ N/2). */
  get maxPrecision(): number {
    return Math.log2(this.polynomialSize) - 1;
  }

  /**
   * Bytes per keyswitching-key word in evaluation keys: 4 when the key can be stored rounded to
   * its top 32 bits without effect (ksBaseLog·ksLevel ≤ 24 and lweNoiseStd ≥ 2^-28: rounding is
   * public post-processing, adding < 2^-40 of keyswitch variance), else 8. Mirrors the addon.
   */
  get keyswitchKeyWordBytes(): 4 | 8 {
    return keyswitchKeyWordBytes(this.ksBaseLog, this.ksLevel, this.lweNoiseStd);
  }

  /** Plain fields, as passed to the addon. */
  raw(): TfheParameterFields {
    const fields: Record<string, number> = {};
    for (const f of PARAMETER_FIELDS) if (f !== "pbsGroupingFactor") fields[f] = this[f];
    // Classic sets keep exactly their historical fields; multi-bit ones name the factor.
    if (this.pbsGroupingFactor > 1) fields.pbsGroupingFactor = this.pbsGroupingFactor;
    return fields as unknown as TfheParameterFields;
  }

  /** 64-bit FNV-1a hash of the canonical encoding; stored in every serialized artifact. */
  hash(): bigint {
    return this.hashValue;
  }

  equals(other: TfheParameterFields): boolean {
    const a = { ...this.raw(), pbsGroupingFactor: this.pbsGroupingFactor } as unknown as Record<string, number>;
    const b = { ...other, pbsGroupingFactor: groupingFactor(other) } as unknown as Record<string, number>;
    return Object.keys(a).every((k) => a[k] === b[k]);
  }

  security(): SecurityCheck {
    return checkSecurity(this);
  }

  /** Throws unless both keys meet the 128-bit curve. */
  assertSecure(): void {
    assertSecureParameters(this, this.name ? `parameters ${this.name}` : "parameters");
  }

  serialize(): Uint8Array {
    return native().paramsSerialize(this.raw());
  }

  static deserialize(bytes: Uint8Array): TfheParameters {
    return new TfheParameters(native().paramsDeserialize(bytes));
  }

  /** Native-facing copy. */
  toRaw(): RawParams {
    return this.raw();
  }

  toString(): string {
    return `TfheParameters${this.name ? `(${this.name})` : ""}{n=${this.lweDimension}, k=${this.glweDimension}, ` +
      `N=${this.polynomialSize}, pbs=2^${this.pbsBaseLog}x${this.pbsLevel}, ks=2^${this.ksBaseLog}x${this.ksLevel}, ` +
      (this.pbsGroupingFactor > 1 ? `multi-bit g=${this.pbsGroupingFactor}, ` : "") +
      `log2σ_lwe=${Math.log2(this.lweNoiseStd).toFixed(2)}, log2σ_glwe=${Math.log2(this.glweNoiseStd).toFixed(2)}}`;
  }
}
