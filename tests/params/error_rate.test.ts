// The model is not optimistic: at a deliberately loose p_error the measured table-misread rate on the
// real runtime stays below what the optimizer predicts for its chosen set.
import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { lookupTables, mulClear } from "../../runtime/index.js";
import { dotChainKeys } from "./dot_chain.js";

describe("measured PBS error rate vs prediction", () => {
  it("Dot(ν = 2) → KS → PBS at p_error 2^-6 (3 bits)", async () => {
    const precision = 3;
    const { chosen, client, server } = await dotChainKeys(precision, 4, { pError: 2 ** -6 });
    const count = 200;
    const msgs = Array.from({ length: count }, () => randomInt(4));
    const identity = Array.from({ length: 8 }, (_, i) => i);
    // PBS outputs of m (ν² = 1 of PBS noise), doubled: 2m with ν² = 4, then read by a 3-bit table.
    const first = await server.applyLookupTable(client.encrypt(msgs, precision), lookupTables(identity, precision));
    const firstOut = client.decrypt(first, precision);
    const doubled = mulClear(first, [2]);
    const second = client.decrypt(await server.applyLookupTable(doubled, lookupTables(identity, precision)), precision);
    let firstErrors = 0;
    let secondErrors = 0;
    for (let i = 0; i < count; i++) {
      if (firstOut[i] !== msgs[i]) firstErrors++;
      else if (second[i] !== 2 * msgs[i]!) secondErrors++;
    }
    // The binding constraint is predicted at ≤ 2^-6 ≈ 1.6% (about 3 misreads in 200; a model
    // optimistic by 4× in variance would give ~25%). Slack: 4 binomial stds above the prediction.
    const bound = (p: number) => count * p + 4 * Math.sqrt(count * p) + 1;
    expect(secondErrors).toBeLessThanOrEqual(bound(chosen.pErrorPerPbs));
    expect(firstErrors).toBeLessThanOrEqual(bound(chosen.pErrorPerPbs));
  });
});
