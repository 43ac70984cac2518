import { InvalidArgumentError } from '../errors.ts';

/**
 * How long a held lease may be trusted. ZooKeeper expires a session no sooner
 * than the session timeout after the last request it received, so a reply to
 * a request sent at `t` proves the lease held until at least `t + timeout`.
 * The lease gives itself up a safety margin earlier, so that its work can
 * stop before another holder starts.
 */

/** The margin when none is given: a third of the session timeout. */
export function defaultSafetyMargin(sessionTimeoutMs: number): number {
  return sessionTimeoutMs / 3;
}

/** Checks a margin against the negotiated timeout; returns the margin to use. */
export function safetyMargin(sessionTimeoutMs: number, marginMs: number | undefined): number {
  if (!Number.isFinite(sessionTimeoutMs)) return 0;
  const margin = marginMs ?? defaultSafetyMargin(sessionTimeoutMs);
  if (!(margin >= 0) || margin >= sessionTimeoutMs * 0.9) {
    throw new InvalidArgumentError(`safetyMarginMs must be at least 0 and below 90 % of the session timeout (${sessionTimeoutMs} ms), got ${margin}`);
  }
  return margin;
}

/** Until when (same clock as `sentAt`) the lease may be trusted after a reply to a request sent at `sentAt`. */
export function trustedUntil(sentAt: number, sessionTimeoutMs: number, marginMs: number): number {
  return sentAt + sessionTimeoutMs - marginMs;
}

/**
 * How often a holder confirms its session: several times within the trusted
 * window, so one slow reply does not end the lease. Infinity when sessions
 * never time out.
 */
export function renewInterval(sessionTimeoutMs: number, marginMs: number): number {
  if (!Number.isFinite(sessionTimeoutMs)) return Number.POSITIVE_INFINITY;
  return Math.max(20, (sessionTimeoutMs - marginMs) / 4);
}

/**
 * The longest grace (SIGTERM to SIGKILL) a command under the lease can have:
 * half the trusted window. The watchdog sends SIGTERM a grace before the
 * trusted deadline, so the SIGKILL lands at it. With half, the renewal sent
 * a quarter of the window in has another quarter to be answered before the
 * stop would begin; a longer grace would stop a healthy holder's command on
 * one slow reply.
 */
export function graceLimit(windowMs: number): number {
  return windowMs / 2;
}
