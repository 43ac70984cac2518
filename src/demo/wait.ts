import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` every `intervalMs` until it is true; throws after `timeoutMs` or on abort. */
export async function waitUntil(what: string, probe: () => boolean, timeoutMs: number, signal?: AbortSignal, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    signal?.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs, undefined, signal ? { signal } : {});
  }
}

/** Sleeps, or throws the abort reason when `signal` fires first. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(Math.max(0, ms), undefined, signal ? { signal } : {});
}
