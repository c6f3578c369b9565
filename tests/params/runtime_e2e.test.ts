// The optimizer's sets run on the real TFHE runtime: accepted by its validation and security
// check, and a Dot(ν) → KS → PBS chain at the chosen set decrypts correctly.
import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chooseParameters } from "../../passes/params/optimizer.js";
import { safeStd } from "../../crypto-model/index.js";
import { add, checkSecurity, delta, lookupTables, mulClear, TfheParameters, torusError } from "../../runtime/index.js";
import { dotChainKeys } from "./dot_chain.js";

describe("optimizer sets on the runtime", () => {
  it("are accepted by the runtime and pass its own security check", () => {
    for (const [p, nu2, pe] of [[1, 1, 2 ** -40], [3, 50, 2 ** -40], [4, 1, 6.3e-5], [6, 10, 2 ** -20], [8, 1, 6.3e-5], [10, 1e4, 2 ** -40]] as const) {
      const params = new TfheParameters(chooseParameters({ constraints: [{ kind: "table", precision: p, norm2: nu2 }], pError: pe }));
      expect(checkSecurity(params).secure).toBe(true);
      expect(params.maxPrecision).toBeGreaterThanOrEqual(p);
    }
  });

  it("a 3-bit Dot(ν² = 5) → KS → PBS chain decrypts correctly at the chosen set", async () => {
    const precision = 3;
    const { chosen, client, server } = await dotChainKeys(precision, 5, { decryptsOutput: true });
    const count = 64;
    const a = Array.from({ length: count }, () => randomInt(8));
    const b = Array.from({ length: count }, () => randomInt(8));
    // Table values in 0..2 so that f(a) + 2·f(b) ≤ 6 stays clear of the padding bit.
    const f = [0, 1, 2, 1, 0, 2, 1, 2];
    // First lookups on fresh encryptions, one per input.
    const ta = await server.applyLookupTable(client.encrypt(a, precision), lookupTables(f, precision));
    const tb = await server.applyLookupTable(client.encrypt(b, precision), lookupTables(f, precision));
    expect(client.decrypt(ta, precision)).toEqual(a.map((x) => f[x]));
    // sum = 1·f(a) + 2·f(b): ν² = 1 + 4 = 5.
    const sum = add(ta, mulClear(tb, [2]));
    const expected = a.map((x, i) => f[x]! + 2 * f[b[i]!]!);
    const phases = client.phases(sum);
    let s = 0;
    for (let i = 0; i < count; i++) {
      const e = torusError(phases[i]!, BigInt(expected[i]!) * delta(precision));
      s += e * e;
    }
    // The measured ν-weighted noise is far below the safe std (it is a PBS-output combination).
    expect(Math.sqrt(s / count)).toBeLessThan(safeStd(precision, chosen.pError));
    const g = [7, 6, 5, 4, 3, 2, 1, 0];
    const out = await server.applyLookupTable(sum, lookupTables(g, precision));
    expect(client.decrypt(out, precision)).toEqual(expected.map((x) => g[x]));
  });
});
