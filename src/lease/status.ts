import type { Store } from '../registry/store.ts';
import { leasePath, queueOrder } from './path.ts';

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

export interface LeaseStatus {
  name: string;
  /** The lowest node: the holder. Undefined when the lease is free. */
  holder: LeaseContender | undefined;
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
  const [holder, ...queue] = contenders;
  return { name, holder, queue };
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
