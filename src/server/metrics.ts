import { Counter, Gauge, type Registry } from 'prom-client';
import { rcodeName } from '../dns/types.ts';
import type { DnsServer } from './server.ts';

/**
 * Registers the server's metrics (`herald_server_*`) on a prom-client
 * registry. Values are read from the server's plain counters at scrape time,
 * so the hot path pays nothing for them.
 */
export function registerServerMetrics(server: DnsServer, registry: Registry): void {
  const registers = [registry];
  new Counter({
    name: 'herald_server_responses_total', help: 'Replies sent, by rcode', labelNames: ['rcode'], registers,
    collect() {
      this.reset();
      server.stats.rcodes.forEach((n, rcode) => { if (n > 0) this.inc({ rcode: rcodeName(rcode) }, n); });
    },
  });
  new Counter({
    name: 'herald_server_queries_total', help: 'Query packets received, by transport', labelNames: ['transport'], registers,
    collect() { const s = server.stats; this.reset(); this.inc({ transport: 'udp' }, s.udp); this.inc({ transport: 'tcp' }, s.tcp); },
  });
  new Counter({
    name: 'herald_server_dropped_total', help: 'Packets dropped without a reply: malformed, a response, oversized', labelNames: ['reason'], registers,
    collect() { this.reset(); for (const [reason, n] of Object.entries(server.stats.dropped)) this.inc({ reason }, n); },
  });
  new Counter({ name: 'herald_server_truncated_total', help: 'Replies sent truncated (TC)', registers, collect() { this.reset(); this.inc(server.stats.truncated); } });
  new Counter({ name: 'herald_server_cache_hits_total', help: 'Replies served from cached wire bytes', registers, collect() { this.reset(); this.inc(server.stats.cacheHits); } });
  new Counter({ name: 'herald_server_cache_misses_total', help: 'Replies worked out from the zone', registers, collect() { this.reset(); this.inc(server.stats.cacheMisses); } });
  new Counter({ name: 'herald_server_zone_changes_total', help: 'Registry snapshots applied', registers, collect() { this.reset(); this.inc(server.stats.zoneChanges); } });
  new Counter({ name: 'herald_server_tcp_connections_total', help: 'TCP connections accepted', registers, collect() { this.reset(); this.inc(server.stats.tcpConnections); } });
  new Gauge({ name: 'herald_server_ready', help: '1 once the first full copy of the registry is loaded', registers, collect() { this.set(server.ready ? 1 : 0); } });
  new Gauge({ name: 'herald_server_zone_names', help: 'Names held', registers, collect() { this.set(server.zoneSize); } });
  new Gauge({
    name: 'herald_server_registry_stale_seconds', help: 'Age of the served state while the registry session is away (0 when current)', registers,
    collect() { this.set(server.staleSeconds); },
  });
}
