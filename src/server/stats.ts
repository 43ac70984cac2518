import type { DropReason } from './query.ts';

/** Plain counters bumped on the hot path; metrics read them at scrape time. */
export class ServerStats {
  /** Replies by rcode (index), all transports. */
  readonly rcodes = new Float64Array(16);
  udp = 0;
  tcp = 0;
  truncated = 0;
  cacheHits = 0;
  cacheMisses = 0;
  readonly dropped: Record<DropReason, number> = { malformed: 0, response: 0, oversized: 0 };
  zoneChanges = 0;
  tcpConnections = 0;
}
