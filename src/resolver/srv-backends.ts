import { makeBackend, type Backend } from './backend-source.ts';

export interface SrvTarget {
  target: string;
  port: number;
  priority: number;
  weight: number;
}

/**
 * Backends from SRV records and each target's addresses, every priority
 * group with its `priority`: choosing the lowest group that still has usable
 * members is the agent's job (RFC 2782: higher groups are fallbacks), and it
 * can only fall back to a group it was given. A target and port listed twice
 * counts once (the lowest priority, then the larger weight); output is
 * sorted by priority, then key, so equal inputs give equal lists.
 */
export function srvBackends(srv: readonly SrvTarget[], addresses: (target: string) => readonly string[] | undefined): Backend[] {
  const byKey = new Map<string, Backend>();
  for (const r of srv) {
    const list = addresses(r.target);
    if (list === undefined || list.length === 0) continue;
    for (const address of list) {
      const b = makeBackend({ name: r.target, address, port: r.port, priority: r.priority, weight: r.weight });
      // A target and port listed twice counts once, whatever order the records came in.
      const seen = byKey.get(b.key);
      if (seen === undefined || b.priority < seen.priority || (b.priority === seen.priority && seen.weight < b.weight)) byKey.set(b.key, b);
    }
  }
  return [...byKey.values()].sort((a, b) => a.priority - b.priority || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Backends for the A/AAAA fallback: the domain itself at the default port. */
export function addressBackends(domain: string, port: number, addresses: readonly string[]): Backend[] {
  const unique = [...new Set(addresses)];
  return sortByKey(unique.map((address) => makeBackend({ name: domain, address, port, priority: 0, weight: 10 })));
}

function sortByKey(list: Backend[]): Backend[] {
  return list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
