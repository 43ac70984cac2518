import { HeraldError } from '../errors.ts';

/** A nameserver string that is not `ip`, `ip:port`, `[ipv6]` or `[ipv6]:port`. */
export class InvalidNameserverError extends HeraldError {
  readonly input: string;
  constructor(input: string, reason: string) {
    super('HERALD_INVALID_NAMESERVER', `invalid nameserver ${JSON.stringify(input)}: ${reason} (expected IP, IP:PORT or [IPv6]:PORT)`);
    this.input = input;
  }
}

/** No nameserver to ask: an empty list, or a resolv.conf without `nameserver` lines. */
export class NoNameserversError extends HeraldError {
  constructor(where: string) {
    super('HERALD_NO_NAMESERVERS', `no nameservers found in ${where}`);
  }
}

/** One query got no usable reply within its timeout. */
export class QueryTimeoutError extends HeraldError {
  readonly nameserver: string;
  constructor(nameserver: string, timeoutMs: number) {
    super('HERALD_QUERY_TIMEOUT', `no reply from ${nameserver} within ${timeoutMs} ms`);
    this.nameserver = nameserver;
  }
}

/**
 * A socket-level failure talking to one nameserver: no route (ENETUNREACH),
 * port closed (ECONNREFUSED), TCP reset, a send that failed. `errno` is the
 * system code when there is one.
 */
export class TransportError extends HeraldError {
  readonly nameserver: string;
  readonly errno: string | undefined;
  constructor(nameserver: string, reason: string, options?: { cause?: unknown }) {
    super('HERALD_TRANSPORT', `${nameserver}: ${reason}`, options);
    this.nameserver = nameserver;
    const code = (options?.cause as NodeJS.ErrnoException | undefined)?.code;
    this.errno = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
  }
}

/**
 * A reply Herald cannot trust, from one nameserver: truncated over TCP (the
 * answer did not fit even there), malformed, or carrying records for a name
 * it was not asked about. A failure of that nameserver — never "no records".
 */
export class UntrustedReplyError extends HeraldError {
  readonly nameserver: string;
  readonly reason: string;
  constructor(nameserver: string, reason: string, options?: { cause?: unknown }) {
    super('HERALD_UNTRUSTED_REPLY', `${nameserver}: ${reason}`, options);
    this.nameserver = nameserver;
    this.reason = reason;
  }
}

/** What one nameserver did with a lookup that did not succeed. */
export interface FailedAttempt {
  nameserver: string;
  /**
   * `timeout`, `REFUSED`, `SERVFAIL`, `FORMERR`, `untrusted` (see
   * `UntrustedReplyError`), a socket's errno (`ENETUNREACH`, `ECONNREFUSED`,
   * ...), or `error`.
   */
  reason: string;
  error?: Error;
}

/**
 * Every nameserver refused, failed or timed out, on every try. `attempts`
 * says what each one did, the last try of each.
 */
export class LookupFailedError extends HeraldError {
  readonly attempts: readonly FailedAttempt[];
  constructor(name: string, type: string, attempts: readonly FailedAttempt[]) {
    const said = attempts.map((a) => `${a.nameserver} ${a.reason}${a.error instanceof UntrustedReplyError ? `: ${a.error.reason}` : ''}`).join(', ');
    super('HERALD_LOOKUP_FAILED', `${type} ${name}: no nameserver answered (${said || 'none asked'})`);
    this.attempts = attempts;
  }

  /** True when every nameserver timed out (dig's "no servers could be reached"). */
  get timedOut(): boolean {
    return this.attempts.length > 0 && this.attempts.every((a) => a.reason === 'timeout');
  }
}

/** A lookup came back with nothing usable (an odd rcode), or the service has no backends left. */
export class EmptyAnswerError extends HeraldError {
  constructor(name: string, what: string) {
    super('HERALD_EMPTY_ANSWER', `${name}: ${what}`);
  }
}
