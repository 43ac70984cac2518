import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResolverStats } from './resolver-stats.ts';

interface StatsSource {
  stats(): ResolverStats;
}

// Several resolvers may share one registry: its metrics are created once and read them all.
const registered = new WeakMap<Registry, Set<StatsSource>>();

/**
 * Registers `herald_resolver_*` metrics that read a resolver's counters when
 * scraped (every resolver given the same registry): nothing is counted twice and the query path stays free of
 * prom-client calls.
 */
export function registerResolverMetrics(registry: Registry, resolver: StatsSource): void {
  const sources = registered.get(registry);
  if (sources) { sources.add(resolver); return; }
  const all = new Set<StatsSource>([resolver]);
  registered.set(registry, all);
  const each = () => [...all].map((r) => r.stats());
  const labelNames = ['domain', 'nameserver'] as const;
  const perNameserver = (name: string, help: string, pick: (s: ResolverStats['nameservers'][string]) => number) => {
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        for (const stats of each()) {
          for (const [ns, s] of Object.entries(stats.nameservers)) this.inc({ domain: stats.domain, nameserver: ns }, pick(s));
        }
      },
    });
  };
  perNameserver('herald_resolver_queries_total', 'DNS queries sent, per nameserver', (s) => s.queries);
  perNameserver('herald_resolver_timeouts_total', 'DNS queries that got no valid reply in time', (s) => s.timeouts);
  perNameserver('herald_resolver_refused_total', 'REFUSED replies (binder: name not held here)', (s) => s.refused);
  perNameserver('herald_resolver_servfail_total', 'SERVFAIL replies', (s) => s.servfail);
  perNameserver('herald_resolver_errors_total', 'socket errors and other failing rcodes', (s) => s.errors);
  perNameserver('herald_resolver_rejected_total', 'replies dropped for a wrong ID, question or source, or garbage', (s) => s.rejected);
  perNameserver('herald_resolver_latency_seconds_sum', 'sum of reply latencies', (s) => s.latencyMsSum / 1000);
  perNameserver('herald_resolver_latency_seconds_count', 'number of replies timed', (s) => s.latencyCount);
  const gauge = (name: string, help: string, pick: (s: ResolverStats) => number) => {
    new Gauge({
      name, help, labelNames: ['domain'], registers: [registry],
      collect() { this.reset(); for (const s of each()) this.set({ domain: s.domain }, pick(s)); },
    });
  };
  gauge('herald_resolver_backends', 'backends currently reported', (s) => s.backends);
  gauge('herald_resolver_stale', '1 while last-known-good backends are kept through failures', (s) => (s.stale ? 1 : 0));
  gauge('herald_resolver_stale_seconds', 'how long the backends have been kept through failures', (s) => s.staleSeconds);
}
