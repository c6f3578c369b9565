// `fhec serve` as a child process for the tests: started on a free loopback port, its stderr
// collected, always stopped (SIGTERM, then SIGKILL after a bound).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

export const distCli = join(import.meta.dirname, "..", "..", "dist", "compiler", "cli", "main.js");

export interface Served {
  /** Sends SIGTERM (once). */
  terminate(): void;
  readonly proc: ChildProcess;
  readonly url: string;
  /** Everything the server wrote to stderr so far. */
  log(): string;
  /** Resolves to the exit code once the process is gone. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it is not gone within `ms`; resolves to the exit code. */
  stop(ms?: number): Promise<number | null>;
}

export async function startServe(circuit: string, ...options: string[]): Promise<Served> {
  const proc = spawn(process.execPath, [distCli, "serve", circuit, "--port", "0", "--host", "127.0.0.1", ...options], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")));
  let terminated = false;
  const terminate = () => {
    if (!terminated) proc.kill("SIGTERM");
    terminated = true;
  };
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const stop = async (ms = 60_000) => {
    // One SIGTERM only: a second one is the user's "stop now" and kills the server.
    if (proc.exitCode === null && proc.signalCode === null) terminate();
    const timer = setTimeout(() => proc.kill("SIGKILL"), ms);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
    if (m) return { proc, url: m[1]!, log: () => err, exited, stop, terminate };
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop(1000);
      throw new Error(`fhec serve did not start:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
