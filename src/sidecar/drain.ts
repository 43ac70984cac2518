import { setTimeout as sleep } from 'node:timers/promises';
import {
  absentCount, enterPhase, hitDeadline, mergePresence, startDrain,
  type DrainProgress, type NameserverPresence,
} from '../drain/index.ts';

/** What a drain acts on; each piece is small and separately testable. */
export interface DrainActions {
  /** Deletes every host node the instance owns; resolves with how many. */
  remove(): Promise<number>;
  /** Asks each nameserver whether it still serves the instance. */
  presence(): Promise<NameserverPresence[]>;
  /** How much work is still in hand. */
  inFlight(): Promise<number>;
}

export interface DrainOptions {
  deadlineMs: number;
  /** Longest record TTL plus the jitter margin (ms). */
  ttlMs: number;
  /**
   * What a client may still hold once every nameserver dropped the instance
   * at `absentAt` (a TTL override lowers it: src/drain/ttl-override.ts),
   * margin included; absent: `ttlMs`.
   */
  holdMs?: (absentAt: number) => Promise<number>;
  pollMs: number;
  reason: string;
  /** Aborts the drain (resume): resolves with the progress so far. */
  signal?: AbortSignal;
  onProgress?: (p: DrainProgress) => void;
  now?: () => number;
}

/**
 * Runs one drain to its end: remove → absent from every nameserver → wait
 * out the TTLs → in-flight reaches zero → drained, or `deadline` naming the
 * condition still unmet. Thin: every decision is in src/drain/progress.ts.
 */
export async function runDrain(actions: DrainActions, options: DrainOptions): Promise<DrainProgress> {
  const now = options.now ?? Date.now;
  let p = startDrain(now(), options.deadlineMs, options.reason);
  const publish = (next: DrainProgress): void => {
    p = next;
    options.onProgress?.(p);
  };
  const signal = options.signal;
  const deadline = AbortSignal.timeout(Math.max(0, options.deadlineMs));
  const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
  // Sleeps until the next poll; false when the deadline or a cancel struck.
  const pause = async (ms: number): Promise<boolean> => {
    await sleep(Math.max(0, ms), undefined, { signal: stop }).catch(() => undefined);
    return !stop.aborted;
  };
  const ended = (): DrainProgress | undefined => {
    if (signal?.aborted) return p;
    if (deadline.aborted || now() >= p.deadlineAt) {
      publish(hitDeadline(p, now()));
      return p;
    }
    return undefined;
  };

  publish(p);
  // removing: retried until it works (the registry may be away for a moment).
  for (;;) {
    try {
      // The registry may be away: removal waits for it, but not past the deadline.
      const removed = await Promise.race([actions.remove(), new Promise<never>((_, reject) => {
        if (stop.aborted) reject(stop.reason);
        stop.addEventListener('abort', () => reject(stop.reason), { once: true });
      })]);
      publish({ ...enterPhase(p, 'absent', now()), removedNodes: removed });
      break;
    } catch (err) {
      publish({ ...p, error: (err as Error).message });
      if (!(await pause(options.pollMs))) return ended() ?? p;
    }
  }
  // absent: every nameserver must positively say the instance is gone.
  for (;;) {
    const latest = await actions.presence().catch((err: Error) => [{ nameserver: '(lookup)', state: 'unknown' as const, detail: err.message }]);
    publish({ ...p, nameservers: mergePresence(p.nameservers, latest) });
    const { absent, total } = absentCount(p);
    if (absent === total) break;
    if (!(await pause(options.pollMs))) return ended() ?? p;
  }
  if (ended()) return p;
  // ttl: a client may have been handed the record just before the last nameserver dropped it.
  const absentAt = now();
  const ttlMs = options.holdMs ? Math.min(options.ttlMs, await options.holdMs(absentAt).catch(() => options.ttlMs)) : options.ttlMs;
  const ttlEndsAt = absentAt + ttlMs;
  publish({ ...enterPhase(p, 'ttl', absentAt), ttlEndsAt, ttlMs });
  while (now() < ttlEndsAt) {
    // Tick once a second so a watcher sees the countdown move.
    if (!(await pause(Math.min(1000, ttlEndsAt - now())))) return ended() ?? p;
    publish({ ...p });
  }
  // in-flight: poll until quiet; a failing probe is "not known", never zero.
  publish(enterPhase(p, 'in-flight', now()));
  for (;;) {
    try {
      const count = await actions.inFlight();
      const { error: _dropped, ...rest } = p;
      publish({ ...rest, inFlight: count });
      if (count === 0) break;
    } catch (err) {
      publish({ ...p, error: (err as Error).message });
    }
    if (!(await pause(options.pollMs))) return ended() ?? p;
  }
  if (ended()) return p;
  publish(enterPhase(p, 'drained', now()));
  return p;
}
