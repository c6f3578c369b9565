// Public surface of the tfhe backend: runs a `tfhe` function (after passes lower-to-tfhe and
// tfhe-params) on encrypted batches with the native runtime.
//
//   // compile side: fhe module → lowerToTfhe(m) → parametrizeTfhe(m[, params]) (or the passes)
//   const program = TfheProgram.fromModule(m);                    // checks ops, parameters, security
//   // client
//   const { client, evaluationKeys } = await TfheClient.generate(program.clientSpec());
//   const enc = client.encrypt(quantizedInputs);                  // IntBatch[] (as simulate takes)
//   // server: evaluation keys only (a ClientKey is rejected by type and at run time)
//   const server = await TfheServer.create(program, evaluationKeys);
//   const out = await server.run(enc, { onProgress: (done, total) => … });
//   // client
//   const ints = client.decrypt(out);                              // = simulate(fheFunc, inputs)
//
// Encoding (per value): !fhe.eint<p>/!fhe.esint<p> ↦ LWE under the big key of v·2^(63−p) mod 2^64.
// Exactness: linear ops, tables, exact rounding and sign casts reproduce the clear simulation bit
// for bit (up to the parameter set's p_error). Approximate rounding returns floor or ceil of
// x/2^k: it equals the simulator's half-up result unless the removed bits lie near the tie (see
// tests/tfhe/approximate.test.ts for the measured spread).
export { type IntBatch, TfheClient } from "./client.js";
export { decodeAt, deltaOf, encodeAt, encodeOne, MAX_ENCODING_BITS } from "./encoding.js";
export { type ExecuteOptions, executeTfhe, type TracedValue } from "./execute.js";
export { type EncryptedValueSpec, parametersOf, type ProgramOptions, SUPPORTED_OPS, type TfheClientSpec, TfheProgram } from "./program.js";
export { type EncryptedBatch, type EncryptedInputs, evaluationKeyId, type ServerKeys, TfheServer } from "./server.js";
export { BATCH_FORMAT_VERSION, deserializeEncryptedBatch, encryptedBatchParser, encryptedBatchStream, serializeEncryptedBatch } from "./batch_io.js";

// What the rest of the library (deployment, containers, cost, serving) and the CLI need of the
// runtime, so that nothing above this backend imports runtime/ itself: byte streams and framing,
// the data-error type, keys, byte sizes and the thread pool.
export {
  asInvalidData, assertSecureParameters, bytesStream, ciphertextBytes, ClientKey, ClientKeySet, collect, conversionKeySize,
  DEFAULT_CHUNK_BYTES, evaluationKeySize, InvalidDataError, parseChunks, SEEDED_BODY_BYTES, SeededEvaluationKeys,
  SeededEvaluationKeySet, seededEvaluationKeySize, seededKeySetBytes, secretKeySize, setThreads, sha256Of, TfheParameters,
  type ByteStream, type ChunkSink, type ConversionKeySize, type EvaluationKeys, type EvaluationKeySet, type TfheParameterFields,
} from "../../runtime/index.js";
export { collectingSink, FrameParser, frameStream } from "../../runtime/framing.js";
