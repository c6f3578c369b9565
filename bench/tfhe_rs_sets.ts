// tfhe-rs's KS-PBS shapes and its published CPU latencies, for `npm run bench -- pbs --sets tfhe-rs`.
//
// Shapes (n, k, N, PBS and KS decompositions, grouping factor) are those of tfhe-rs's
// 2^-128 TUniform parameter sets, read from the tfhe-rs repository (zama-ai/tfhe-rs):
// - classic: V1_1_PARAM_MESSAGE_{1_1,2_2,3_3,4_4}_CARRY_*_KS_PBS_TUNIFORM_2M128 in
//   tfhe/src/shortint/parameters/v1_1/classic/tuniform/p_fail_2_minus_128/ks_pbs.rs (later
//   versions' V1_x_PARAM_MESSAGE_*_KS_PBS_TUNIFORM_2M128 are aliases of these);
// - multi-bit: V1_1_PARAM_MULTI_BIT_GROUP_4_MESSAGE_*_KS_PBS_TUNIFORM_2M128 in
//   tfhe/src/shortint/parameters/v1_1/multi_bit/tuniform/p_fail_2_minus_128/ks_pbs.rs.
// Published figures: tfhe-rs 1.7's CPU benchmark table (AWS hpc8a, AMD EPYC 9R45, one PBS; the
// classic rows one PBS per core, the multi-bit rows with 11–13 threads per PBS).
//
// tfhe-rs uses TUniform noise; fhec uses Gaussian noise on its own 128-bit curve for each key
// dimension (crypto-model/security.ts). Speed depends on the shape only, so these are benchmark
// shapes: they live here, unreachable from the compiler, the CLI and the runtime's exports.
import { CONCRETE_P8, minNoiseStd, TfheParameters } from "../runtime/index.js";

export interface TfheRsShape {
  /** The set's name (tfhe-rs's, or fhec's for BOUND_ONLY_SHAPES). */
  readonly set: string;
  /** Table precision of a lookup: message + carry bits. */
  readonly precision: number;
  readonly params: TfheParameters;
  /** tfhe-rs 1.7's published latency (ms) for this set; absent for fhec's own sets. */
  readonly publishedMs?: number;
  /** The fhec classic shape a multi-bit shape is compared with (same precision). */
  readonly classicOf?: string;
}

function shape(set: string, precision: number, n: number, k: number, N: number, pbs: [number, number], ks: [number, number],
  grouping: number, publishedMs: number | undefined, classicOf?: string): TfheRsShape {
  const params = new TfheParameters({
    lweDimension: n, glweDimension: k, polynomialSize: N, pbsBaseLog: pbs[0], pbsLevel: pbs[1], ksBaseLog: ks[0], ksLevel: ks[1],
    pbsGroupingFactor: grouping, lweNoiseStd: minNoiseStd(n), glweNoiseStd: minNoiseStd(k * N),
  }, `tfhe-rs ${set}`);
  params.assertSecure();
  return { set, precision, params, ...(publishedMs === undefined ? {} : { publishedMs }), ...(classicOf === undefined ? {} : { classicOf }) };
}

const C = "PARAM_MESSAGE_";
const M = "PARAM_MULTI_BIT_GROUP_4_MESSAGE_";

export const TFHE_RS_SHAPES: readonly TfheRsShape[] = [
  shape(`${C}1_CARRY_1_KS_PBS`, 2, 879, 4, 512, [23, 1], [5, 3], 1, 5.72),
  shape(`${C}2_CARRY_2_KS_PBS`, 4, 918, 1, 2048, [23, 1], [4, 4], 1, 7.28),
  shape(`${C}3_CARRY_3_KS_PBS`, 6, 1077, 1, 8192, [15, 2], [4, 5], 1, 60.8),
  shape(`${C}4_CARRY_4_KS_PBS`, 8, 1117, 1, 65536, [11, 3], [3, 7], 1, 870),
  shape(`${M}1_CARRY_1_KS_PBS`, 2, 760, 1, 2048, [22, 1], [3, 4], 4, 3.72, `${C}1_CARRY_1_KS_PBS`),
  shape(`${M}2_CARRY_2_KS_PBS`, 4, 920, 1, 2048, [22, 1], [3, 5], 4, 4.57, `${C}2_CARRY_2_KS_PBS`),
  shape(`${M}3_CARRY_3_KS_PBS`, 6, 1040, 1, 8192, [14, 2], [3, 6], 4, 31.1, `${C}3_CARRY_3_KS_PBS`),
  shape(`${M}4_CARRY_4_KS_PBS`, 8, 1160, 1, 32768, [8, 4], [2, 12], 4, 289, `${C}4_CARRY_4_KS_PBS`),
];

/**
 * A tfhe-rs multi-bit shape at another grouping factor g (`--grouping`): n rounded up to a
 * multiple of g, everything else unchanged. Not a tfhe-rs set (no published time). Its blind
 * rotation has less key noise ((2^g − 1)/g entries per key bit) and more rounding noise than at
 * g = 4; the modelled p_error is printed with each row.
 */
export function regrouped(s: TfheRsShape, g: number): TfheRsShape {
  const f = s.params;
  if (f.pbsGroupingFactor < 2 || s.classicOf === undefined) throw new Error(`${s.set} is not a multi-bit shape`);
  const n = Math.ceil(f.lweDimension / g) * g;
  const set = `${s.set} at g = ${g}`;
  return shape(set, s.precision, n, f.glweDimension, f.polynomialSize, [f.pbsBaseLog, f.pbsLevel], [f.ksBaseLog, f.ksLevel], g,
    undefined, s.classicOf);
}

/**
 * fhec's own secure sets timed against the bound only, where tfhe-rs's table has no row: its
 * classic sets jump from N = 8192 to 65536, and the bound is asked for at N = 16384, ℓ = 2.
 */
export const BOUND_ONLY_SHAPES: readonly TfheRsShape[] = [
  { set: "fhec CONCRETE_P8", precision: 8, params: CONCRETE_P8 },
];

/** The forward and inverse FFT speed and the FMA peak of the running machine (one thread). */
export interface MachineSpeed {
  /** Microseconds per forward / inverse negacyclic FFT of size N (N/2 complex points). */
  readonly fftUs: (N: number) => { forward: number; inverse: number };
  /** Peak double-precision GFLOP/s of one core (an FMA counts 2). */
  readonly fmaGflops: number;
}

/**
 * Lower bound of one blind rotation (ms) on this machine: per step (n steps, or n/g multi-bit),
 * (k+1)ℓ forward and k+1 inverse FFTs at the standalone FFT's speed, plus the Fourier-domain
 * multiply-accumulates at FMA peak — (k+1)ℓ·(k+1) complex products per point, 8 flops each
 * (multi-bit: 2^g − 1 key entries, plus one weight product per output, per point).
 */
export function blindRotationBoundMs(p: TfheParameters, speed: MachineSpeed): number {
  const k1 = p.glweDimension + 1, L = p.pbsLevel, N = p.polynomialSize, g = p.pbsGroupingFactor;
  const steps = p.lweDimension / g;
  const fft = speed.fftUs(N);
  const fftUs = k1 * L * fft.forward + k1 * fft.inverse;
  const products = g === 1 ? k1 * L * k1 : (2 ** g - 1) * (k1 * L * k1 + k1);
  const macUs = ((N / 2) * products * 8) / (speed.fmaGflops * 1e3);
  return (steps * (fftUs + macUs)) / 1000;
}
