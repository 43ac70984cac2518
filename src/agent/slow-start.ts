// Slow start: the share of traffic a backend gets while it ramps up after
// (re)joining the rotation, as a pure function of how long it has been back.

/** A ramping backend starts at this share of its normal traffic... */
export const MIN_SHARE = 0.05;

/**
 * ...and reaches all of it after `windowMs`, quadratically: t² keeps the
 * first seconds, when an instance is coldest, gentlest (about 5% for the
 * first fifth of the window, a quarter at half of it).
 */
export function rampShare(elapsedMs: number, windowMs: number): number {
  if (elapsedMs >= windowMs) return 1;
  const f = elapsedMs / windowMs;
  return Math.max(MIN_SHARE, f * f);
}
