// Passes by name, for pipelines written as text (`--passes=canonicalize,…`).
import { bitwidthPass } from "./bitwidth.js";
import { canonicalizePass } from "./canonicalize.js";
import { comparisonsPass } from "./comparisons.js";
import { cryptoParamsPass } from "./params/pass.js";
import { lowerToTfhePass, tfheParamsPass } from "./lower_tfhe.js";
import { quantizePass } from "./quantize/index.js";
import { mlExpandPass } from "./quantize/lower_ml.js";
import { roundingPass } from "./rounding.js";
import { tluFusionPass } from "./tlu_fusion.js";
import type { Pass } from "./pass.js";

export class PassRegistry {
  private readonly passes = new Map<string, Pass>();

  register(...passes: Pass[]): this {
    for (const p of passes) {
      if (this.passes.has(p.name)) throw new Error(`pass '${p.name}' registered twice`);
      this.passes.set(p.name, p);
    }
    return this;
  }

  get(name: string): Pass | undefined {
    return this.passes.get(name);
  }

  all(): Pass[] {
    return [...this.passes.values()];
  }
}

export function createDefaultPassRegistry(): PassRegistry {
  return new PassRegistry().register(canonicalizePass, mlExpandPass, quantizePass, bitwidthPass, roundingPass, comparisonsPass, tluFusionPass, lowerToTfhePass, tfheParamsPass, cryptoParamsPass);
}

export const defaultPassRegistry: PassRegistry = createDefaultPassRegistry();
