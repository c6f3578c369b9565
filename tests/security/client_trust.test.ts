// Attacks on the client through what it is given: a client spec with weakened parameters, a
// tampered or malformed spec, keys whose bytes announce weak parameters. Each is refused before
// any key exists, with one clear line (CLI exit 1), and nothing is written.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { FheModelClient } from "../../compiler/deploy/client.js";
import { FheModelServer } from "../../compiler/deploy/server.js";
import { serializeClientSpec } from "../../compiler/deploy/artifacts.js";
import { TfheClient } from "../../backends/tfhe/index.js";
import { ClientKey, CONCRETE_P4, EvaluationKeys, InvalidDataError, SeededEvaluationKeys, TfheParameters } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";
import { editSpec } from "../helpers/client_spec.js";

const work = mkdtempSync(join(tmpdir(), "fhec-trust-"));
const p = (name: string) => join(work, name);
const f = loadFixture("logreg_demo");
let spec: Uint8Array;

/** The audit's weakened set: N = 64 and no noise at all. */
const weaken = (params: Record<string, unknown>) => Object.assign(params, { polynomialSize: 64, glweDimension: 1, lweDimension: 64, lweNoiseStd: 0, glweNoiseStd: 0 });

beforeAll(() => {
  const circuit = compile(f.model, { calibration: f.calib, nBits: 3 });
  spec = serializeClientSpec(new FheModelServer(circuit).clientSpec());
  writeFileSync(p("good.client"), spec);
}, 60_000);

describe("a client spec with weakened parameters is refused before any key is generated", () => {
  it("fhec keygen refuses N = 64 and zero noise (checksum recomputed), writes no key", async () => {
    writeFileSync(p("weak.client"), editSpec(spec, (s) => weaken(s["parameters"] as Record<string, unknown>)));
    const r = await cli("keygen", p("weak.client"), "--out", p("weak_keys"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not 128-bit secure/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(p("weak_keys"), "secret.key"))).toBe(false);
  });

  it("noise just below the curve's minimum at a secure dimension is refused too", () => {
    const bytes = editSpec(spec, (s) => {
      const params = s["parameters"] as Record<string, number>;
      params["glweNoiseStd"] = params["glweNoiseStd"]! / 2;
    });
    expect(() => FheModelClient.load(bytes)).toThrow(/not 128-bit secure/);
  });

  it("TfheClient.generate and ClientKey.generate refuse insecure sets given as data", async () => {
    const weak = new TfheParameters({ ...CONCRETE_P4.raw(), lweDimension: 64, lweNoiseStd: 0 });
    expect(() => ClientKey.generate(weak)).toThrow(InvalidDataError);
    expect(() => ClientKey.generate(weak)).toThrow(/refusing to generate keys: .*not 128-bit secure/);
    const shape = { shape: [1, 2], width: 3, signed: false };
    await expect(TfheClient.generate({ params: weak, inputs: [shape], outputs: [shape] })).rejects.toThrow(/not 128-bit secure/);
    // A secure set is accepted; the unit tests' sets need their INSECURE_ name, which no byte format carries.
    expect(ClientKey.generate(CONCRETE_P4).params.equals(CONCRETE_P4)).toBe(true);
    expect(() => ClientKey.generate(new TfheParameters(INSECURE_TEST_P2.raw()))).toThrow(/not 128-bit secure/);
  });

  it("keys read from bytes without expected parameters must announce a secure set", async () => {
    const key = ClientKey.generate(INSECURE_TEST_P2);
    const seeded = await key.generateSeededEvaluationKeys();
    expect(() => SeededEvaluationKeys.deserialize(seeded.serialize())).toThrow(/not 128-bit secure/);
    expect(() => SeededEvaluationKeys.deserialize([seeded.serialize()])).toThrow(/not 128-bit secure/);
    expect(() => ClientKey.deserialize(key.serialize())).toThrow(/not 128-bit secure/);
    const expanded = await seeded.expand();
    expect(() => EvaluationKeys.deserialize(expanded.serialize())).toThrow(/not 128-bit secure/);
    // With the expected (test-only) parameters given by the caller, they read back.
    expect(SeededEvaluationKeys.deserialize(seeded.serialize(), INSECURE_TEST_P2).params.equals(INSECURE_TEST_P2)).toBe(true);
  });
});

describe("the client spec's integrity and schema", () => {
  it("a single flipped digit in an output scale is refused as corruption", async () => {
    const text = Buffer.from(spec).toString("latin1");
    const at = text.indexOf('"outputs":[{"scale":[') + '"outputs":[{"scale":['.length;
    const flipped = Buffer.from(spec);
    flipped[at + 3] = flipped[at + 3] === 0x35 ? 0x36 : 0x35; // one digit of the first scale
    writeFileSync(p("flipped.client"), flipped);
    const r = await cli("keygen", p("flipped.client"), "--out", p("flipped_keys"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/corrupted \(client spec checksum mismatch\)/);
  });

  const malformed: [string, (s: Record<string, unknown>) => void, RegExp][] = [
    ["inputs[0].shape not a list", (s) => ((s["inputs"] as Record<string, unknown>[])[0]!["shape"] = 4), /inputs\[0\]\.shape must be a list/],
    ["missing outputs", (s) => delete s["outputs"], /outputs must be a list/],
    ["a NaN-like scale", (s) => ((s["outputs"] as Record<string, unknown>[])[0]!["scale"] = ["x"]), /outputs\[0\]\.scale\[0\] must be a finite number/],
    ["a zero input scale", (s) => ((s["inputs"] as Record<string, unknown>[])[0]!["scale"] = [0]), /inputs\[0\]\.scale\[0\] must not be 0/],
    ["qmax beyond the encrypted width", (s) => ((s["inputs"] as Record<string, unknown>[])[0]!["qmax"] = 1000), /inputs\[0\]\.qmax must be an integer in \[-32, 31\]/],
    ["a scale list of the wrong length", (s) => ((s["inputs"] as Record<string, unknown>[])[0]!["scale"] = [1, 2]), /must have 1 or 4 entries/],
    ["a partition out of range", (s) => (((s["outputs"] as Record<string, unknown>[])[0]!["encrypted"] as Record<string, unknown>)["partition"] = 3), /partition must be an integer in \[0, 0\]/],
    ["parameters as a string", (s) => (s["parameters"] = "CONCRETE_P4"), /parameters must be an object/],
    ["a bad circuit id", (s) => (s["circuitId"] = 7), /circuitId must be a sha256/],
  ];
  for (const [name, edit, message] of malformed) {
    it(`${name}: one clear error naming the field, no TypeError`, () => {
      const bytes = editSpec(spec, edit);
      let err: unknown;
      try {
        FheModelClient.load(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidDataError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it("an untampered spec still loads and generates keys", async () => {
    const client = FheModelClient.load(readFileSync(p("good.client")));
    const keys = await client.generateKeys();
    expect(keys.secretKey.length).toBeGreaterThan(0);
  });
});
