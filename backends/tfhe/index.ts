// Public surface of the tfhe backend (server: TfheServer with evaluation keys only; client:
// TfheClient with the secret key; TfheProgram: a lowered, parametrized tfhe module).
export { type IntBatch, TfheClient } from "./client.js";
export { decodeAt, deltaOf, encodeAt, encodeOne, MAX_ENCODING_BITS } from "./encoding.js";
export { type ExecuteOptions, executeTfhe, type TracedValue } from "./execute.js";
export { type EncryptedValueSpec, parametersOf, type ProgramOptions, SUPPORTED_OPS, type TfheClientSpec, TfheProgram } from "./program.js";
export { type EncryptedBatch, evaluationKeyId, type ServerKeys, TfheServer } from "./server.js";
