// Linear operations on ciphertext tensors with clear integers (server side, no keys needed).
// Results keep the input's key and parameters; noise grows as the MANP (docs/tfhe.md) rules say.
import { LweCiphertextTensor, shapeSize } from "./ciphertext.js";
import { encode } from "./encoding.js";
import { native } from "./native.js";

function same(a: LweCiphertextTensor, b: LweCiphertextTensor, op: string): void {
  if (a.dimension !== b.dimension || a.paramHash !== b.paramHash)
    throw new Error(`${op}: operands are under different keys or parameters`);
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    throw new RangeError(`${op}: shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] differ`);
}

function toInt64(values: ArrayLike<number | bigint>, what: string): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v === "number" && !Number.isSafeInteger(v)) throw new RangeError(`${what}[${i}] = ${v} is not a safe integer`);
    const b = BigInt(v);
    if (b !== BigInt.asIntN(64, b)) throw new RangeError(`${what}[${i}] does not fit in 64 bits`);
    out[i] = b;
  }
  return out;
}

function like(t: LweCiphertextTensor, shape: readonly number[], data: BigUint64Array): LweCiphertextTensor {
  return new LweCiphertextTensor(shape, t.dimension, t.paramHash, data);
}

/** Encrypted + encrypted (elementwise). */
export function add(a: LweCiphertextTensor, b: LweCiphertextTensor): LweCiphertextTensor {
  same(a, b, "add");
  return like(a, a.shape, native().add(a.data, b.data, false));
}

/** Encrypted − encrypted (elementwise). */
export function sub(a: LweCiphertextTensor, b: LweCiphertextTensor): LweCiphertextTensor {
  same(a, b, "sub");
  return like(a, a.shape, native().add(a.data, b.data, true));
}

/** −encrypted. */
export function negate(a: LweCiphertextTensor): LweCiphertextTensor {
  return like(a, a.shape, native().neg(a.data));
}

/** Encrypted + clear integers (one per element, or one for all), encoded at `precision`. */
export function addClear(a: LweCiphertextTensor, values: ArrayLike<number | bigint>, precision: number): LweCiphertextTensor {
  if (values.length !== 1 && values.length !== a.size)
    throw new RangeError(`addClear: need 1 or ${a.size} values, got ${values.length}`);
  return like(a, a.shape, native().addPlain(a.data, a.dimension, encode(values, precision)));
}

/** Encrypted × clear integers (one per element, or one for all). */
export function mulClear(a: LweCiphertextTensor, weights: ArrayLike<number | bigint>): LweCiphertextTensor {
  if (weights.length !== 1 && weights.length !== a.size)
    throw new RangeError(`mulClear: need 1 or ${a.size} weights, got ${weights.length}`);
  return like(a, a.shape, native().mulClear(a.data, a.dimension, toInt64(weights, "weights")));
}

/**
 * Matrix product with a clear integer matrix: a has shape [..., K], `weights` is row-major K×M
 * (shape [K, M]); the result has shape [..., M].
 */
export function matmul(a: LweCiphertextTensor, weights: ArrayLike<number | bigint>, weightShape: readonly [number, number]):
  LweCiphertextTensor {
  const [K, M] = weightShape;
  const last = a.shape[a.shape.length - 1];
  if (a.shape.length === 0 || last !== K)
    throw new RangeError(`matmul: last dimension of [${a.shape.join(", ")}] must equal K = ${K}`);
  if (weights.length !== K * M) throw new RangeError(`matmul: weights need ${K * M} entries, got ${weights.length}`);
  const rows = a.size / K;
  const data = native().matmul(a.data, a.dimension, rows, K, toInt64(weights, "weights"), M);
  return like(a, [...a.shape.slice(0, -1), M], data);
}

/** Dot product of a 1-D tensor with clear weights → a tensor of shape [1]. */
export function dot(a: LweCiphertextTensor, weights: ArrayLike<number | bigint>): LweCiphertextTensor {
  if (a.shape.length !== 1) throw new RangeError("dot expects a 1-D tensor");
  return matmul(a, weights, [a.size, 1]);
}

/** ONNX-style Conv attributes. */
export interface Conv2dOptions {
  strides?: readonly [number, number];
  /** [top, left, bottom, right] (ONNX order). */
  pads?: readonly [number, number, number, number];
  dilations?: readonly [number, number];
  group?: number;
  /** Clear bias per output channel, encoded at `biasPrecision` and added to the body. */
  bias?: ArrayLike<number | bigint>;
  biasPrecision?: number;
}

/**
 * 2-D convolution of an NCHW ciphertext tensor with a clear kernel of shape
 * [M, C/group, kH, kW] (row-major). Zero padding.
 */
export function conv2d(a: LweCiphertextTensor, kernel: ArrayLike<number | bigint>,
  kernelShape: readonly [number, number, number, number], options: Conv2dOptions = {}): LweCiphertextTensor {
  if (a.shape.length !== 4) throw new RangeError(`conv2d expects an NCHW tensor, got shape [${a.shape.join(", ")}]`);
  const [B, C, H, W] = a.shape as [number, number, number, number];
  const [M, Cg, kH, kW] = kernelShape;
  const group = options.group ?? 1;
  const [sh, sw] = options.strides ?? [1, 1];
  const [pt, pl, pb, pr] = options.pads ?? [0, 0, 0, 0];
  const [dh, dw] = options.dilations ?? [1, 1];
  if (Cg * group !== C) throw new RangeError(`conv2d: kernel has ${Cg} input channels per group, input has ${C} (group ${group})`);
  if (kernel.length !== shapeSize(kernelShape)) throw new RangeError("conv2d: kernel size does not match its shape");
  let bias: BigUint64Array | undefined;
  if (options.bias !== undefined) {
    if (options.biasPrecision === undefined) throw new RangeError("conv2d: bias needs biasPrecision");
    if (options.bias.length !== M) throw new RangeError(`conv2d: bias needs ${M} entries`);
    bias = encode(options.bias, options.biasPrecision);
  }
  const geometry = [B, C, H, W, M, kH, kW, sh, sw, pt, pl, pb, pr, dh, dw, group];
  const data = native().conv2d(a.data, a.dimension, geometry, toInt64(kernel, "kernel"), bias);
  const OH = Math.floor((H + pt + pb - dh * (kH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (kW - 1) - 1) / sw) + 1;
  return like(a, [B, M, OH, OW], data);
}
