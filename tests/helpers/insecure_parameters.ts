// Tiny parameter sets far below the 128-bit curve, for fast tests only. They live here, outside
// the library, so that neither the CLI nor the package's exports can reach them: the runtime
// generates keys for a set below the curve only when its author named it INSECURE_* in code.
import { TfheParameters } from "../../runtime/index.js";

/** 2-bit messages at N = 256 (serialization, fuzzing, linear ops, small circuits). */
export const INSECURE_TEST_P2 = new TfheParameters({
  lweDimension: 64,
  glweDimension: 1,
  polynomialSize: 256,
  pbsBaseLog: 12,
  pbsLevel: 2,
  ksBaseLog: 4,
  ksLevel: 5,
  lweNoiseStd: 2 ** -30,
  glweNoiseStd: 2 ** -50,
}, "INSECURE_TEST_P2");

/** A second geometry (n = 80, N = 512), for key sets and circuits of two partitions. */
export const INSECURE_TEST_P2_N512 = new TfheParameters({
  ...INSECURE_TEST_P2.raw(),
  lweDimension: 80,
  polynomialSize: 512,
}, "INSECURE_TEST_P2_N512");

/**
 * A wide small key (n = 448) with negligible key noise, so that a read's noise is nearly all
 * the modulus switch's: tests/tfhe/approximate.test.ts tells a centred switch from a plain one.
 */
export const INSECURE_TEST_MS = new TfheParameters({
  ...INSECURE_TEST_P2.raw(),
  lweDimension: 448,
  glweDimension: 2,
}, "INSECURE_TEST_MS");
