/**
 * Rise/fall hysteresis over check results, as a pure function. Unlike
 * registrar (shared/BINDER.md §5), the thresholds hold on every cycle: the
 * counters restart after each transition and on every opposite result.
 */
export interface HealthCount {
  /** Starts false: an instance is registered only after `rise` successes. */
  healthy: boolean;
  /** Consecutive results pointing away from `healthy` (successes while down, failures while up). */
  streak: number;
}

export interface Thresholds {
  rise: number;
  fall: number;
}

export type Transition = 'up' | 'down' | undefined;

export const INITIAL_HEALTH: HealthCount = Object.freeze({ healthy: false, streak: 0 });

export function observe(count: HealthCount, ok: boolean, t: Thresholds): { count: HealthCount; transition: Transition } {
  if (ok === count.healthy) return { count: { healthy: count.healthy, streak: 0 }, transition: undefined };
  const streak = count.streak + 1;
  const needed = count.healthy ? t.fall : t.rise;
  if (streak < needed) return { count: { healthy: count.healthy, streak }, transition: undefined };
  return { count: { healthy: ok, streak: 0 }, transition: ok ? 'up' : 'down' };
}
