// The one backoff formula Herald retries with: the registry's reconnects,
// the remote memory:// store, the resolver's failed record sets and the
// agent's probes of ejected backends. Doubling from a base up to a cap, with
// jitter, so that many clients cut off together do not come back in step.

/** Each wait is this many times the last. */
export const BACKOFF_MULTIPLIER = 2;
/** A wait lands within ±this share of its nominal value. */
export const BACKOFF_JITTER = 0.2;
/** Exponents past this are capped anyway; stopping here keeps the arithmetic finite. */
const MAX_EXPONENT = 30;

/**
 * The wait before retry number `attempt` (0 = the first): `baseMs` ×
 * BACKOFF_MULTIPLIER^attempt, capped at `maxMs`, then spread by ±`jitter`
 * (`random` in [0, 1)).
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random, jitter = BACKOFF_JITTER): number {
  const nominal = Math.min(maxMs, baseMs * BACKOFF_MULTIPLIER ** Math.min(MAX_EXPONENT, Math.max(0, attempt)));
  return nominal * (1 - jitter + 2 * jitter * random());
}
