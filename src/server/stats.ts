import type { DropReason } from './query.ts';

/** Plain counters bumped on the hot path (one set per thread); metrics read them at scrape time. */
export interface ServerStats {
  /** Replies by rcode (index), all transports. */
  rcodes: number[];
  udp: number;
  tcp: number;
  truncated: number;
  cacheHits: number;
  cacheMisses: number;
  dropped: Record<DropReason, number>;
  zoneChanges: number;
  tcpConnections: number;
}

export function newStats(): ServerStats {
  return {
    rcodes: new Array<number>(16).fill(0), udp: 0, tcp: 0, truncated: 0, cacheHits: 0, cacheMisses: 0,
    dropped: { malformed: 0, response: 0, oversized: 0 }, zoneChanges: 0, tcpConnections: 0,
  };
}

/** Sums the counters of several threads. */
export function sumStats(all: readonly ServerStats[]): ServerStats {
  const total = newStats();
  for (const s of all) {
    s.rcodes.forEach((n, i) => { total.rcodes[i]! += n; });
    total.udp += s.udp; total.tcp += s.tcp; total.truncated += s.truncated;
    total.cacheHits += s.cacheHits; total.cacheMisses += s.cacheMisses;
    total.tcpConnections += s.tcpConnections;
    for (const k of Object.keys(total.dropped) as DropReason[]) total.dropped[k] += s.dropped[k];
  }
  // Every thread applies every change: count them once.
  total.zoneChanges = all[0]?.zoneChanges ?? 0;
  return total;
}
