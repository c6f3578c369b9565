// The addon and crypto-model/parameters.ts must accept exactly the same parameter sets: a set the
// compiler accepts but the runtime refuses (or the reverse) surfaces as an internal error later.
import { describe, expect, it } from "vitest";
import { type TfheParameterFields, validateParameters } from "../../crypto-model/index.js";
import { CONCRETE_P4 } from "../../runtime/index.js";
import { native } from "../../runtime/native.js";

const base: TfheParameterFields = CONCRETE_P4.raw();

// Boundary and wrap-around values for every field (levels of 2^31 once wrapped a 32-bit product).
const variants: Array<[keyof TfheParameterFields, number]> = [
  ["lweDimension", 0], ["lweDimension", 1], ["lweDimension", 16384], ["lweDimension", 16385],
  ["glweDimension", 0], ["glweDimension", 16], ["glweDimension", 17],
  ["polynomialSize", 32], ["polynomialSize", 64], ["polynomialSize", 96], ["polynomialSize", 131072], ["polynomialSize", 262144],
  ["pbsBaseLog", 0], ["pbsBaseLog", 52], ["pbsBaseLog", 53],
  ["pbsLevel", 0], ["pbsLevel", 1], ["pbsLevel", 3], ["pbsLevel", 64], ["pbsLevel", 2 ** 31], ["pbsLevel", 2 ** 32 - 1],
  ["ksBaseLog", 0], ["ksBaseLog", 63], ["ksBaseLog", 64],
  ["ksLevel", 0], ["ksLevel", 16], ["ksLevel", 17], ["ksLevel", 2 ** 31],
  ["lweNoiseStd", 0], ["lweNoiseStd", 0.49], ["lweNoiseStd", 0.5], ["lweNoiseStd", Number.NaN], ["lweNoiseStd", -1e-9],
  ["glweNoiseStd", Number.POSITIVE_INFINITY], ["glweNoiseStd", 2 ** -60],
];

function accepts(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe("parameter rules: the addon and crypto-model agree", () => {
  it.each(variants)("%s = %d", (field, value) => {
    const p = { ...base, [field]: value } as TfheParameterFields;
    const ts = accepts(() => validateParameters(p));
    const addon = accepts(() => native().paramsSerialize(p));
    expect({ field, value, addon }).toEqual({ field, value, addon: ts });
  });

  it("k·N above 262144 is refused by both", () => {
    const p = { ...base, glweDimension: 4, polynomialSize: 131072 };
    expect(accepts(() => validateParameters(p))).toBe(false);
    expect(accepts(() => native().paramsSerialize(p))).toBe(false);
  });
});
