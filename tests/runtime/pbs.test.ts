// Exhaustive correctness of the atomic pattern (KS + PBS) with secure parameters.
import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ClientKey, TARGET_P_ERROR, lookupTables, parametersForPrecision, runtimeInfo, type EvaluationKeys, type LookupTables,
  type TfheParameters,
} from "../../runtime/index.js";

function randomTable(precision: number): number[] {
  return Array.from({ length: 2 ** precision }, () => randomInt(2 ** precision));
}

/**
 * Compares decrypted lookups with the expected values. Sets designed for p_error = 2^-40 must be
 * exact. Concrete's sets (and FHEC_P7) are designed for p_error ≈ 6.3e-5 per PBS, so an
 * exhaustive run of n lookups fails with probability ≈ n·6.3e-5 by design: there, at most one
 * miss is tolerated, and the missed lookups are redone from fresh encryptions and must then be
 * right (a bug would miss systematically).
 */
async function expectLookups(params: TfheParameters, precision: number, client: ClientKey, server: EvaluationKeys,
  messages: number[], tables: LookupTables, got: number[], want: number[]): Promise<void> {
  const misses = got.map((g, i) => (g === want[i] ? -1 : i)).filter((i) => i >= 0);
  if (misses.length === 0) return;
  const designed = TARGET_P_ERROR[params.name!]!;
  expect(designed > 1e-9 && misses.length <= 1, `${misses.length} wrong lookups (${params.name}, designed p_error ${designed})`)
    .toBe(true);
  const retry = client.encrypt(misses.map((i) => messages[i]!), precision);
  const index = tables.index ? Uint32Array.from(misses.map((i) => tables.index![i]!)) : undefined;
  const again = await server.applyLookupTable(retry, index ? { ...tables, index } : tables);
  expect(client.decrypt(again, precision)).toEqual(misses.map((i) => want[i]));
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
      const lut = lookupTables(tables, precision, { index });
      const out = await server.applyLookupTable(inputs, lut);
      const want = tables.flatMap((t) => messages.map((m) => t[m]!));
      await expectLookups(params, precision, client, server, [...messages, ...messages, ...messages], lut,
        client.decrypt(out, precision), want);
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
      const lut = lookupTables(table, precision);
      const out = await server.applyLookupTable(client.encrypt(messages, precision), lut);
      await expectLookups(params, precision, client, server, messages, lut, client.decrypt(out, precision),
        messages.map((m) => table[m]!));
    });
  }
});
