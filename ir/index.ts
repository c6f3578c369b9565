// Public surface of the IR package.
export * from "./attributes.js";
export * from "./builder.js";
export * from "./core.js";
export * from "./diagnostics.js";
export * from "./opdef.js";
export * from "./printer.js";
export * from "./registry.js";
export * from "./types.js";
export * from "./verifier.js";
export { parseModule, type ParseResult } from "./parser/index.js";
export { createDefaultRegistry, defaultRegistry } from "./dialects/index.js";
