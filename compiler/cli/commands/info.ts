// `fhec info`: what a compiled circuit contains.
import { type Command, requiredPositional } from "../command.js";
import { type CircuitInfo, FheCircuit } from "../../circuit.js";

/** Binary units: B, KiB, MiB, GiB. */
export function bytes(b: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return i === 0 ? `${b} B` : `${b.toFixed(1)} ${units[i]}`;
}

/** ", multi-bit g = 2" for a multi-bit set, "" for the classic PBS. */
function multiBit(p: { readonly pbsGroupingFactor?: number }): string {
  return (p.pbsGroupingFactor ?? 1) > 1 ? `, multi-bit g = ${p.pbsGroupingFactor}` : "";
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms.toPrecision(3)} ms` : ms < 120_000 ? `${(ms / 1000).toPrecision(3)} s` : `${(ms / 60_000).toPrecision(3)} min`;
}

/** Ciphertext bytes of one sample: inputs as sent (seeded), outputs as returned. */
function sampleLine(s: NonNullable<CircuitInfo["sampleBytes"]>): string {
  return `  per sample: ${bytes(s.inputBytesPerSample)} of ciphertexts sent (seeded), ${bytes(s.outputBytesPerSample)} returned`;
}

/** Key sizes, bytes per sample and estimated latency (of one set, or of every partition together). */
export function costLines(info: Pick<CircuitInfo, "keySizes" | "sampleBytes" | "latency">): string[] {
  const lines: string[] = [];
  const k = info.keySizes;
  if (k) {
    lines.push(`  secret key (client only): ${bytes(k.secretKey)}`);
    lines.push(`  evaluation keys sent by the client (seeded): ${bytes(k.totalSeeded)} (bootstrapping ${bytes(k.seededBootstrapKey)}, keyswitching ${bytes(k.seededKeyswitchKey)})`);
    lines.push(`  evaluation keys held by the server (expanded): ${bytes(k.total)} (bootstrapping ${bytes(k.bootstrapKey)}, keyswitching ${bytes(k.keyswitchKey)})`);
  }
  if (info.sampleBytes) lines.push(sampleLine(info.sampleBytes));
  const l = info.latency;
  if (l) {
    lines.push(`  estimated latency per sample: ${duration(l.singleThreadMs)} on 1 thread, ${duration(l.allCoresMs)} on ${l.threads} threads ` +
      `(${duration(l.msPerLookup)} per table lookup; time model: ${l.model})`);
  }
  return lines;
}

function text(info: CircuitInfo): string {
  const lines: string[] = [];
  lines.push("inputs:");
  for (const q of info.inputs) {
    const scale = q.scale.length === 1 ? `scale ${q.scale[0]!.toPrecision(6)}, zero point ${q.zeroPoint[0]}` : `${q.scale.length} per-feature scales`;
    lines.push(`  ${q.name} [${q.shape.map((d) => (d < 0 ? "N" : d)).join(", ")}]: codes ${q.qmin}..${q.qmax}, ${scale}, encrypted as ${q.encryptedType}`);
  }
  lines.push("outputs:");
  info.outputs.forEach((o, i) => lines.push(`  #${i} [${o.shape.join(", ")}] ${o.encryptedType}, scale ${o.scale.min.toPrecision(4)}..${o.scale.max.toPrecision(4)}`));
  lines.push(`table lookups: ${info.tluCount} op(s), ${info.lookupsPerSample} PBS per sample, max input precision ${info.maxTluInputPrecision} bits`);
  for (const t of info.tlus) lines.push(`  ${t.op} at ${t.location}: ${t.inputPrecision}-bit input${t.precisionFrom === "data" ? " (window fitted to calibration data)" : ""}, ${t.elements} element(s)`);
  lines.push(`rounding ops: ${info.roundOps}`);
  lines.push(`widest accumulator: ${info.maxAccumulatorWidth} bits; widest encrypted value: ${info.maxWidth} bits`);
  lines.push(`p_error per table lookup: ${info.pError}`);
  const p = info.parameters;
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  if (p && info.keySizes && info.partitions && info.partitions.length > 1) {
    lines.push(`TFHE parameters (128-bit secure): ${info.partitions.length} partitions`);
    info.partitions.forEach((q, i) => {
      if (q.outputKey) {
        lines.push(`  partition ${i}, output key: n = ${q.lweDimension} (the results return under it; no evaluation keys); sized for decrypting ${q.precision} bits at ν² = ${q.maxNorm2}`);
        return;
      }
      lines.push(`  partition ${i}: n = ${q.lweDimension}, k = ${q.glweDimension}, N = ${q.polynomialSize}, PBS 2^${q.pbsBaseLog} × ${q.pbsLevel}${multiBit(q)}, keyswitch 2^${q.ksBaseLog} × ${q.ksLevel}`);
      lines.push(`    ${q.tableOps} table op(s), ${q.pbsPerSample} PBS per sample; sized for ${q.precision}-bit reads at ν² = ${q.maxNorm2}; keys ${mb(q.keySizes.total)} (seeded ${mb(q.keySizes.totalSeeded)})`);
    });
    for (const c of info.conversions ?? []) {
      lines.push(`  conversion ${c.from} → ${c.to}: keyswitch 2^${c.ksBaseLog} × ${c.ksLevel} from dimension ${c.inputDimension}, ${c.count} per sample; key ${mb(c.keySizes.inMemory)} (seeded ${mb(c.keySizes.seeded)})`);
    }
    lines.push("  all partitions together:");
    lines.push(...costLines(info).map((l) => `  ${l}`));
  } else if (p && info.keySizes) {
    lines.push(`TFHE parameters (128-bit secure): n = ${p.lweDimension}, k = ${p.glweDimension}, N = ${p.polynomialSize}, PBS 2^${p.pbsBaseLog} × ${p.pbsLevel}${multiBit(p)}, keyswitch 2^${p.ksBaseLog} × ${p.ksLevel}`);
    lines.push(`  noise std (fraction of q): LWE ${p.lweNoiseStd.toExponential(3)}, GLWE ${p.glweNoiseStd.toExponential(3)}; sized for ${p.precision}-bit reads at ν² = ${p.maxNorm2}`);
    lines.push(...costLines(info));
  }
  lines.push("ops:");
  for (const [name, n] of Object.entries(info.ops).sort()) lines.push(`  ${name}: ${n}`);
  return lines.join("\n") + "\n";
}

export const infoCommand: Command = {
  name: "info",
  summary: "Describe a compiled circuit (ops, table lookups, precisions, quantizers, key sizes, latency)",
  help: `usage: fhec info <circuit.fhe> [--json]

Sizes are exact (the runtime's own layouts). The latency is an estimate from a time model of
one table lookup (built in, or the calibration file named by FHEC_TIME_MODEL, written by
\`npm run bench -- pbs\`); linear operations are not counted.

options:
  --json   machine-readable output
`,
  options: { json: { type: "boolean" } },
  async run(args, ctx) {
    const info = FheCircuit.load(requiredPositional(args, 0, "circuit file")).info();
    ctx.stdout(args.values["json"] ? `${JSON.stringify(info, null, 2)}\n` : text(info));
    return 0;
  },
};
