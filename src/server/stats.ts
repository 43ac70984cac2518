import type { DropReason } from './query.ts';

/** Why the server closed a TCP connection (or refused it). */
export type TcpCloseReason = 'idle' | 'slow_query' | 'max_connections' | 'per_source' | 'oversized';
export const TCP_CLOSE_REASONS: readonly TcpCloseReason[] = ['idle', 'slow_query', 'max_connections', 'per_source', 'oversized'];

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
  /** TCP connections closed or refused by the server, by reason. */
  tcpClosed: Record<TcpCloseReason, number>;
  /** Queries by qtype (index; 0 counts types above 255). */
  qtypes: number[];
  /** Time to work out each reply, by bucket of `ANSWER_BUCKETS_US` (not cumulative), and their sum in µs. */
  answerBuckets: number[];
  answerUsSum: number;
  /** UDP replies response rate limiting dropped, and sent truncated instead (slipped). */
  rrlDropped: number;
  rrlSlipped: number;
}

/** Upper bounds (µs) of the answer-time histogram. */
export const ANSWER_BUCKETS_US = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000, Infinity] as const;

export function observeAnswer(s: ServerStats, us: number): void {
  s.answerUsSum += us;
  let i = 0;
  while (us > ANSWER_BUCKETS_US[i]!) i++;
  s.answerBuckets[i]!++;
}

export function newStats(): ServerStats {
  return {
    rcodes: new Array<number>(16).fill(0), udp: 0, tcp: 0, truncated: 0, cacheHits: 0, cacheMisses: 0,
    dropped: { malformed: 0, response: 0, oversized: 0 }, zoneChanges: 0, tcpConnections: 0,
    tcpClosed: Object.fromEntries(TCP_CLOSE_REASONS.map((r) => [r, 0])) as Record<TcpCloseReason, number>,
    qtypes: new Array<number>(256).fill(0), answerBuckets: ANSWER_BUCKETS_US.map(() => 0), answerUsSum: 0,
    rrlDropped: 0, rrlSlipped: 0,
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
    for (const k of TCP_CLOSE_REASONS) total.tcpClosed[k] += s.tcpClosed?.[k] ?? 0;
    for (const k of Object.keys(total.dropped) as DropReason[]) total.dropped[k] += s.dropped[k];
    // A worker built before these fields existed reports none.
    s.qtypes?.forEach((n, i) => { total.qtypes[i]! += n; });
    s.answerBuckets?.forEach((n, i) => { total.answerBuckets[i]! += n; });
    total.answerUsSum += s.answerUsSum ?? 0;
    total.rrlDropped += s.rrlDropped ?? 0;
    total.rrlSlipped += s.rrlSlipped ?? 0;
  }
  // Every thread applies every change: count them once.
  total.zoneChanges = all[0]?.zoneChanges ?? 0;
  return total;
}
