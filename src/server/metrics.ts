import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import { rcodeName, typeName } from '../dns/index.ts';
import { ANSWER_BUCKETS_US, type ServerStats } from './stats.ts';
import type { DnsServer } from './server.ts';

/**
 * Registers the server's metrics (`herald_server_*`) on a prom-client
 * registry. Values are read from the server's plain counters at scrape time,
 * so the hot path pays nothing for them.
 */
export function registerServerMetrics(server: DnsServer, registry: Registry): void {
  const registers = [registry];
  // Counts as of this scrape: the UDP workers post theirs once a second, and with workers they answer all of UDP.
  const fresh = async (): Promise<ServerStats> => { await server.refreshStats(); return server.stats; };
  new Counter({
    name: 'herald_server_responses_total', help: 'Replies sent, by rcode', labelNames: ['rcode'], registers,
    async collect() {
      const s = await fresh();
      this.reset();
      s.rcodes.forEach((n, rcode) => { if (n > 0) this.inc({ rcode: rcodeName(rcode) }, n); });
    },
  });
  new Counter({
    name: 'herald_server_queries_total', help: 'Query packets received, by transport', labelNames: ['transport'], registers,
    async collect() { const s = await fresh(); this.reset(); this.inc({ transport: 'udp' }, s.udp); this.inc({ transport: 'tcp' }, s.tcp); },
  });
  new Counter({
    name: 'herald_server_dropped_total', help: 'Packets dropped without a reply: malformed, a response, oversized', labelNames: ['reason'], registers,
    async collect() { const s = await fresh(); this.reset(); for (const [reason, n] of Object.entries(s.dropped)) this.inc({ reason }, n); },
  });
  new Counter({ name: 'herald_server_truncated_total', help: 'Replies sent truncated (TC)', registers, async collect() { const s = await fresh(); this.reset(); this.inc(s.truncated); } });
  new Counter({ name: 'herald_server_rrl_dropped_total', help: 'UDP replies dropped by response rate limiting', registers, async collect() { const s = await fresh(); this.reset(); this.inc(s.rrlDropped); } });
  new Counter({ name: 'herald_server_rrl_slipped_total', help: 'UDP replies sent truncated (TC, no records) instead by response rate limiting', registers, async collect() { const s = await fresh(); this.reset(); this.inc(s.rrlSlipped); } });
  new Counter({ name: 'herald_server_cache_hits_total', help: 'Replies served from cached wire bytes', registers, async collect() { const s = await fresh(); this.reset(); this.inc(s.cacheHits); } });
  new Counter({ name: 'herald_server_cache_misses_total', help: 'Replies worked out from the zone', registers, async collect() { const s = await fresh(); this.reset(); this.inc(s.cacheMisses); } });
  new Counter({ name: 'herald_server_zone_changes_total', help: 'Registry snapshots applied', registers, async collect() { const s = await fresh(); this.reset(); this.inc(s.zoneChanges); } });
  new Counter({ name: 'herald_server_tcp_connections_total', help: 'TCP connections accepted', registers, async collect() { const s = await fresh(); this.reset(); this.inc(s.tcpConnections); } });
  new Counter({
    name: 'herald_server_tcp_closed_total', help: 'TCP connections closed or refused by the server: idle, slow_query, max_connections, per_source, oversized', labelNames: ['reason'], registers,
    async collect() { const s = await fresh(); this.reset(); for (const [reason, n] of Object.entries(s.tcpClosed)) this.inc({ reason }, n); },
  });
  new Gauge({ name: 'herald_server_ready', help: '1 once the first full copy of the registry is loaded', registers, collect() { this.set(server.ready ? 1 : 0); } });
  new Gauge({ name: 'herald_server_zone_names', help: 'Names held', registers, collect() { this.set(server.zoneSize); } });
  new Counter({
    name: 'herald_server_queries_by_type_total', help: 'Questions received, by query type (other: types above 255)', labelNames: ['type'], registers,
    async collect() {
      const s = await fresh();
      this.reset();
      s.qtypes.forEach((n, t) => { if (n > 0) this.inc({ type: t === 0 ? 'other' : typeName(t) }, n); });
    },
  });
  new Counter({
    name: 'herald_server_records_rejected_total', help: 'Registry nodes that cannot be served (skipped), by reason: json, field, address, ports, name', labelNames: ['reason'], registers,
    collect() { this.reset(); for (const [reason, n] of Object.entries(server.rejectedTotal)) this.inc({ reason }, n); },
  });
  new Gauge({ name: 'herald_server_records_rejected', help: 'Nodes of the served state that cannot be served now', registers, collect() { this.set(server.rejected.length); } });
  registry.registerMetric(answerHistogram(fresh));
  new Gauge({
    name: 'herald_server_registry_connected', help: '1 while the registry session is connected and the mirror current, else 0', registers,
    collect() { this.set(server.ready && server.staleSeconds === 0 ? 1 : 0); },
  });
  new Gauge({
    name: 'herald_server_registry_stale_seconds', help: 'Age of the served state while the registry session is away (0 when current)', registers,
    collect() { this.set(server.staleSeconds); },
  });
}

/**
 * `herald_server_answer_seconds`: time to work out each reply, as a
 * Prometheus histogram built at scrape time from the threads' bucket
 * counts (prom-client's Histogram can only be fed one observation at a time).
 */
function answerHistogram(fresh: () => Promise<ServerStats>): Metric {
  const name = 'herald_server_answer_seconds';
  const help = 'Time to work out a reply, packet in to packet out, socket not counted; a sample of one packet in 64';
  const get = async () => {
    const s = await fresh();
    let acc = 0;
    const values = ANSWER_BUCKETS_US.map((bound, i) => {
      acc += s.answerBuckets[i] ?? 0;
      return { metricName: `${name}_bucket`, labels: { le: bound === Infinity ? '+Inf' : bound / 1e6 }, value: acc };
    });
    values.push({ metricName: `${name}_sum`, labels: {} as { le: string }, value: s.answerUsSum / 1e6 });
    values.push({ metricName: `${name}_count`, labels: {} as { le: string }, value: acc });
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  };
  return { name, help, type: 'histogram', aggregator: 'sum', get, reset: () => {}, labels: () => ({}) } as unknown as Metric;
}
