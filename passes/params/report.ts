// A readable account of a chosen parameter set: the set, its security, the noise budget and the
// constraints closest to their bound (for compile reports and `fhec info`).
import type { NoiseConstraint } from "./norms.js";
import { noiseTerms } from "../../crypto-model/index.js";
import { constraintErrorProbabilities, type CryptoParameters } from "./optimizer.js";
import { checkSecurity } from "../../crypto-model/index.js";

const log2 = (x: number): string => (x > 0 ? Math.log2(x).toFixed(2) : "-inf");

/** Multi-line report; lists the `top` constraints with the highest predicted error probability. */
export function explainParameters(p: CryptoParameters, constraints: readonly NoiseConstraint[], top = 5): string {
  const t = noiseTerms(p);
  const lines = [
    `TFHE parameters: k = ${p.glweDimension}, N = ${p.polynomialSize} (big key kN = ${p.glweDimension * p.polynomialSize}), n = ${p.lweDimension}`,
    `  PBS decomposition 2^${p.pbsBaseLog} × ${p.pbsLevel}${(p.pbsGroupingFactor ?? 1) > 1 ? ` (multi-bit, grouping factor ${p.pbsGroupingFactor})` : ""}, keyswitch 2^${p.ksBaseLog} × ${p.ksLevel}`,
    `  noise std log2(σ/q): LWE ${log2(p.lweNoiseStd)}, GLWE ${log2(p.glweNoiseStd)}`,
    `  cost per table lookup: ${p.cost === 0 ? "0 (no table lookup)" : p.cost.toExponential(3)}`,
    `  p_error per PBS: bound ${p.pError.toExponential(2)}, predicted worst ${p.pErrorPerPbs.toExponential(2)} (${p.precision} bits, ν² = ${p.maxNorm2})`,
    `  variances log2: PBS output ${log2(t.bootstrap)}, keyswitch ${log2(t.keyswitch)}, modulus switch ${log2(t.modulusSwitch)}, fresh ${log2(t.fresh)}`,
    ...checkSecurity(p).report.split("\n").map((l) => `  ${l}`),
  ];
  if (constraints.length > 0) {
    const probs = constraintErrorProbabilities(p, constraints);
    const order = probs.map((_, i) => i).sort((a, b) => probs[b]! - probs[a]!);
    lines.push(`  ${constraints.length} constraint${constraints.length === 1 ? "" : "s"}; closest to the bound:`);
    for (const i of order.slice(0, top)) {
      const c = constraints[i]!;
      lines.push(`    ${c.description ?? c.kind}: ${c.precision} bit${c.precision === 1 ? "" : "s"}, ν² = ${c.norm2}, p_error ${probs[i]!.toExponential(2)}`);
    }
  }
  return lines.join("\n");
}
