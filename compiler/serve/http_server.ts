// `fhec serve`: the model server over HTTP/1.1, on Node's own `http` module with a small route
// table (five routes need no framework, and node:http gives direct control of streaming bodies
// and backpressure, which is what multi-GiB evaluation keys need). Request bodies are parsed as
// they arrive, chunk by chunk; responses are written chunk by chunk with backpressure.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { FheModelServer } from "../deploy/server.js";
import { serializeClientSpec } from "../deploy/artifacts.js";
import type { ByteStream } from "../../backends/tfhe/index.js";
import { HttpError, httpErrorOf } from "./errors.js";
import { ServerMetrics } from "./metrics.js";
import { QueueFullError, WorkQueue } from "./work_queue.js";

export interface HttpServerOptions {
  /** Largest request body in bytes (413 beyond). */
  readonly maxBodyBytes: number;
  /** Encrypted jobs run at once. */
  readonly concurrency: number;
  /** Encrypted jobs waiting for a slot (503 beyond). */
  readonly maxQueue: number;
  /** Seconds a client is told to wait after a 503. */
  readonly retryAfterSeconds: number;
  /** Receives one line per request (no key or ciphertext material). */
  readonly log: (line: string) => void;
}

export const DEFAULT_HTTP_OPTIONS: HttpServerOptions = {
  maxBodyBytes: 16 * 2 ** 30,
  concurrency: 1,
  maxQueue: 16,
  retryAfterSeconds: 1,
  log: () => {},
};

const KEY_ID = /^[0-9a-f]{64}$/;

/** What one request did, for its log line. */
interface Outcome {
  status: number;
  bytesIn: number;
  bytesOut: number;
  keyId?: string;
  error?: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, outcome: Outcome) => Promise<void>;

export class FheHttpServer {
  readonly metrics = new ServerMetrics();
  private readonly queue: WorkQueue;
  private readonly options: HttpServerOptions;
  private readonly http: Server;
  private readonly routes: Readonly<Record<string, Readonly<Record<string, Handler>>>>;
  private inFlight = 0;
  private stopping: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(readonly model: FheModelServer, options: Partial<HttpServerOptions> = {}) {
    this.options = { ...DEFAULT_HTTP_OPTIONS, ...options };
    this.queue = new WorkQueue(this.options.concurrency, this.options.maxQueue);
    this.routes = {
      "/client": { GET: (_q, res, _u, o) => this.getClient(res, o) },
      "/keys": { POST: (req, res, _u, o) => this.postKeys(req, res, o) },
      "/predict": { POST: (req, res, url, o) => this.postPredict(req, res, url, o) },
      "/health": { GET: (_q, res, _u, o) => this.getHealth(res, o) },
      "/metrics": { GET: (_q, res, _u, o) => this.getMetrics(res, o) },
    };
    // Uploads of GiB of keys take longer than Node's default 5-minute request timeout.
    // Idle keep-alive connections stay open longer than clients keep them (undici: 4 s), so a
    // client never writes a request into a connection the server is closing.
    this.http = createServer({ requestTimeout: 0, keepAliveTimeout: 65_000, headersTimeout: 66_000 }, (req, res) => void this.handle(req, res));
  }

  /** Starts listening; resolves to the bound address (port 0 picks a free port). */
  async listen(port: number, host: string): Promise<AddressInfo> {
    this.http.listen(port, host);
    await once(this.http, "listening");
    return this.http.address() as AddressInfo;
  }

