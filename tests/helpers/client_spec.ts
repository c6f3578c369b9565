// Rewrites a client spec as an attacker (or a fuzzer) would: parse, edit the fields, and seal it
// again with a freshly computed checksum, so the edit reaches the reader's field checks.
import { deserializeClientSpec, type ClientSpec, serializeClientSpec } from "../../compiler/deploy/artifacts.js";
import { unpackContainer } from "../../compiler/container.js";

const CLIENT_MAGIC = Buffer.from("FHECCLNT", "latin1");

/** The spec's header fields as plain JSON (checksum and format tag removed). */
export function specFields(bytes: Uint8Array): Record<string, unknown> {
  const version = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const { header } = unpackContainer(bytes, CLIENT_MAGIC, version, "fhec client spec", "<spec>");
  const { sha256: _sum, format: _format, ...fields } = header;
  return fields;
}

/** Seals edited fields with a valid checksum (the fields are not validated on the way). */
export function resealSpec(fields: Record<string, unknown>): Uint8Array {
  return serializeClientSpec(fields as unknown as ClientSpec);
}

export function editSpec(bytes: Uint8Array, edit: (fields: Record<string, unknown>) => void): Uint8Array {
  const fields = structuredClone(specFields(bytes));
  edit(fields);
  return resealSpec(fields);
}

export { deserializeClientSpec };
