// The packed package installs and runs outside the repo: `npm pack`, then `npm install <tarball>`
// in an empty folder (npm registry only, from the local npm cache when it holds everything), builds
// the native runtime from source, and `npx fhec` runs compile → keygen → predict --fhe execute →
// serve on the bundled logistic regression. Skipped, with a message, only when the registry is
// unreachable and the cache lacks a dependency.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readNpy } from "../../compiler/data/npy.js";
import { cli } from "../helpers/cli.js";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "fhec-pack-"));
const app = join(work, "app");
const NETWORK = /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network/i;

/** Runs a command without blocking the test worker (a blocked worker misses vitest's heartbeats). */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 600_000): Promise<{ status: number | null; out: string }> {
  // Keep the repo's npm settings out of the install: it must work with a user's defaults.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("npm_")) delete env[k];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.on("error", (e) => (out += String(e)));
    child.on("close", (status) => resolve({ status, out }));
  });
}

describe("the packed package", () => {
  it("installs from the tarball and runs compile, keygen, predict --fhe execute and serve with npx fhec", async (ctx) => {
    // dist/ is fresh (tests/setup/build_dist.ts): pack it as is.
    const pack = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], root);
    expect(pack.status, pack.out).toBe(0);
    const tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "fhec-install-check", private: true }));
    const install = (mode: string) => run("npm", ["install", tarball, mode, "--omit=optional", "--no-audit", "--no-fund", "--loglevel=error"], app);
    let r = await install("--offline");
    if (r.status !== 0) r = await install("--prefer-offline");
    if (r.status !== 0 && NETWORK.test(r.out)) {
      console.warn(`skipped: the npm registry is unreachable and the npm cache lacks a dependency of fhec:\n${r.out.slice(-500)}`);
      ctx.skip();
    }
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toMatch(/onnxruntime/); // the optional runtime is neither installed nor downloaded

    const fhec = (...args: string[]) => run("npx", ["--no-install", "fhec", ...args], app);
    const M = join(app, "node_modules", "fhec", "tests", "fixtures", "models", "logreg_demo");
    for (const step of [
      ["compile", join(M, "model.onnx"), "--calib", join(M, "calib.npy"), "--n-bits", "3", "-o", "lr.fhe"],
      ["keygen", "lr.client", "--out", "keys"],
      ["predict", "lr.fhe", "--input", join(M, "x_test.npy"), "--fhe", "execute", "-o", "y.npy"],
    ]) {
      const s = await fhec(...step);
      expect(s.status, `fhec ${step[0]}: ${s.out}`).toBe(0);
    }
    // The installed package's encrypted prediction equals the repo's clear quantized model.
    const clear = join(work, "y_clear.npy");
    expect((await cli("predict", join(app, "lr.fhe"), "--input", join(M, "x_test.npy"), "--fhe", "disable", "-o", clear)).code).toBe(0);
    expect(Array.from(readNpy(readFileSync(join(app, "y.npy"))).data)).toEqual(Array.from(readNpy(readFileSync(clear)).data));

    const ort = await fhec("reference", join(M, "model.onnx"), "--input", join(M, "x_test.npy"), "--ort");
    expect(ort.status).toBe(1);
    expect(ort.out).toContain("npm install onnxruntime-node");

    // serve: starts, answers, stops on SIGTERM (bounded waits).
    const server = spawn(join(app, "node_modules", ".bin", "fhec"), ["serve", "lr.fhe", "--port", "0"], { cwd: app, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    server.stderr!.on("data", (d: Buffer) => (log += d.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)));
    const kill = setTimeout(() => server.kill("SIGKILL"), 120_000);
    try {
      const deadline = Date.now() + 60_000;
      let url: string | undefined;
      while (!(url = /listening on (http:\/\/\S+:\d+)/.exec(log)?.[1]) && Date.now() < deadline && server.exitCode === null) await new Promise((res) => setTimeout(res, 100));
      expect(url, log).toBeDefined();
      const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
      expect(health.status).toBe("ok");
    } finally {
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
      clearTimeout(kill);
    }
  }, 900_000);
});
