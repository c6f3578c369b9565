// Crypto-parameter selection: norm (MANP) analysis, security curve, noise/cost model, optimizer, pass.
export * from "./noise.js";
export * from "./norms.js";
export * from "./optimizer.js";
export * from "./security.js";
export { CRYPTO_ATTR, cryptoParamsPass, cryptoParametersFromAttr, cryptoParametersToAttr, selectCryptoParameters, type SelectOptions } from "./pass.js";
export { explainParameters } from "./report.js";
