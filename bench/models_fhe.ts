// `npm run bench -- models_fhe [--samples N] [--only name]`: encrypted execution (TFHE backend) of
// compiled fixtures next to the clear simulation: key generation time, latency of one sample,
// throughput of a batch, PBS per sample, and agreement of the decrypted integers with the
// simulation (exact rounding must agree exactly; approximate rounding may differ near ties).
// Prints a markdown table, writes bench/out/models_fhe.json.
import { cpus } from "node:os";
import { simulate } from "../backends/clear/index.js";
import { TfheClient, TfheProgram, TfheServer } from "../backends/tfhe/index.js";
import { compile, type CompileOptions } from "../compiler/compile.js";
import { defaultRegistry } from "../ir/dialects/index.js";
import { parseModule } from "../ir/parser/index.js";
import { printModule } from "../ir/printer.js";
import { lowerToTfhe } from "../passes/lower_tfhe.js";
import { CRYPTO_ATTR, cryptoParametersToAttr, selectCryptoParameters } from "../passes/params/index.js";
import { parametrizeTfhe } from "../passes/tfhe_params.js";
import { parametersForPrecision, runtimeInfo } from "../runtime/index.js";
import { argmaxDisagreement } from "../compiler/output_agreement.js";
import { arg, fixture, markdownTable, repeatSamples, writeJson } from "./fixtures.js";

interface Config {
  readonly label: string;
  readonly model: string;
  readonly options: CompileOptions;
  /** "precision": runtime's secure set for the widest table input; "optimizer": passes/params' choice. */
  readonly params: "precision" | "optimizer";
}

const CONFIGS: readonly Config[] = [
  { label: "logreg_demo nBits=3", model: "logreg_demo", options: { nBits: 3 }, params: "precision" },
  { label: "mlp nBits=2 round→3 exact", model: "mlp", options: { nBits: 2, roundingThresholdBits: { bits: 3, method: "exact" } }, params: "precision" },
  { label: "mlp nBits=2 round→3 exact (optimizer)", model: "mlp", options: { nBits: 2, roundingThresholdBits: { bits: 3, method: "exact" } }, params: "optimizer" },
  { label: "mlp nBits=2 round→3 approximate", model: "mlp", options: { nBits: 2, roundingThresholdBits: { bits: 3, method: "approximate" } }, params: "precision" },
  { label: "mlp nBits=3 round→4 approximate", model: "mlp", options: { nBits: 3, roundingThresholdBits: { bits: 4, method: "approximate" } }, params: "precision" },
  { label: "qdq_mlp round→4 exact (optimizer)", model: "qdq_mlp", options: { roundingThresholdBits: { bits: 4, method: "exact" } }, params: "optimizer" },
  { label: "cnn_avgpool nBits=2 round→3 approximate", model: "cnn_avgpool", options: { nBits: 2, roundingThresholdBits: { bits: 3, method: "approximate" } }, params: "precision" },
];

export async function main(args: string[]): Promise<void> {
  const samples = Number(arg(args, "samples") ?? 20);
  const only = arg(args, "only");
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const cfg of CONFIGS) {
    if (only && !cfg.label.includes(only)) continue;
    const f = fixture(cfg.model);
    const circuit = compile(f.model, { ...cfg.options, calibration: f.calib });
    const parsed = parseModule(printModule(circuit.module), "circuit.mlir", defaultRegistry);
    const module = parsed.module!;
    if (cfg.params === "optimizer") {
      // fhe → crypto-params (writes fhec.crypto) → lower-to-tfhe → tfhe-params (reads it).
      module.attributes.set(CRYPTO_ATTR, cryptoParametersToAttr(selectCryptoParameters(module).params));
      lowerToTfhe(module);
      parametrizeTfhe(module);
    } else {
      lowerToTfhe(module);
      parametrizeTfhe(module, parametersForPrecision(Math.max(1, circuit.info().maxTluInputPrecision)).raw());
    }
    const program = TfheProgram.fromModule(module);
    const params = program.params;
    let t = performance.now();
    const { client, evaluationKeys } = await TfheClient.generate(program.clientSpec());
    const server = await TfheServer.create(program, evaluationKeys);
    const keygenMs = performance.now() - t;
    const x = repeatSamples(f.x, samples);
    const q = circuit.quantizeInputs([x]);
    const expected = simulate(circuit.func, q);
    const one = circuit.quantizeInputs([repeatSamples(f.x, 1)]);
    t = performance.now();
    await server.run(client.encrypt(one));
    const latencyMs = performance.now() - t;
    t = performance.now();
    const got = client.decrypt(await server.run(client.encrypt(q)));
    const batchMs = performance.now() - t;
    const e = expected[0]!.data;
    const g = got[0]!.data;
    let equal = 0;
    for (let i = 0; i < e.length; i++) if (e[i] === g[i]) equal++;
    const valueAgreement = equal / e.length;
    const classAgreement = 1 - argmaxDisagreement(e, g, samples);
    rows.push([
      cfg.label,
      params.name ?? `n=${params.lweDimension} k=${params.glweDimension} N=${params.polynomialSize} pbs=2^${params.pbsBaseLog}×${params.pbsLevel}`,
      program.pbsPerSample,
      Math.round(keygenMs),
      Math.round(latencyMs),
      Math.round(batchMs / samples),
      (100 * valueAgreement).toFixed(1),
      (100 * classAgreement).toFixed(1),
    ]);
    json.push({ ...cfg, parameters: params.raw(), pbsPerSample: program.pbsPerSample, keygenMs, latencyMs, batchMsPerSample: batchMs / samples, samples, valueAgreement, classAgreement });
  }
  const info = runtimeInfo();
  console.log(`TFHE execution vs simulation, ${samples} samples per batch (${cpus()[0]?.model ?? "?"}, ${info.threads} threads, kernel ${info.kernel})\n`);
  console.log(
    markdownTable(
      ["circuit", "parameters", "PBS / sample", "keygen (ms)", "latency 1 sample (ms)", "batch (ms / sample)", "outputs = simulation (%)", "argmax = simulation (%)"],
      rows,
    ),
  );
  console.log(`\nwrote ${writeJson("models_fhe", { samples, cpu: cpus()[0]?.model, threads: info.threads, kernel: info.kernel, results: json })}`);
}
