// The error every reader and every party throws when the data it is given is at fault (malformed
// or tampered bytes, keys or ciphertexts of another client, insecure parameters), as opposed to a
// bug of fhec. Front ends report it as one line (the CLI exits 1), never as an internal error.

export class InvalidDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidDataError";
  }
}

/** Runs `f`, turning any error it throws into an InvalidDataError (for parsers of untrusted bytes). */
export function asInvalidData<T>(f: () => T, prefix = ""): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InvalidDataError) throw e;
    throw new InvalidDataError(`${prefix}${(e as Error).message ?? String(e)}`);
  }
}
