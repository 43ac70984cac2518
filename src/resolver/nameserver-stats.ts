import { Rcode } from '../dns/index.ts';

/** Counters for one nameserver, as seen by one client. Plain numbers: cheap to bump, easy to export. */
export interface NameserverStats {
  queries: number;
  /** Queries retried over TCP after a truncated UDP reply, or sent with `tcp`. */
  tcp: number;
  timeouts: number;
  refused: number;
  servfail: number;
  /** Socket errors and other rcodes that move on to the next nameserver. */
  errors: number;
  /** Replies dropped: wrong ID, question, source or garbage. */
  rejected: number;
  /** Sum and count of reply latencies in ms (mean = sum / count). */
  latencyMsSum: number;
  latencyCount: number;
  /** Counts of latencies ≤ each bound in `LATENCY_BUCKETS_MS` (not cumulative). */
  latencyBuckets: number[];
}

/** Upper bounds (ms) of the latency histogram. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, Infinity] as const;

export function emptyStats(): NameserverStats {
  return { queries: 0, tcp: 0, timeouts: 0, refused: 0, servfail: 0, errors: 0, rejected: 0, latencyMsSum: 0, latencyCount: 0, latencyBuckets: LATENCY_BUCKETS_MS.map(() => 0) };
}

/**
 * A reply came (a valid one, as the lookup will read it): its latency, and
 * its rcode when that rcode sends a lookup on to the next nameserver
 * (REFUSED, SERVFAIL; FORMERR counts as an error).
 */
export function observeReply(s: NameserverStats, ms: number, rcode: number): void {
  observeLatency(s, ms);
  if (rcode === Rcode.REFUSED) s.refused++;
  else if (rcode === Rcode.SERVFAIL) s.servfail++;
  else if (rcode === Rcode.FORMERR) s.errors++;
}

function observeLatency(s: NameserverStats, ms: number): void {
  s.latencyMsSum += ms;
  s.latencyCount++;
  let i = 0;
  while (ms > LATENCY_BUCKETS_MS[i]!) i++;
  s.latencyBuckets[i]!++;
}
