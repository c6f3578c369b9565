// The cryptographic model shared by the compiler and the runtime: parameter fields and their
// rules, the 128-bit security curve, and the noise and cost formulas (docs/tfhe.md).
export * from "./parameters.js";
export * from "./security.js";
export * from "./noise.js";
