// Crypto-parameter selection: norm (MANP) analysis, security curve, noise/cost model, optimizer, pass.
export * from "./norms.js";
export * from "./optimizer.js";
export * from "../../crypto-model/index.js";
export {
  CONVERSIONS_ATTR, CRYPTO_ATTR, cryptoParamsPass, cryptoParametersFromAttr, cryptoParametersToAttr, INPUT_PARTITIONS_ATTR, PARTITION_ATTR,
  PARTITIONS_ATTR, partitionsFromModule, selectCryptoParameters, writePartitions, annotatePartitions, selectPartitionedParameters, type PartitionedSelection, type SelectOptions,
} from "./pass.js";
export * from "./partitions.js";
export * from "./classes.js";
export { explainParameters } from "./report.js";
export { constraintReport, placementsOf, valuePartitions, type ConstraintEntry } from "./constraints_report.js";
