/**
 * The wait before a new session after `failures` failed ones: doubling from
 * `baseMs`, capped at `maxMs`, ±20 % jitter so that many sidecars cut off
 * together do not reconnect in step.
 */
export function reconnectDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(30, failures)) * (0.8 + Math.random() * 0.4);
}
