import type { Logger } from '../log.ts';
import { pathToDomain, parseRecord, type Mirror, type Snapshot, type Store } from '../registry/index.ts';

/** One host node under a service node: what an operator needs to follow it in the logs. */
export interface ServiceInstance {
  service: string;
  instance: string;
  address: string | null;
}

export interface InstanceChanges {
  joined: ServiceInstance[];
  left: ServiceInstance[];
}

/** Every child of every service node in `snapshot`, keyed `service/instance`. */
export function serviceInstances(snapshot: Snapshot): Map<string, ServiceInstance> {
  const out = new Map<string, ServiceInstance>();
  for (const node of snapshot.values()) {
    if (node.data === null || !isService(node.data)) continue;
    const service = pathToDomain(node.path);
    for (const instance of node.children) {
      const child = snapshot.get(`${node.path}/${instance}`);
      out.set(`${service}/${instance}`, { service, instance, address: child ? addressOf(child.data) : null });
    }
  }
  return out;
}

/** Which instances appeared in or left a service between two snapshots (pure). */
export function instanceChanges(before: ReadonlyMap<string, ServiceInstance>, after: ReadonlyMap<string, ServiceInstance>): InstanceChanges {
  return {
    joined: [...after].filter(([key]) => !before.has(key)).map(([, i]) => i),
    left: [...before].filter(([key]) => !after.has(key)).map(([, i]) => i),
  };
}

function isService(data: string): boolean {
  try { return parseRecord(data).kind === 'service'; } catch { return false; }
}

function addressOf(data: string | null): string | null {
  if (data === null) return null;
  try {
    const rec = parseRecord(data);
    return rec.kind === 'host' || rec.kind === 'database' ? rec.address : null;
  } catch {
    return null;
  }
}

/**
 * Logs every state transition `herald serve` goes through, one line each:
 * session states, the first full sync, serving stale and current again, and
 * each instance joining or leaving a service.
 */
export function logServeEvents(store: Store, mirror: Mirror, log: Logger): void {
  let known: Map<string, ServiceInstance> | undefined;
  store.on('state', (state) => {
    const level = state === 'disconnected' || state === 'expired' ? 'warn' : 'info';
    log[level]({ state }, `registry session ${state}`);
  });
  mirror.on('error', (err) => log.warn({ err: { message: err.message } }, `registry read failed, will retry: ${err.message}`));
  mirror.on('stale', (since) => {
    // Before the first sync nothing is served yet (SERVFAIL), so nothing is stale.
    if (mirror.snapshot) log.warn({ staleSince: new Date(since).toISOString() }, `serving stale state since ${new Date(since).toISOString()}`);
  });
  mirror.on('current', () => {
    if (mirror.snapshot) log.info({ nodes: mirror.snapshot.size }, 'registry resynced: serving current state');
  });
  mirror.once('synced', (snapshot) => {
    known = serviceInstances(snapshot);
    const services = new Set([...known.values()].map((i) => i.service)).size;
    log.info({ nodes: snapshot.size, services, instances: known.size }, `first full sync: ${snapshot.size} nodes, ${known.size} instances in ${services} services`);
  });
  mirror.on('change', (snapshot) => {
    const next = serviceInstances(snapshot);
    const { joined, left } = instanceChanges(known ?? new Map(), next);
    known = next;
    for (const i of joined) log.info({ ...i, event: 'joined' }, `instance ${i.instance} joined ${i.service}${i.address ? ` (${i.address})` : ''}`);
    for (const i of left) log.info({ ...i, event: 'left' }, `instance ${i.instance} left ${i.service}${i.address ? ` (${i.address})` : ''}`);
  });
}
