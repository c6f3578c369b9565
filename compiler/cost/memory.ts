// Will the keys fit in memory? Peak bytes of key generation (client) and key loading (server) for
// one parameter set, against the machine's memory. The peaks follow the current runtime: the
// client holds the seeded keys and their serialization (plus its wrapped copy for the file); the
// server reads the seeded file, parses it and expands it, holding all three at once.
import { freemem, totalmem } from "node:os";
import type { TfheParameterFields } from "../../runtime/index.js";
import { keySizes } from "./key_sizes.js";

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

export function keyMemory(p: TfheParameterFields): KeyMemory {
  const s = keySizes(p);
  const keygenPeak = s.secretKey + s.seededInMemory + 2 * s.totalSeeded;
  const loadPeak = s.totalSeeded + s.seededInMemory + s.total;
  return { expanded: s.total, keygenPeak, loadPeak, peak: Math.max(keygenPeak, loadPeak) };
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
 * One line when the keys of `p` would not fit (more than the machine's memory) or would not fit now
 * (more than the free memory), naming what shrinks them; undefined when they fit. `tablePrecision`
 * is the widest table input, which sets the polynomial size.
 */
export function keyMemoryWarning(p: TfheParameterFields, tablePrecision: number, machine: MachineMemory = machineMemory()): string | undefined {
  const m = keyMemory(p);
  let where: string;
  if (m.peak > machine.totalBytes) where = `more than this machine's ${gib(machine.totalBytes)}`;
  else if (m.peak > machine.freeBytes) where = `more than the ${gib(machine.freeBytes)} free now (of ${gib(machine.totalBytes)})`;
  else return undefined;
  const shrink = [
    ...(tablePrecision > 1 ? [`a smaller --rounding-bits (tables read up to ${tablePrecision} bits; each bit less about halves N)`] : []),
    "a larger --p-error/--global-p-error",
    "fewer --n-bits",
  ];
  return `warning: key generation and loading need about ${gib(m.peak)} (expanded keys ${gib(m.expanded)}, N = ${p.polynomialSize}), ${where}; ` +
    `shrink them with ${shrink.slice(0, -1).join(", ")}, or ${shrink[shrink.length - 1]}`;
}
