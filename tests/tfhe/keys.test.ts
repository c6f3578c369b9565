// The server API takes evaluation keys only: a secret key is rejected at the type level and at run
// time; keys for other parameters or of another client key give a clear error; insecure
// parameter sets need an explicit test-only opt-in.
import { describe, expect, expectTypeOf, it } from "vitest";
import { type ServerKeys, TfheClient, TfheProgram, TfheServer } from "../../backends/tfhe/index.js";
import { ClientKey, FHEC_P1, TfheParameters } from "../../runtime/index.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";
import { batchOf, parse, programFor } from "./helpers.js";
import { lowerToTfhe } from "../../passes/lower_tfhe.js";
import { parametrizeTfhe } from "../../passes/tfhe_params.js";

const TEXT = `module {
  func.func @main(%x: tensor<4x!fhe.eint<2>>) -> tensor<4x!fhe.eint<3>> {
    %y = fhe.apply_lookup_table %x {table = dense<[1, 3, 5, 7]> : tensor<4xi64>} : (tensor<4x!fhe.eint<2>>) -> tensor<4x!fhe.eint<3>>
    return %y : tensor<4x!fhe.eint<3>>
  }
}`;

/** Same tiny geometry as INSECURE_TEST_P2 with another keyswitch base: other parameters. */
const OTHER_INSECURE = new TfheParameters({ ...INSECURE_TEST_P2.raw(), ksBaseLog: 3, ksLevel: 7 }, "INSECURE_TEST_OTHER");

describe("tfhe server keys", () => {
  it("type level: the server's key parameter excludes ClientKey", () => {
    expectTypeOf<ClientKey>().not.toMatchTypeOf<ServerKeys>();
    expectTypeOf<Parameters<typeof TfheServer.create>[1]>().toEqualTypeOf<ServerKeys>();
    if (false as boolean) {
      // @ts-expect-error a ClientKey is not evaluation keys
      void TfheServer.create(programFor(TEXT, INSECURE_TEST_P2), ClientKey.generate(INSECURE_TEST_P2));
    }
  });

  it("run time: a ClientKey smuggled through `any` is rejected with a clear message", async () => {
    const program = programFor(TEXT, INSECURE_TEST_P2);
    const secret = ClientKey.generate(INSECURE_TEST_P2);
    await expect(TfheServer.create(program, secret as unknown as ServerKeys)).rejects.toThrow(/never takes a secret key \(got a ClientKey\)/);
    await expect(TfheServer.create(program, {} as unknown as ServerKeys)).rejects.toThrow(/needs SeededEvaluationKeys or EvaluationKeys/);
  });

  it("keys of another parameter set are rejected", async () => {
    const program = programFor(TEXT, INSECURE_TEST_P2);
    const other = ClientKey.generate(OTHER_INSECURE);
    const seeded = await other.generateSeededEvaluationKeys();
    await expect(TfheServer.create(program, seeded)).rejects.toThrow(/evaluation keys were generated for .*ks=2\^3x7.*, but the circuit needs .*ks=2\^4x5/);
    await expect(TfheServer.create(program, await seeded.expand())).rejects.toThrow(/but the circuit needs/);
  });

  it("inputs encrypted under another client key are rejected (key ids differ)", async () => {
    const program = programFor(TEXT, INSECURE_TEST_P2);
    const alice = await TfheClient.generate(program.clientSpec());
    const bob = await TfheClient.generate(program.clientSpec());
    const server = await TfheServer.create(program, alice.evaluationKeys);
    expect(server.keyId).toBe(alice.client.keyId);
    const x = batchOf(1, [4], [0, 1, 2, 3]);
    await expect(server.run(bob.client.encrypt([x]))).rejects.toThrow(/encrypted under another client key/);
    const out = await server.run(alice.client.encrypt([x]));
    expect(Array.from(alice.client.decrypt(out)[0]!.data)).toEqual([1, 3, 5, 7]);
    expect(() => bob.client.decrypt(out)).toThrow(/another client key/);
    // Expanded keys with the id recorded from their seeded form keep the check.
    const expanded = await TfheServer.create(program, await alice.evaluationKeys.expand(), { keyId: alice.client.keyId });
    await expect(expanded.run(bob.client.encrypt([x]))).rejects.toThrow(/encrypted under another client key/);
    await expect(TfheServer.create(program, bob.evaluationKeys, { keyId: alice.client.keyId })).rejects.toThrow(/not the id of these evaluation keys/);
  });

  it("ciphertexts of other parameters or of the wrong shape are rejected", async () => {
    const program = programFor(TEXT, INSECURE_TEST_P2);
    const { client, evaluationKeys } = await TfheClient.generate(program.clientSpec());
    const server = await TfheServer.create(program, evaluationKeys);
    const foreign = ClientKey.generate(OTHER_INSECURE).encrypt([0, 1, 2, 3], 2);
    await expect(server.run({ batch: 1, keyId: server.keyId, values: [foreign] })).rejects.toThrow(/encrypted for other parameters/);
    const good = client.encrypt([batchOf(1, [4], [0, 1, 2, 3])]);
    await expect(server.run({ ...good, batch: 2 })).rejects.toThrow(/holds 4 ciphertexts, expected 2 sample/);
    expect(() => client.encrypt([batchOf(1, [4], [0, 1, 2, 4])])).toThrow(/outside the unsigned 2-bit range/);
  });

  it("insecure parameter sets need the explicit test-only opt-in; open parameters are refused", () => {
    const m = parse(TEXT);
    lowerToTfhe(m);
    expect(() => TfheProgram.fromModule(m)).toThrow(/no 'fhec.crypto' parameter set: run the tfhe-params pass/);
    parametrizeTfhe(m, INSECURE_TEST_P2.raw());
    expect(() => TfheProgram.fromModule(m)).toThrow(/not 128-bit secure/);
    expect(TfheProgram.fromModule(m, { insecureTestSets: [INSECURE_TEST_P2] }).pbsPerSample).toBe(4);
    // Only the very set, under the name its author gave it, lets the module's set pass.
    expect(() => TfheProgram.fromModule(m, { insecureTestSets: [OTHER_INSECURE] })).toThrow(/not 128-bit secure/);
    expect(() => TfheProgram.fromModule(m, { insecureTestSets: [new TfheParameters(INSECURE_TEST_P2.raw(), "TINY")] })).toThrow(/not 128-bit secure/);
    const secure = parse(TEXT);
    lowerToTfhe(secure);
    parametrizeTfhe(secure, FHEC_P1.raw());
    expect(TfheProgram.fromModule(secure).params.equals(FHEC_P1)).toBe(true);
  });

  it("a table wider than the polynomial size allows is a parametrization error", () => {
    const m = parse(TEXT.replaceAll("eint<2>", "eint<8>").replace("dense<[1, 3, 5, 7]> : tensor<4xi64>", `dense<${JSON.stringify(Array.from({ length: 256 }, (_, i) => i % 8))}> : tensor<256xi64>`));
    lowerToTfhe(m);
    expect(() => parametrizeTfhe(m, INSECURE_TEST_P2.raw())).toThrow(/8-bit table lookup needs a polynomial size N ≥ 2\^9; the parameter set has N = 256/);
  });
});
