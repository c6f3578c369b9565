// `npm run demo`: fhec end to end on a bundled logistic regression (compile, predict in the clear and in FHE, client/server split).
// A logistic regression with 4 features (trained outside, exported to ONNX by
// examples/fixtures/make_fixtures.py from a make_classification set, 80/20 split) is compiled with
// 3-bit quantization, predicted in the clear and in FHE, then deployed with a client/server split
// that exchanges only bytes: client spec, serialized evaluation keys and ciphertexts.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../compiler/compile.js";
import { readNpy } from "../compiler/data/npy.js";
import { FheModelClient } from "../compiler/deploy/client.js";
import { FheModelServer } from "../compiler/deploy/server.js";
import { serializeClientSpec } from "../compiler/deploy/artifacts.js";
import type { NDArray } from "../ir/tensor.js";

function fixtureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, "tests", "fixtures", "models", "logreg_demo");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("demo: cannot find tests/fixtures/models/logreg_demo");
}

/** Class per sample: the model outputs [P(class 0), P(class 1)]. */
function classes(probabilities: NDArray): number[] {
  const n = probabilities.shape[0]!;
  return Array.from({ length: n }, (_, s) => (probabilities.data[2 * s + 1]! > probabilities.data[2 * s]! ? 1 : 0));
}

const show = (xs: readonly (number | boolean)[]) => `[${xs.map((x) => (typeof x === "boolean" ? (x ? "True" : "False") : String(x))).join(" ")}]`;

async function main(): Promise<void> {
  const dir = fixtureDir();
  const npy = (f: string) => readNpy(readFileSync(join(dir, f)));
  const xTrain = npy("x_train.npy");
  const xTest = npy("x_test.npy");
  const yTest = Array.from(npy("y_test.npy").data);

  // Quantize to 3 bits, calibrating on the training set, and compile.
  const circuit = compile(join(dir, "model.onnx"), { calibration: xTrain, nBits: 3 });
  const info = circuit.info();
  const p = info.parameters!;
  console.log(`Compiled: ${info.ops["fhe.matmul_eint_int"] ?? 0} encrypted matmul, ${info.tluCount} table lookups; TFHE n = ${p.lweDimension}, k = ${p.glweDimension}, N = ${p.polynomialSize}`);

  const yClear = classes((await circuit.predict(xTest, { fhe: "disable" }))[0]!);
  console.log(`Accuracy clear: ${(100 * yClear.filter((c, i) => c === yTest[i]).length / yTest.length).toFixed(1)}%`);

  let t = performance.now();
  const yFhe = classes((await circuit.predict(xTest, { fhe: "execute" }))[0]!);
  console.log(`FHE inference on ${yTest.length} samples (key generation included): ${((performance.now() - t) / 1000).toFixed(2)} s\n`);
  console.log("In clear  :", show(yClear));
  console.log("In FHE    :", show(yFhe));
  console.log("Comparison:", show(yFhe.map((c, i) => c === yClear[i])));

  // Client/server: the development machine writes the artifacts; only bytes travel.
  const work = mkdtempSync(join(tmpdir(), "fhec-demo-"));
  const server = new FheModelServer(circuit);
  writeFileSync(join(work, "circuit.fhe"), circuit.serialize());
  writeFileSync(join(work, "circuit.client"), serializeClientSpec(server.clientSpec()));

  const client = FheModelClient.load(readFileSync(join(work, "circuit.client")));
  t = performance.now();
  const keys = await client.generateKeys(); // the secret key stays with the client
  const keygenMs = performance.now() - t;
  const request = client.encrypt(xTest);

  const deployed = FheModelServer.load(readFileSync(join(work, "circuit.fhe")));
  t = performance.now();
  const response = await deployed.run(keys.evaluationKeys, request);
  const runMs = performance.now() - t;

  const yDeployed = classes(client.decrypt(response)[0]!);
  console.log(`\nClient/server: evaluation keys ${(keys.evaluationKeys.length / 2 ** 20).toFixed(1)} MiB (keygen ${(keygenMs / 1000).toFixed(2)} s), request ${(request.length / 1024).toFixed(0)} KiB, response ${(response.length / 1024).toFixed(0)} KiB, server run ${(runMs / 1000).toFixed(2)} s`);
  console.log("In FHE (client/server):", show(yDeployed));
  console.log("Comparison            :", show(yDeployed.map((c, i) => c === yClear[i])));
  if (yFhe.some((c, i) => c !== yClear[i]) || yDeployed.some((c, i) => c !== yClear[i])) {
    console.error("FHE and clear predictions differ");
    process.exitCode = 1;
  }
}

await main();
