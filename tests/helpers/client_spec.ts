// Rewrites a client spec as an attacker (or a fuzzer) would: parse, edit the fields, and seal it
// again with a freshly computed checksum, so the edit reaches the reader's field checks.
import { resealSpec, specFields } from "../../bench/fuzz_harness.js";

export function editSpec(bytes: Uint8Array, edit: (fields: Record<string, unknown>) => void): Uint8Array {
  const fields = structuredClone(specFields(bytes));
  edit(fields);
  return resealSpec(fields);
}
