// Will the keys fit in memory? Peak bytes of key generation (client) and key loading (server) for
// a circuit's keys (one parameter set's, or several combined with combineKeySizes), against the
// machine's memory. The peaks follow the current runtime: key generation writes the seeded keys
// to disk one partition at a time, holding the secret keys and the largest partition's seeded
// keys; the server reads the seeded file and expands it while reading, holding the expanded keys
// (and one chunk). The process's own memory comes on top (KEYGEN_OVERHEAD_BYTES allows for it in
// keygenPeakBound, the bound key generation is held to; bench artifacts measures both peaks).
import { freemem, totalmem } from "node:os";
import type { KeySizes } from "./key_sizes.js";

export interface KeyMemory {
  /** Expanded keys held by the server while it runs. */
  readonly expanded: number;
  /** Client peak during key generation. */
  readonly keygenPeak: number;
  /** Server peak while loading and expanding the seeded keys. */
  readonly loadPeak: number;
  /** max(keygenPeak, loadPeak): what one machine doing both steps needs. */
  readonly peak: number;
}

export function keyMemory(s: KeySizes): KeyMemory {
  const keygenPeak = s.secretKey + s.largestSeededInMemory;
  const loadPeak = s.total;
  return { expanded: s.total, keygenPeak, loadPeak, peak: Math.max(keygenPeak, loadPeak) };
}

/** What key generation may take beyond its keys: the process itself (Node, the compiler's code, buffers). */
export const KEYGEN_OVERHEAD_BYTES = 256 * 2 ** 20;

/**
 * The peak RSS key generation is held to: 1.25 × the largest single seeded key (serialized)
 * plus {@link KEYGEN_OVERHEAD_BYTES}, however many partitions the set has.
 */
export function keygenPeakBound(s: KeySizes): number {
  return 1.25 * s.largestSeeded + KEYGEN_OVERHEAD_BYTES;
}

export interface MachineMemory {
  readonly totalBytes: number;
  readonly freeBytes: number;
}

export function machineMemory(): MachineMemory {
  return { totalBytes: totalmem(), freeBytes: freemem() };
}

const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;

/**
 * One line when keys of these sizes would not fit (more than the machine's memory) or would not
 * fit now (more than the free memory), naming what shrinks them; undefined when they fit.
 * `polynomialSize` (the largest N) and `tablePrecision` (the widest table input, which sets N)
 * only word the message.
 */
export function keyMemoryWarning(sizes: KeySizes, polynomialSize: number, tablePrecision: number, machine: MachineMemory = machineMemory()): string | undefined {
  const m = keyMemory(sizes);
  let where: string;
  if (m.peak > machine.totalBytes) where = `more than this machine's ${gib(machine.totalBytes)}`;
  else if (m.peak > machine.freeBytes) where = `more than the ${gib(machine.freeBytes)} free now (of ${gib(machine.totalBytes)})`;
  else return undefined;
  const shrink = [
    ...(tablePrecision > 1 ? [`a smaller --rounding-bits (tables read up to ${tablePrecision} bits; each bit less about halves N)`] : []),
    "a larger --p-error/--global-p-error",
    "fewer --n-bits",
  ];
  return `warning: key generation and loading need about ${gib(m.peak)} (expanded keys ${gib(m.expanded)}, N = ${polynomialSize}), ${where}; ` +
    `shrink them with ${shrink.slice(0, -1).join(", ")}, or ${shrink[shrink.length - 1]}`;
}
