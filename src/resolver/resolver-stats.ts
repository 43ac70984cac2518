import type { NameserverStats } from './nameserver-stats.ts';

/** A `Resolver`'s counters at one instant, for metrics and status output. */
export interface ResolverStats {
  domain: string;
  /** `srv`, `address` (the A/AAAA fallback) or `unknown` before the first answer. */
  mode: 'srv' | 'address' | 'unknown';
  backends: number;
  stale: boolean;
  /** How long the backends have been kept through failures (fail static), 0 when fresh. */
  staleSeconds: number;
  /** Record-set lookups started, and those that failed on every nameserver. */
  lookups: number;
  lookupFailures: number;
  /** Queries, failures and latency per nameserver (`ip:port`). */
  nameservers: Record<string, Readonly<NameserverStats>>;
}
