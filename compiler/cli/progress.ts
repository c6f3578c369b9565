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

/** Runs `work`, showing elapsed seconds on stderr while it runs (terminals only). */
export async function withSpinner<T>(ctx: CommandContext, label: string, work: () => Promise<T>): Promise<T> {
  if (!ctx.stderrIsTTY) return work();
  const start = Date.now();
  const timer = setInterval(() => ctx.stderr(`\r${label}… ${((Date.now() - start) / 1000).toFixed(1)} s`), 200);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    ctx.stderr(`\r${label}: done in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  }
}
