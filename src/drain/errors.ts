import { HeraldError } from '../errors.ts';

// The codes keep their HERALD_SIDECAR_ prefix: they were the sidecar's before
// the admin socket's client moved here, and a code is a stable contract.

/** A drain request or the admin socket was used wrongly (unknown command, bad intent). */
export class DrainRequestError extends HeraldError {
  constructor(message: string) {
    super('HERALD_SIDECAR_DRAIN_REQUEST', message);
  }
}

/** The admin socket could not be reached or answered nonsense. */
export class AdminSocketError extends HeraldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HERALD_SIDECAR_ADMIN_SOCKET', message, options);
  }
}
