import { parentPath, type Store } from '../registry/index.ts';
import { intentPath, newIntent, parseStatus, statusPath, type DrainIntent, type SidecarStatus } from './intent.ts';

export interface DrainRequestOptions {
  reason: string;
  /** The drain's deadline; absent: the sidecar's own `drain.deadline`. */
  deadlineMs?: number;
  by?: string;
  /** Called with every status the sidecar publishes for this drain. */
  onStatus?: (s: SidecarStatus) => void;
  /** Give up when no sidecar has taken the intent up after this long. @default 30000 */
  ackTimeoutMs?: number;
  /** Extra wait past the drain's deadline before giving up on the sidecar. @default 10000 */
  graceMs?: number;
  signal?: AbortSignal;
}

export type DrainOutcome =
  | { outcome: 'drained' | 'deadline'; status: SidecarStatus }
  | { outcome: 'no-sidecar'; status: SidecarStatus | undefined; intent: DrainIntent };

/**
 * Writes the drain intent for one instance (from anywhere: it is a znode)
 * and follows the status its sidecar publishes until the drain ends. The
 * intent stays when this returns: `resumeInstance` lifts it.
 */
export async function drainInstance(store: Store, domain: string, instance: string, options: DrainRequestOptions): Promise<DrainOutcome> {
  const intent = newIntent(options.reason, options.deadlineMs, options.by);
  await store.putPersistent(intentPath(domain, instance), JSON.stringify(intent));
  const at = statusPath(domain, instance);
  // Its directory: a mirror does not see a deleted root come back.
  const mirror = store.mirror(parentPath(at));
  try {
    return await new Promise<DrainOutcome>((resolve) => {
      let last: SidecarStatus | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (o: DrainOutcome): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      const giveUpIn = (ms: number): void => {
        clearTimeout(timer);
        timer = setTimeout(() => finish({ outcome: 'no-sidecar', status: last, intent }), ms);
      };
      const onAbort = (): void => finish({ outcome: 'no-sidecar', status: last, intent });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      giveUpIn(options.ackTimeoutMs ?? 30_000);
      const look = (): void => {
        const s = parseStatus(mirror.snapshot?.get(at)?.data ?? null);
        if (!s || s.intent !== intent.id || s === last) return;
        const acknowledged = last === undefined;
        last = s;
        options.onStatus?.(s);
        const phase = s.drain?.phase;
        if (phase === 'drained' || phase === 'deadline') return finish({ outcome: phase, status: s });
        if (acknowledged && s.drain) giveUpIn(Math.max(0, s.drain.deadlineAt - Date.now()) + (options.graceMs ?? 10_000));
      };
      mirror.on('synced', look);
      mirror.on('change', look);
    });
  } finally {
    mirror.close();
  }
}

/** Lifts the drain intent; resolves false when there was none. */
export async function resumeInstance(store: Store, domain: string, instance: string): Promise<boolean> {
  return store.delete(intentPath(domain, instance));
}