  /**
   * Stops taking connections, answers new requests on open connections with 503, lets the
   * requests in flight finish, then closes every connection.
   */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeIdleConnections();
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.http.closeAllConnections();
      await closed;
    })();
    return this.stopping;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://localhost");
    const outcome: Outcome = { status: 0, bytesIn: 0, bytesOut: 0 };
    this.inFlight++;
    try {
      if (this.stopping) throw new HttpError(503, "shutting_down", "the server is shutting down", { "Retry-After": String(this.options.retryAfterSeconds) });
      const route = this.routes[url.pathname] ?? (url.pathname.startsWith("/keys/") ? { GET: this.getKey.bind(this) } : undefined);
      if (!route) throw new HttpError(404, "not_found", `no such endpoint: ${url.pathname}`);
      const handler = route[req.method ?? ""];
      if (!handler) throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed on ${url.pathname} (allowed: ${Object.keys(route).join(", ")})`, { Allow: Object.keys(route).join(", ") });
      await handler(req, res, url, outcome);
    } catch (err) {
      const e = httpErrorOf(err);
      outcome.error = e.status === 500 ? (err as Error)?.message ?? String(err) : e.code;
      this.sendError(req, res, e, outcome);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = url.pathname.startsWith("/keys/") ? "/keys/:id" : url.pathname;
      this.metrics.request(this.routes[url.pathname] || route === "/keys/:id" ? route : "other", outcome.status, seconds);
      this.options.log(`${new Date().toISOString()} ${req.method} ${route} ${outcome.status} ${(seconds * 1000).toFixed(1)}ms in=${outcome.bytesIn}B out=${outcome.bytesOut}B` +
        `${outcome.keyId ? ` key=${outcome.keyId.slice(0, 12)}` : ""}${outcome.error ? ` error=${JSON.stringify(outcome.error)}` : ""}`);
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  private sendError(req: IncomingMessage, res: ServerResponse, e: HttpError, outcome: Outcome): void {
    outcome.status = e.status;
    if (res.headersSent) {
      res.destroy(); // a response already under way cannot change its status
      return;
    }
    const body = JSON.stringify({ code: e.code, message: e.message });
    const headers: Record<string, string | number> = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), ...e.headers };
    if (!req.readableEnded) {
      // A body refused before or while it was read: a client still sending it would see a broken
      // pipe instead of this answer if the connection closed now. Discard the rest (up to the body
      // limit), unless the body is itself too large: then close.
      if (e.status === 413) headers["Connection"] = "close";
      else this.discard(req, outcome);
    }
    res.writeHead(e.status, headers);
    res.end(body);
    outcome.bytesOut += Buffer.byteLength(body);
  }

  /** Reads and drops the rest of a refused body; a body past the limit ends the connection. */
  private discard(req: IncomingMessage, outcome: Outcome): void {
    req.on("data", (chunk: Buffer) => {
      outcome.bytesIn += chunk.length;
      if (outcome.bytesIn > this.options.maxBodyBytes) req.destroy();
    });
    req.on("error", () => {}); // a client that gives up mid-body is not the server's error
    // A body iterator left mid-way holds a 'readable' listener, which would keep the stream paused
    // whatever resume() says: drop it so the 'data' listener drains the rest.
    req.removeAllListeners("readable");
    req.resume();
  }

  /** The request body as chunks, refused with 413 past the limit (announced or actual). */
  private body(req: IncomingMessage, outcome: Outcome): AsyncIterable<Uint8Array> {
    const limit = this.options.maxBodyBytes;
    const announced = Number(req.headers["content-length"] ?? NaN);
    const tooLarge = () => new HttpError(413, "too_large", `the request body exceeds the server's limit of ${limit} bytes (--max-body)`);
    if (announced > limit) throw tooLarge();
    return (async function* () {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        outcome.bytesIn += chunk.length;
        if (outcome.bytesIn > limit) throw tooLarge();
        yield chunk;
      }
    })();
  }

  /** Runs a job through the bounded queue (503 when it is full). */
  private async queued<T>(job: () => Promise<T>): Promise<T> {
    try {
      return await this.queue.run(job);
    } catch (err) {
      if (err instanceof QueueFullError) throw new HttpError(503, "busy", err.message, { "Retry-After": String(this.options.retryAfterSeconds) });
      throw err;
    }
  }

  private async send(res: ServerResponse, outcome: Outcome, status: number, type: string, body: Uint8Array | string | ByteStream): Promise<void> {
    outcome.status = status;
    if (typeof body === "string" || body instanceof Uint8Array) {
      const b = typeof body === "string" ? Buffer.from(body, "utf8") : body;
      res.writeHead(status, { "Content-Type": type, "Content-Length": b.length });
      res.end(b);
      outcome.bytesOut += b.length;
      return;
    }
    res.writeHead(status, { "Content-Type": type, "Content-Length": body.size });
    for (const chunk of body.chunks()) {
      outcome.bytesOut += chunk.length;
      if (!res.write(chunk)) await once(res, "drain");
    }
    res.end();
  }

  private json(res: ServerResponse, outcome: Outcome, status: number, value: unknown): Promise<void> {
    return this.send(res, outcome, status, "application/json", JSON.stringify(value));
  }

  private getClient(res: ServerResponse, outcome: Outcome): Promise<void> {
    return this.send(res, outcome, 200, "application/octet-stream", serializeClientSpec(this.model.clientSpec()));
  }

  private async postKeys(req: IncomingMessage, res: ServerResponse, outcome: Outcome): Promise<void> {
    const body = this.body(req, outcome);
    const id = await this.queued(() => this.model.addEvaluationKeys(body, "posted evaluation keys"));
    outcome.keyId = id;
    await this.json(res, outcome, 200, { keyId: id });
  }

  private getKey(_req: IncomingMessage, res: ServerResponse, url: URL, outcome: Outcome): Promise<void> {
    const id = url.pathname.slice("/keys/".length);
    if (!KEY_ID.test(id)) throw new HttpError(400, "bad_request", "a key id is 64 lowercase hex digits");
    if (!this.model.hasKeys(id)) throw new HttpError(404, "not_found", `no evaluation keys with id ${id.slice(0, 16)}… on this server: POST them to /keys`);
    outcome.keyId = id;
    return this.json(res, outcome, 200, { keyId: id });
  }

  private async postPredict(req: IncomingMessage, res: ServerResponse, url: URL, outcome: Outcome): Promise<void> {
    const id = url.searchParams.get("key");
    if (id === null || !KEY_ID.test(id)) throw new HttpError(400, "bad_request", "POST /predict needs ?key=ID, the 64-hex-digit id POST /keys returned");
    outcome.keyId = id;
    // Refuse before reading anything: the keys may have been evicted, or never posted.
    if (!this.model.hasKeys(id)) throw new HttpError(404, "not_found", `no evaluation keys with id ${id.slice(0, 16)}… on this server: POST them to /keys first`);
    const body = this.body(req, outcome);
    const result = await this.queued(async () => {
      const started = process.hrtime.bigint();
      let pbs = 0;
      const out = await this.model.runStream(id, body, { inputsFile: "posted ciphertexts", onProgress: (_done, total) => (pbs = total) });
      this.metrics.run(pbs, Number(process.hrtime.bigint() - started) / 1e9);
      return out;
    });
    await this.send(res, outcome, 200, "application/octet-stream", result);
  }

  private getHealth(res: ServerResponse, outcome: Outcome): Promise<void> {
    return this.json(res, outcome, 200, { status: "ok", circuitId: this.model.circuitId, queue: this.queue.length, running: this.queue.active });
  }

  private getMetrics(res: ServerResponse, outcome: Outcome): Promise<void> {
    const c = this.model.keyCacheStats;
    const text = this.metrics.render(
      {
        fhec_key_cache_bytes: { help: "Bytes of expanded evaluation keys in the cache.", value: c.bytes },
        fhec_key_cache_limit_bytes: { help: "The key cache's byte limit.", value: c.maxBytes },
        fhec_key_cache_entries: { help: "Key sets in the cache.", value: c.entries },
        fhec_queue_length: { help: "Encrypted jobs waiting for a slot.", value: this.queue.length },
        fhec_jobs_running: { help: "Encrypted jobs running.", value: this.queue.active },
      },
      {
        fhec_key_cache_hits_total: { help: "Key cache lookups that found the keys.", value: c.hits },
        fhec_key_cache_misses_total: { help: "Key cache lookups that did not.", value: c.misses },
        fhec_key_cache_evictions_total: { help: "Key sets evicted to make room.", value: c.evictions },
      },
    );
    return this.send(res, outcome, 200, "text/plain; version=0.0.4", text);
  }
}
