// Byte sizes on the command line: `4GiB`, `512MiB`, `1.5G`, `1000000` (binary units: K = 1024).
import { UsageError } from "./command.js";

const UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, k: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tib: 2 ** 40 };

export function parseByteSize(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`--${option} takes a size such as 4GiB, 512MiB or 1000000, got '${text}'`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!(bytes >= 1) || !Number.isSafeInteger(bytes)) throw new UsageError(`--${option} must be at least 1 byte, got '${text}'`);
  return bytes;
}

export function parseCount(text: string | undefined, option: string, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${option} takes an integer from ${min} to ${max}, got '${text}'`);
  return n;
}
