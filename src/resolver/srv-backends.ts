import { makeBackend, type Backend } from './backend.ts';

export interface SrvTarget {
  target: string;
  port: number;
  priority: number;
  weight: number;
}

/**
 * Backends from SRV records and each target's addresses. The lowest priority
 * group that has at least one address wins (RFC 2782: higher groups are
 * fallbacks); a target listed twice with the same port counts once (the
 * larger weight); output is
 * sorted by key, so equal inputs give equal lists.
 */
export function srvBackends(srv: readonly SrvTarget[], addresses: (target: string) => readonly string[] | undefined): Backend[] {
  const groups = new Map<number, Map<string, Backend>>();
  for (const r of srv) {
    const list = addresses(r.target);
    if (list === undefined || list.length === 0) continue;
    let group = groups.get(r.priority);
    if (group === undefined) { group = new Map(); groups.set(r.priority, group); }
    for (const address of list) {
      const b = makeBackend({ name: r.target, address, port: r.port, priority: r.priority, weight: r.weight });
      // A target and port listed twice counts once, with the larger weight, whatever order the records came in.
      const seen = group.get(b.key);
      if (seen === undefined || seen.weight < b.weight) group.set(b.key, b);
    }
  }
  if (groups.size === 0) return [];
  const lowest = Math.min(...groups.keys());
  return sortByKey([...groups.get(lowest)!.values()]);
}

/** Backends for the A/AAAA fallback: the domain itself at the default port. */
export function addressBackends(domain: string, port: number, addresses: readonly string[]): Backend[] {
  const unique = [...new Set(addresses)];
  return sortByKey(unique.map((address) => makeBackend({ name: domain, address, port, priority: 0, weight: 10 })));
}

function sortByKey(list: Backend[]): Backend[] {
  return list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
