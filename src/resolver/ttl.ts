import { backoffDelay } from '../backoff.ts';
/** Longest delay a Node timer takes (2^31 - 1 ms); longer ones fire at once, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TtlBounds {
  /** Seconds: no record set is re-queried sooner than this (TTL 0 must not spin). */
  minTtl: number;
  /** Seconds: no record set waits longer than this before it is re-queried. */
  maxTtl: number;
}

/** A TTL in seconds, clamped to [minTtl, maxTtl]. */
export function clampTtl(ttl: number, bounds: TtlBounds): number {
  if (!Number.isFinite(ttl) || ttl < bounds.minTtl) return bounds.minTtl;
  return ttl > bounds.maxTtl ? bounds.maxTtl : ttl;
}

/**
 * Milliseconds until a record set with this TTL is re-queried: the clamped
 * TTL, plus up to `jitter` of it at random, so that many clients that loaded
 * a record together do not all ask again in the same instant. Never beyond
 * what a timer can hold.
 */
export function refreshDelayMs(ttl: number, bounds: TtlBounds, jitter: number, random: () => number = Math.random): number {
  const base = clampTtl(ttl, bounds) * 1000;
  return Math.min(MAX_TIMER_MS, Math.round(base + base * jitter * random()));
}

/** The smallest TTL among records, or undefined for none. */
export function minTtl(records: readonly { ttl: number }[]): number | undefined {
  let min: number | undefined;
  for (const r of records) if (min === undefined || r.ttl < min) min = r.ttl;
  return min;
}

/**
 * Backoff for retrying a record set whose lookup failed: doubles from
 * `baseMs` per consecutive failure, capped at `maxMs`, with ±20% jitter.
 */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.min(MAX_TIMER_MS, Math.round(backoffDelay(failures - 1, baseMs, maxMs, random)));
}
