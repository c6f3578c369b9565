// Small fhe circuits that the partition tests share (their tables' precisions differ, so the
// optimizer has something to partition), and the server's key bytes of a partitioning.
import type { PartitionedParameters } from "../../passes/params/index.js";
import { conversionKeySize, evaluationKeySize } from "../../runtime/sizes.js";

/** Evaluation keys as the server holds them, from the runtime's own size formulas. */
export function serverKeyBytes(p: PartitionedParameters): number {
  const stored = p.outputKey === undefined ? p.partitions : p.partitions.slice(0, p.outputKey);
  const own = stored.reduce((t, s) => t + evaluationKeySize(s).inMemory, 0);
  return own + p.conversions.reduce((t, c) => t + conversionKeySize(p.partitions[c.from]!, p.partitions[c.to]!, c.ksBaseLog, c.ksLevel).inMemory, 0);
}

/** A dense table attribute of 2^bits entries f(0), f(1), …. */
export const tableAttr = (bits: number, f: (i: number) => number): string =>
  `dense<[${Array.from({ length: 2 ** bits }, (_, i) => f(i)).join(", ")}]> : tensor<${2 ** bits}xi64>`;

/** 64 elements through two 3-bit tables, and one 8-bit table read of a separate input. */
export const MIXED = `func.func @main(%x: tensor<64x!fhe.eint<3>>, %y: tensor<1x!fhe.eint<8>>) -> (tensor<64x!fhe.eint<3>>, tensor<1x!fhe.eint<8>>) {
  %a = fhe.apply_lookup_table %x {table = ${tableAttr(3, (i) => (i * 3) % 8)}} : (tensor<64x!fhe.eint<3>>) -> tensor<64x!fhe.eint<3>>
  %b = fhe.apply_lookup_table %a {table = ${tableAttr(3, (i) => 7 - i)}} : (tensor<64x!fhe.eint<3>>) -> tensor<64x!fhe.eint<3>>
  %c = fhe.apply_lookup_table %y {table = ${tableAttr(8, (i) => 255 - i)}} : (tensor<1x!fhe.eint<8>>) -> tensor<1x!fhe.eint<8>>
  return %b, %c : tensor<64x!fhe.eint<3>>, tensor<1x!fhe.eint<8>>
}`;

/** 2-bit tables on `elements` elements, one 5-bit table read of their sum (and a 2-bit output). */
export function sumOfTables(elements: number): string {
  const t2 = `tensor<${elements}x!fhe.eint<2>>`;
  const t5 = `tensor<${elements}x!fhe.eint<5>>`;
  return `func.func @main(%x: ${t2}) -> (${t2}, tensor<1x!fhe.eint<5>>) {
  %a = fhe.apply_lookup_table %x {table = ${tableAttr(2, (i) => 3 - i)}} : (${t2}) -> ${t2}
  %b = fhe.apply_lookup_table %a {table = ${tableAttr(2, (i) => (i === 0 ? 1 : 0))}} : (${t2}) -> ${t5}
  %s = fhe.sum %b {axes = [0], keep_dims = true} : (${t5}) -> tensor<1x!fhe.eint<5>>
  %c = fhe.apply_lookup_table %s {table = ${tableAttr(5, (i) => 31 - i)}} : (tensor<1x!fhe.eint<5>>) -> tensor<1x!fhe.eint<5>>
  %r = fhe.apply_lookup_table %a {table = ${tableAttr(2, (i) => i)}} : (${t2}) -> ${t2}
  return %r, %c : ${t2}, tensor<1x!fhe.eint<5>>
}`;
}
