// HTTP errors of `fhec serve`: every failure becomes JSON {code, message} with the status that
// says whose fault it is. Messages come from fhec's own diagnostics (which name no key material);
// anything unexpected is a 500 with a fixed message: the details go to the server's log only.
import { CompileError } from "../../ir/diagnostics.js";
import { KeyCacheFullError } from "../deploy/key_cache.js";

export type ErrorCode = "bad_request" | "not_found" | "method_not_allowed" | "wrong_circuit" | "too_large" | "busy" | "shutting_down" | "internal";

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: ErrorCode, message: string, readonly headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = "HttpError";
  }
}

/** The JSON body and status of any error thrown while serving a request. */
export function httpErrorOf(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof KeyCacheFullError) return new HttpError(413, "too_large", `${err.message}: the server was started with too small a --max-key-cache`);
  if (err instanceof CompileError) {
    const d = err.diagnostics[0];
    const message = err.diagnostics.map((x) => x.message).join("; ");
    if (d?.code === "E0702") return new HttpError(409, "wrong_circuit", message);
    if (d?.code === "E0703") return new HttpError(404, "not_found", message);
    return new HttpError(400, "bad_request", message);
  }
  return new HttpError(500, "internal", "internal error (see the server's log)");
}
