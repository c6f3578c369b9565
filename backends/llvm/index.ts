// Public surface of the LLVM backend: the clear circuit as native code (optional: needs the
// llvm-bindings package and LLVM 14; see README, "LLVM backend").
export { compileLlvm, isCompiled, simulateLlvm } from "./compiled.js";
export { ENABLE_HINT, llvmStatus, type LlvmStatus, requireLlvm, resetLlvmStatus } from "./load.js";
export { BACKEND_CHOICES, type BackendChoice, llvmPays, resolveBackend, workPerSample } from "./select.js";
export { drawModeOf, type LlvmRunOptions } from "./run.js";
