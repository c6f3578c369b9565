// Progress lines on stderr, drawn only when stderr is a terminal (never in logs or pipes).
import type { CommandContext } from "./command.js";

export function progressReporter(ctx: CommandContext): (message: string) => void {
  if (!ctx.stderrIsTTY) return () => {};
  let last = 0;
  return (message) => {
    const line = `… ${message}`;
    ctx.stderr(`\r${line.padEnd(last)}`);
    last = line.length;
  };
}

export function endProgress(ctx: CommandContext): void {
  if (ctx.stderrIsTTY) ctx.stderr("\r\x1b[K");
}

/** A `label [#####.....] done/total` bar on stderr (terminals only); call with (done, total). */
export function progressBar(ctx: CommandContext, label: string): (done: number, total: number) => void {
  if (!ctx.stderrIsTTY) return () => {};
  const width = 30;
  const start = Date.now();
  return (done, total) => {
    const f = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(f * width);
    const secs = ((Date.now() - start) / 1000).toFixed(1);
    ctx.stderr(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} PBS, ${secs} s`);
    if (done >= total) ctx.stderr("\n");
  };
}

export function formatBytes(n: number): string {
  if (n < 2 ** 10) return `${n} B`;
  if (n < 2 ** 20) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * `label 1.20 / 2.60 GiB (46%), 3.1 s, ~3.6 s left` on stderr (terminals only, at most 5 redraws a
 * second); call with (bytes done, bytes total).
 */
export function byteProgress(ctx: CommandContext, label: string): (done: number, total: number) => void {
  if (!ctx.stderrIsTTY) return () => {};
  const start = Date.now();
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    const end = done >= total;
    if (!end && now - last < 200) return;
    last = now;
    const secs = (now - start) / 1000;
    const left = done > 0 && !end ? `, ~${((secs * (total - done)) / done).toFixed(1)} s left` : "";
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    ctx.stderr(`\r\x1b[K${label} ${formatBytes(done)} / ${formatBytes(total)} (${pct}%), ${secs.toFixed(1)} s${left}`);
    if (end) ctx.stderr("\n");
  };
}

/**
 * Runs `work`, which reports its bytes done (of `total`), under a byte progress line redrawn
 * every 200 ms even while no byte moves (key generation computes a whole partition between two
 * bursts of writes): `label 1.20 / 3.50 GiB (34%), 41.0 s, ~80.0 s left` (terminals only).
 */
export async function withByteProgress<T>(ctx: CommandContext, label: string, total: number, work: (report: (done: number) => void) => Promise<T>): Promise<T> {
  if (!ctx.stderrIsTTY) return work(() => {});
  const start = Date.now();
  let done = 0;
  const draw = (): void => {
    const secs = (Date.now() - start) / 1000;
    const left = done > 0 && done < total ? `, ~${((secs * (total - done)) / done).toFixed(1)} s left` : "";
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    ctx.stderr(`\r\x1b[K${label} ${formatBytes(done)} / ${formatBytes(total)} (${pct}%), ${secs.toFixed(1)} s${left}`);
  };
  const timer = setInterval(draw, 200);
  try {
    return await work((n) => {
      done = n;
    });
  } finally {
    clearInterval(timer);
    draw();
    ctx.stderr("\n");
  }
}

/** Passes chunks through, reporting the bytes seen so far. */
export function* reportingChunks(chunks: Iterable<Uint8Array>, total: number, report: (done: number, total: number) => void): Generator<Uint8Array> {
  let done = 0;
  for (const c of chunks) {
    yield c;
    done += c.length;
    report(done, total);
  }
}
