// The client of `fhec serve`, on Node's built-in fetch: fetches the client spec, uploads the
// evaluation keys once (the server names them by their hash, so the id is known in advance and a
// key set already held is not sent again), posts ciphertexts and returns the encrypted results.
// Bodies are streamed; a 503 is retried after the server's Retry-After, a bounded number of times.
import { setTimeout as sleep } from "node:timers/promises";
import { fail } from "../../ir/diagnostics.js";
import type { NDArray } from "../../ir/tensor.js";
import { FheModelClient } from "../deploy/client.js";

/** A body that can be sent again on a retry: bytes in memory, or anything read anew per pass. */
export type Resendable = Uint8Array | { chunks(): Iterable<Uint8Array> };

export interface FheHttpClientOptions {
  /**
   * Retries of a request answered 503 (busy), each after the server's Retry-After, or cut by a
   * connection reset, at once. Default 20.
   */
  readonly retries?: number;
  /** Called before each retry with the status (0: connection reset) and the wait in seconds. */
  readonly onRetry?: (status: number, waitSeconds: number) => void;
}

/** An error answered by the server, with its HTTP status and error code. */
export class FheHttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "FheHttpError";
  }
}

/** Socket errors after which the same request may simply be sent again. */
const TRANSIENT = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

async function* streamed(body: Resendable): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body.chunks();
}

function serverUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    return fail("E0400", `'${text}' is not a server URL (http://host:port)`);
  }
}

export class FheHttpClient {
  readonly baseUrl: string;
  private readonly retries: number;
  private readonly onRetry: FheHttpClientOptions["onRetry"];

  constructor(baseUrl: string, options: FheHttpClientOptions = {}) {
    const url = serverUrl(baseUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") fail("E0400", `'${baseUrl}' is not an http(s) URL`);
    this.baseUrl = url.href.replace(/\/$/, "");
    this.retries = options.retries ?? 20;
    this.onRetry = options.onRetry;
  }

  private async request(method: string, path: string, body?: Resendable): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          method,
          ...(body !== undefined
            ? { body: streamed(body) as unknown as RequestInit["body"], duplex: "half", headers: { "Content-Type": "application/octet-stream" } }
            : {}),
        } as RequestInit);
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        // A connection reset mid-request (a reused connection the server closed, a restart):
        // every request here can be repeated, so try again.
        if (TRANSIENT.has(cause?.code ?? "") && attempt < this.retries) {
          this.onRetry?.(0, 0);
          continue;
        }
        return fail("E0400", `cannot reach the fhec server at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
      }
      if (res.ok) return res;
      const retryAfter = Number(res.headers.get("retry-after") ?? "1");
      if (res.status === 503 && attempt < this.retries) {
        await res.body?.cancel();
        const wait = Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.min(retryAfter, 60) : 1;
        this.onRetry?.(res.status, wait);
        await sleep(wait * 1000);
        continue;
      }
      const text = await res.text();
      let code = "http_error";
      let message = text.slice(0, 500);
      try {
        const j = JSON.parse(text) as { code?: string; message?: string };
        code = j.code ?? code;
        message = j.message ?? message;
      } catch {
        // not one of fhec's JSON errors: keep the text
      }
      throw new FheHttpError(res.status, code, `the fhec server answered ${res.status} (${code}): ${message}`);
    }
  }

  /** The server's client spec, as bytes (checked when loaded into a FheModelClient). */
  async clientSpecBytes(): Promise<Uint8Array> {
    return new Uint8Array(await (await this.request("GET", "/client")).arrayBuffer());
  }

  /** A client for the server's circuit (its parameters are checked against the 128-bit curve). */
  async modelClient(): Promise<FheModelClient> {
    return FheModelClient.load(await this.clientSpecBytes(), `${this.baseUrl}/client`);
  }

  async health(): Promise<{ status: string; circuitId: string; queue: number; running: number }> {
    return (await (await this.request("GET", "/health")).json()) as { status: string; circuitId: string; queue: number; running: number };
  }

  /** Whether the server holds the evaluation keys with this id. */
  async hasKeys(keyId: string): Promise<boolean> {
    try {
      await (await this.request("GET", `/keys/${keyId}`)).arrayBuffer();
      return true;
    } catch (err) {
      if (err instanceof FheHttpError && err.status === 404) return false;
      throw err;
    }
  }

  /** Uploads an evaluation-key message (as `fhec keygen` writes it); resolves to the id the server computed. */
  async uploadKeys(evaluationKeys: Resendable): Promise<string> {
    const { keyId } = (await (await this.request("POST", "/keys", evaluationKeys)).json()) as { keyId: string };
    return keyId;
  }

  /** Uploads the keys unless the server already holds them; resolves to their id. */
  async ensureKeys(keyId: string, evaluationKeys: Resendable): Promise<string> {
    if (await this.hasKeys(keyId)) return keyId;
    const got = await this.uploadKeys(evaluationKeys);
    if (got !== keyId) fail("E0702", `the server names these evaluation keys ${got.slice(0, 16)}…, not ${keyId.slice(0, 16)}…: they are not the keys of this secret key`);
    return got;
  }

  /** Posts an encrypted-input message; resolves to the encrypted-output message. */
  async predictEncrypted(keyId: string, ciphertexts: Resendable): Promise<Uint8Array> {
    return new Uint8Array(await (await this.request("POST", `/predict?key=${keyId}`, ciphertexts)).arrayBuffer());
  }

  /**
   * The whole round trip for a client holding its secret key: keys uploaded if the server lacks
   * them (again if they were evicted), inputs encrypted, run remotely, decrypted.
   */
  async predict(client: FheModelClient, keyId: string, evaluationKeys: Resendable, xs: NDArray | readonly NDArray[]): Promise<NDArray[]> {
    await this.ensureKeys(keyId, evaluationKeys);
    const inputs = client.encryptStream(xs);
    let out: Uint8Array;
    try {
      out = await this.predictEncrypted(keyId, inputs);
    } catch (err) {
      if (!(err instanceof FheHttpError && err.status === 404 && err.code === "not_found")) throw err;
      await this.uploadKeys(evaluationKeys); // evicted between the check and the run
      out = await this.predictEncrypted(keyId, inputs);
    }
    return client.decrypt(out, `${this.baseUrl}/predict`);
  }
}
