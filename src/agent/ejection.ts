// Passive-health arithmetic, kept pure so the agent's state machine stays thin
// and the numbers can be checked on their own.
import { backoffDelay } from '../backoff.ts';

export interface EjectionPolicy {
  /** Consecutive failures (connect errors or 5xx) that eject a backend. */
  readonly consecutiveFailures: number;
  /** First ejection lasts this long (ms); the n-th lasts n times as long... */
  readonly baseEjectionMs: number;
  /** ...but never longer than this (ms). */
  readonly maxEjectionMs: number;
  /** At most this share of a priority group is ejected at once (0..1). */
  readonly maxEjectedShare: number;
  /** Below this share of available members, a group is in panic: spread over all (0..1). */
  readonly panicThreshold: number;
}

/** How long the `timesEjected`-th ejection lasts (base × times, capped). */
export function ejectionDuration(policy: EjectionPolicy, timesEjected: number): number {
  return Math.min(policy.baseEjectionMs * Math.max(1, timesEjected), policy.maxEjectionMs);
}

/**
 * Whether one more member of a group of `size` may be ejected while
 * `ejected` already are. One member may always go (the panic threshold then
 * decides whether traffic still avoids it).
 */
export function mayEject(policy: EjectionPolicy, ejected: number, size: number): boolean {
  const allowed = Math.max(1, Math.floor(size * policy.maxEjectedShare));
  return ejected + 1 <= allowed;
}

/** A group with `available` of `size` members usable is in panic: use them all. */
export function inPanic(policy: EjectionPolicy, available: number, size: number): boolean {
  return size > 0 && available / size < policy.panicThreshold;
}

/**
 * After a backend has stayed healthy for as long as its last ejection lasted,
 * one ejection is forgiven, so a backend that failed once long ago is not
 * punished with ever longer ejections.
 */
export function forgiveEjections(policy: EjectionPolicy, timesEjected: number, healthySinceMs: number, now: number): number {
  if (timesEjected === 0) return 0;
  return now - healthySinceMs >= ejectionDuration(policy, timesEjected) ? timesEjected - 1 : timesEjected;
}

/** The first probe of an ejected backend comes about this long after its ejection (ms)... */
export const PROBE_FIRST_MS = 1000;
/** ...each later one twice as long after the last, up to this (ms). */
export const PROBE_MAX_MS = 8000;

/**
 * Delay before the `attempt`-th probe (0 = the first) of an ejected backend:
 * doubling from PROBE_FIRST_MS to PROBE_MAX_MS, ±10% (`random` in [0, 1)) so
 * that many clients ejecting one backend at once do not probe it in step.
 */
export function probeDelay(attempt: number, random: number): number {
  return backoffDelay(attempt, PROBE_FIRST_MS, PROBE_MAX_MS, () => random, 0.1);
}
