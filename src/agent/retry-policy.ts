// Which failed attempts may be repeated on another backend. The rule that
// matters: a request that may have reached a backend and is not idempotent
// is never sent twice.

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** Bodies that can be written again: none, bytes, or a string. Streams and iterables are read once. */
export function isReplayable(body: unknown): boolean {
  return body == null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer;
}

export interface AttemptOutcome {
  /** The request method. */
  method: string;
  /** Whether the body can be sent again. */
  replayable: boolean;
  /** Whether any byte of this attempt may have been written (undici called onRequestStart). */
  written: boolean;
}

/** A transport error on an attempt whose response never reached the caller. */
export function mayRetryError(a: AttemptOutcome): boolean {
  // Never written: the backend cannot have seen it. A body not yet read is
  // intact even if it is a stream.
  if (!a.written) return true;
  return isIdempotent(a.method) && a.replayable;
}

/** A 5xx response, not yet delivered to the caller. */
export function mayRetryStatus(a: AttemptOutcome, status: number): boolean {
  return status >= 500 && isIdempotent(a.method) && a.replayable;
}
