// Exhaustive correctness of the atomic pattern (KS + PBS) with secure parameters.
import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ClientKey, lookupTables, parametersForPrecision, runtimeInfo, type EvaluationKeys, type TfheParameters,
} from "../../runtime/index.js";

function randomTable(precision: number): number[] {
  return Array.from({ length: 2 ** precision }, () => randomInt(2 ** precision));
}

async function keys(params: TfheParameters): Promise<{ client: ClientKey; server: EvaluationKeys }> {
  const client = ClientKey.generate(params);
  const server = await (await client.generateSeededEvaluationKeys()).expand();
  return { client, server };
}

describe(`KS + PBS, exhaustive over messages (kernel ${runtimeInfo().kernel})`, () => {
  for (const precision of [1, 2, 3, 4, 5, 6]) {
    it(`p = ${precision}: decrypt(KS+PBS(encrypt(m))) = table[m] for all m, 3 random tables`, async () => {
      const params = parametersForPrecision(precision);
      params.assertSecure();
      const { client, server } = await keys(params);
      const messages = Array.from({ length: 2 ** precision }, (_, m) => m);
      const tables = [randomTable(precision), randomTable(precision), randomTable(precision)];
      // One batch: every message against every table (table index per ciphertext).
      const inputs = client.encrypt([...messages, ...messages, ...messages], precision);
      const index = Uint32Array.from({ length: 3 * messages.length }, (_, i) => Math.floor(i / messages.length));
      const out = await server.applyLookupTable(inputs, lookupTables(tables, precision, { index }));
      const got = client.decrypt(out, precision);
      const want = tables.flatMap((t) => messages.map((m) => t[m]!));
      expect(got).toEqual(want);
      expect(out.dimension).toBe(params.bigDimension);
    });
  }

  // Large sets: one random table, every message (keys of 0.4 and 1.3 GiB). p = 8 takes about a
  // minute on 2 cores, so it runs with FHEC_RUNTIME_SLOW=1; `npm run bench -- pbs` always checks
  // every message of p = 7 and 8.
  for (const precision of [7, 8]) {
    const slow = precision === 8 && process.env.FHEC_RUNTIME_SLOW !== "1";
    it.skipIf(slow)(`p = ${precision}: decrypt(KS+PBS(encrypt(m))) = table[m] for all m, 1 random table`, async () => {
      const params = parametersForPrecision(precision);
      params.assertSecure();
      const { client, server } = await keys(params);
      const messages = Array.from({ length: 2 ** precision }, (_, m) => m);
      const table = randomTable(precision);
      const out = await server.applyLookupTable(client.encrypt(messages, precision), lookupTables(table, precision));
      expect(client.decrypt(out, precision)).toEqual(messages.map((m) => table[m]!));
    });
  }
});
