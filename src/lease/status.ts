import type { Store } from '../registry/index.ts';
import { holderNotePath, leasePath, queueOrder } from './path.ts';

export interface LeaseContender {
  /** The `instance` given to `acquireLease` (undefined when the node's data is not Herald's). */
  instance: string | undefined;
  /** Its fencing token (the node's sequence). */
  token: number;
  path: string;
  pid: number | undefined;
  /** When it joined the queue (ISO 8601), as it said. */
  queuedAt: string | undefined;
}

export interface LeaseHolder extends LeaseContender {
  /** When it began to hold (ISO 8601, its own clock); undefined until it has said so. */
  heldSince: string | undefined;
  /** How long it has held, by this reader's clock (so off by the clocks' difference). */
  heldForMs: number | undefined;
}

export interface LeaseStatus {
  name: string;
  /**
   * The lowest node: the holder. Undefined when the lease is free. Its node
   * was there at this read, which confirms its session alive (ZooKeeper
   * deletes it when the session expires).
   */
  holder: LeaseHolder | undefined;
  /** The waiters, in the order they will hold. */
  queue: LeaseContender[];
}

/** Reads who holds `name` and who waits, without joining the queue or writing anything. */
export async function leaseStatus(store: Store, name: string): Promise<LeaseStatus> {
  const dir = leasePath(name);
  const contenders: LeaseContender[] = [];
  for (const c of queueOrder((await store.children(dir)) ?? [])) {
    const path = `${dir}/${c.child}`;
    const node = await store.get(path);
    if (!node) continue; // left between the two reads
    contenders.push({ token: c.sequence, path, ...describe(node.data) });
  }
  const [first, ...queue] = contenders;
  if (!first) return { name, holder: undefined, queue };
  const note = await store.get(holderNotePath(name, first.token));
  const heldSince = note ? describeNote(note.data) : undefined;
  const since = heldSince === undefined ? NaN : Date.parse(heldSince);
  return { name, holder: { ...first, heldSince, heldForMs: Number.isNaN(since) ? undefined : Math.max(0, Date.now() - since) }, queue };
}

function describeNote(data: string | null): string | undefined {
  try {
    const parsed: unknown = data === null ? undefined : JSON.parse(data);
    const since = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['heldSince'] : undefined;
    return typeof since === 'string' ? since : undefined;
  } catch {
    return undefined;
  }
}

function describe(data: string | null): { instance: string | undefined; pid: number | undefined; queuedAt: string | undefined } {
  let parsed: unknown;
  try { parsed = data === null ? undefined : JSON.parse(data); } catch { parsed = undefined; }
  const rec = typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : {};
  return {
    instance: typeof rec['instance'] === 'string' ? rec['instance'] : undefined,
    pid: typeof rec['pid'] === 'number' ? rec['pid'] : undefined,
    queuedAt: typeof rec['queuedAt'] === 'string' ? rec['queuedAt'] : undefined,
  };
}
