// Client/server split of a partitioned circuit: the client spec lists every partition and the
// conversion keys, keygen makes a key set, inputs and outputs travel under their partitions' keys,
// and the server refuses keys of a different shape.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../compiler/data/npy.js";
import { deserializeClientSpec, serializeClientSpec } from "../../compiler/deploy/artifacts.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { cli } from "../helpers/cli.js";
import { F, tinyPartitioned } from "./tiny_partitioned.js";

describe("partitioned circuits, client/server", () => {
  const t = tinyPartitioned();
  const x5 = { shape: [5, F], data: t.x.data.slice(0, 5 * F) };

  it("FheModelClient and FheModelServer exchange only bytes; results equal the clear quantized model", async () => {
    expect(t.circuit.partitions?.partitions.length ?? 1).toBeGreaterThanOrEqual(2);
    const server = new FheModelServer(t.circuit);
    const spec = deserializeClientSpec(serializeClientSpec(server.clientSpec()));
    expect(spec.partitions?.length).toBe(t.circuit.partitions!.partitions.length);
    expect(spec.inputs[0]!.encrypted.partition).toBeDefined();
    const client = new FheModelClient(spec);
    const keys = await client.generateKeys();
    const result = await server.run(keys.evaluationKeys, client.encrypt(x5));
    const want = Array.from(t.circuit.predictClear(x5, { fhe: "disable" })[0]!.data);
    expect(Array.from(client.decrypt(result)[0]!.data)).toEqual(want);
    // A restored secret key set decrypts the same bytes.
    const again = new FheModelClient(spec);
    again.loadSecretKey(keys.secretKey);
    expect(Array.from(again.decrypt(result)[0]!.data)).toEqual(want);
    await expect(server.run(keys.secretKey, client.encrypt(x5))).rejects.toThrow(/holds secret key, not evaluation keys/);
  }, 300_000);

  it("the CLI keygen/encrypt/run/decrypt loop works on a partitioned circuit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fhec-parts-"));
    const p = (f: string) => join(dir, f);
    t.circuit.save(p("c.fhe"));
    writeFileSync(p("x.npy"), writeNpy(x5, "float64"));
    const server = new FheModelServer(t.circuit);
    writeFileSync(p("c.client"), serializeClientSpec(server.clientSpec()));
    for (const argv of [
      ["keygen", p("c.client"), "--out", p("keys")],
      ["encrypt", p("c.client"), "--keys", p("keys"), "--input", p("x.npy"), "-o", p("x.ct")],
      ["run", p("c.fhe"), "--eval-keys", p("keys/eval.key"), "--input", p("x.ct"), "-o", p("y.ct")],
      ["decrypt", p("c.client"), "--keys", p("keys"), "--input", p("y.ct"), "-o", p("y.npy")],
    ]) {
      const r = await cli(...argv);
      expect(r.code, `${argv[0]}: ${r.stderr}`).toBe(0);
    }
    expect(readFileSync(p("y.npy")).length).toBeGreaterThan(0);
  }, 300_000);
});
