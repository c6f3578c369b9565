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
import { NamedRegistry } from "../ir/named_registry.js";

export class PassRegistry extends NamedRegistry<Pass> {
  constructor() {
    super("pass");
  }
}

export function createDefaultPassRegistry(): PassRegistry {
  return new PassRegistry().register(canonicalizePass, mlExpandPass, quantizePass, bitwidthPass, roundingPass, comparisonsPass, tluFusionPass, lowerToTfhePass, tfheParamsPass, cryptoParamsPass);
}

export const defaultPassRegistry: PassRegistry = createDefaultPassRegistry();
