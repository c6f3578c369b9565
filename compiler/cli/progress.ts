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
