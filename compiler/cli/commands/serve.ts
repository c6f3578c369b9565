// `fhec serve`: the HTTP inference server (compiler/serve/http_server.ts) for one circuit.
import { FheModelServer, DEFAULT_KEY_CACHE_BYTES } from "../../deploy/server.js";
import { DEFAULT_HTTP_OPTIONS, FheHttpServer } from "../../serve/http_server.js";
import { setThreads } from "../../../backends/tfhe/index.js";
import { parseByteSize, parseCount } from "../byte_size.js";
import { type Command, requiredPositional, stringOption } from "../command.js";
import { openFileChunks } from "../io.js";
import { formatBytes } from "../progress.js";

export const serveCommand: Command = {
  name: "serve",
  summary: "Server: serve a circuit over HTTP (keys once, then encrypted predictions)",
  help: `usage: fhec serve <circuit.fhe> [--port 8080] [--host 127.0.0.1] [options]

Serves encrypted predictions over HTTP/1.1. Clients fetch the client spec (GET /client), upload
their evaluation keys once (POST /keys, answered with the key id: the sha256 of the keys), then
post encrypted inputs (POST /predict?key=ID). The server never takes a secret key. Stop it with
SIGTERM or Ctrl-C: requests in flight finish, new ones are refused.

options:
  --port=N              TCP port (default 8080; 0 picks a free port)
  --host=ADDR           address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --max-key-cache=SIZE  bytes of expanded evaluation keys kept, least recently used evicted
                        first (default ${formatBytes(DEFAULT_KEY_CACHE_BYTES)})
  --max-body=SIZE       largest request body (default ${formatBytes(DEFAULT_HTTP_OPTIONS.maxBodyBytes)}); 413 beyond
  --threads=N           threads of the PBS thread pool (default: one per core)
  --concurrency=N       encrypted jobs run at once (default ${DEFAULT_HTTP_OPTIONS.concurrency}; each uses the whole pool)
  --queue=N             jobs waiting for a slot (default ${DEFAULT_HTTP_OPTIONS.maxQueue}); 503 with Retry-After beyond
`,
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "max-key-cache": { type: "string" },
    "max-body": { type: "string" },
    threads: { type: "string" },
    concurrency: { type: "string" },
    queue: { type: "string" },
  },
  async run(args, ctx) {
    const circuitPath = requiredPositional(args, 0, "circuit file (circuit.fhe)");
    const port = parseCount(stringOption(args, "port"), "port", 0, 65535, 8080);
    const host = stringOption(args, "host") ?? "127.0.0.1";
    const cacheText = stringOption(args, "max-key-cache");
    const bodyText = stringOption(args, "max-body");
    const maxKeyCacheBytes = cacheText !== undefined ? parseByteSize(cacheText, "max-key-cache") : DEFAULT_KEY_CACHE_BYTES;
    const maxBodyBytes = bodyText !== undefined ? parseByteSize(bodyText, "max-body") : DEFAULT_HTTP_OPTIONS.maxBodyBytes;
    const threadsText = stringOption(args, "threads");
    const concurrency = parseCount(stringOption(args, "concurrency"), "concurrency", 1, 1024, DEFAULT_HTTP_OPTIONS.concurrency);
    const maxQueue = parseCount(stringOption(args, "queue"), "queue", 0, 1_000_000, DEFAULT_HTTP_OPTIONS.maxQueue);
    const model = FheModelServer.load(openFileChunks(circuitPath, "circuit").chunks(), circuitPath, { maxKeyCacheBytes });
    if (threadsText !== undefined) setThreads(parseCount(threadsText, "threads", 1, 1024, 1));
    const server = new FheHttpServer(model, { maxBodyBytes, concurrency, maxQueue, log: (line) => ctx.stderr(`${line}\n`) });
    const address = await server.listen(port, host);
    const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
    ctx.stderr(`fhec serve: listening on http://${shown}:${address.port} (circuit ${model.circuitId.slice(0, 12)}…, ` +
      `${formatBytes(model.keyBytes)} of expanded keys per client, cache ${formatBytes(maxKeyCacheBytes)})\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.off("SIGTERM", onTerm);
        process.off("SIGINT", onInt);
        ctx.stderr(`fhec serve: ${signal}: finishing the requests in flight, refusing new ones\n`);
        void server.shutdown().then(resolve);
      };
      const onTerm = () => stop("SIGTERM");
      const onInt = () => stop("SIGINT");
      process.on("SIGTERM", onTerm);
      process.on("SIGINT", onInt);
    });
    ctx.stderr("fhec serve: stopped\n");
    return 0;
  },
};
