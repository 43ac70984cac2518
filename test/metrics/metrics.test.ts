import t from 'tap';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { Registry } from 'prom-client';
import { request } from 'undici';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { lookup } from '../../src/resolver/lookup.ts';
import { Resolver } from '../../src/resolver/resolver.ts';
import { Cluster, SERVICE } from '../operator/cluster.ts';
import { waitFor } from '../fixtures/wait.ts';

/** One sample line: `name{a="x",b="y"} value`. */
interface Sample { name: string; labels: Record<string, string>; value: number }

function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) { types.set(type[1]!, type[2]!); continue; }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** The sample's family: a histogram's `_bucket`/`_sum`/`_count` series belong to it. */
function family(name: string, types: Map<string, string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && types.get(base) === 'histogram' ? base : name;
}

/** Every `| \`herald_...\` | type | labels | meaning |` row of README's `## Metrics` section. */
async function readmeMetrics(): Promise<Map<string, { type: string; labels: string[] }>> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const section = /\n## Metrics\n([\s\S]*?)(?=\n## )/.exec(readme)?.[1] ?? '';
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const m of section.matchAll(/^\| `(herald_[a-z0-9_]+)` \| (\w+) \|([^|]*)\|/gm)) {
    out.set(m[1]!, { type: m[2]!, labels: [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((l) => l[1]!).sort() });
  }
  return out;
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

const scrape = async (url: string): Promise<string> => (await fetch(url)).text();

t.test('metrics move with real traffic, and their names and labels are the README table', async (t) => {
  const c = await Cluster.start([{ instance: 'ok', address: '127.0.0.1', healthy: true, ttl: 1 }]);
  t.teardown(() => c.stop());
  await c.waitStatus('ok', 'registered', (s) => s.state === 'registered');
  const http = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => http.close(() => r())));
  const registry = new Registry();
  const agent = new BalancedAgent({ backends: [`127.0.0.1:${(http.address() as { port: number }).port}`], metrics: registry, name: 'web' });
  t.teardown(() => agent.close());
  const resolver = new Resolver({ domain: SERVICE, service: '_http._tcp', nameservers: [c.nameservers[0]!], registry });
  t.teardown(() => resolver.stop());
  const sidecarUrl = c.sidecarMetrics.get('ok')!;

  const before = {
    server: parseMetrics(await scrape(c.metrics[0]!)).samples,
    sidecar: parseMetrics(await scrape(sidecarUrl)).samples,
    lib: parseMetrics(await registry.metrics()).samples,
  };

  // Traffic: DNS queries to one server, a tracking resolver, HTTP through the agent, a drain.
  for (let i = 0; i < 20; i++) await lookup(`_http._tcp.${SERVICE}`, 'SRV', { nameservers: [c.nameservers[0]!] });
  resolver.start();
  await waitFor('the resolver to see the instance', () => resolver.backends().length === 1, 10_000);
  for (let i = 0; i < 20; i++) await (await request('http://web.test/', { dispatcher: agent })).body.text();
  await c.drain('ok', 'metrics test');
  await c.waitStatus('ok', 'drained', (s) => s.state === 'drained', 20_000);

  const after = {
    server: parseMetrics(await scrape(c.metrics[0]!)),
    sidecar: parseMetrics(await scrape(sidecarUrl)),
    lib: parseMetrics(await registry.metrics()),
  };
  const moved = (part: keyof typeof before, name: string, labels: Record<string, string> = {}, by = 1): void => {
    const b = value(before[part], name, labels);
    const a = value(after[part].samples, name, labels);
    t.ok(a - b >= by, `${name}${JSON.stringify(labels)} ${b} → ${a}`);
  };
  moved('server', 'herald_server_queries_total', { transport: 'udp' }, 20);
  moved('server', 'herald_server_queries_by_type_total', { type: 'SRV' }, 20);
  moved('server', 'herald_server_responses_total', { rcode: 'NOERROR' }, 20);
  moved('server', 'herald_server_cache_hits_total', {}, 10);
  moved('server', 'herald_server_zone_changes_total');
  t.equal(value(after.server.samples, 'herald_server_registry_connected'), 1);
  t.equal(value(after.server.samples, 'herald_server_registry_stale_seconds'), 0);
  t.ok(value(after.server.samples, 'herald_server_answer_seconds_count') >= 1, 'answer times sampled');

  moved('sidecar', 'herald_sidecar_health_checks_total', { result: 'ok' });
  moved('sidecar', 'herald_sidecar_drains_total', { outcome: 'drained' });
  moved('sidecar', 'herald_sidecar_drain_phase_seconds_count', { phase: 'ttl' });
  const sc = after.sidecar.samples;
  t.equal(value(sc, 'herald_sidecar_state', { state: 'drained', instance: 'ok', domain: SERVICE }), 1);
  t.equal(value(sc, 'herald_sidecar_state', { state: 'registered' }), 0);
  t.equal(value(sc, 'herald_sidecar_drain_phase', { phase: 'drained' }), 1);
  t.equal(value(sc, 'herald_sidecar_registry_session', { state: 'connected' }), 1);
  t.equal(value(before.sidecar, 'herald_sidecar_state', { state: 'registered' }), 1, 'before the drain: registered');

  moved('lib', 'herald_agent_requests_total', { agent: 'web', outcome: 'ok' }, 20);
  moved('lib', 'herald_agent_backend_requests_total', { agent: 'web' }, 20);
  moved('lib', 'herald_resolver_queries_total', { domain: SERVICE, nameserver: c.nameservers[0]! });
  moved('lib', 'herald_resolver_latency_seconds_count', { domain: SERVICE });
  t.equal(value(after.lib.samples, 'herald_resolver_backends', { domain: SERVICE }), 1);

  // Names, types and labels: exactly the README's table, both ways.
  const documented = await readmeMetrics();
  t.ok(documented.size >= 40, `${documented.size} metrics documented`);
  const seen = new Map<string, { type: string; labels: Set<string> }>();
  for (const { samples, types } of [after.server, after.sidecar, after.lib]) {
    for (const [name, type] of types) if (name.startsWith('herald_')) seen.set(name, { type, labels: seen.get(name)?.labels ?? new Set() });
    for (const s of samples) {
      const f = family(s.name, types);
      if (!f.startsWith('herald_')) continue;
      for (const l of Object.keys(s.labels)) seen.get(f)!.labels.add(l);
    }
  }
  t.same([...seen.keys()].sort(), [...documented.keys()].sort(), 'every scraped metric is documented, and every documented one is exported');
  for (const [name, doc] of documented) {
    const got = seen.get(name);
    if (!got) continue;
    t.equal(got.type, doc.type, `${name} type`);
    // A labelled family with no series yet shows no labels: only compare what was scraped.
    if (got.labels.size > 0) t.same([...got.labels].sort(), doc.labels, `${name} labels`);
  }
  t.ok([...seen.keys()].every((n) => /^herald_(server|sidecar|agent|resolver)_[a-z0-9_]+$/.test(n)), 'names prefixed herald_<part>_');

  // The sidecar's log: bunyan-compatible JSON, one line per state change naming the instance and the reason.
  const lines = c.sidecars.get('ok')!.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const changes = lines.filter((l) => typeof l['to'] === 'string');
  // (Before its first check passes the sidecar says `unhealthy`, then `starting` while it registers.)
  const seq = changes.map((l) => `${l['from']}->${l['to']}`);
  t.same(seq.slice(-3), ['starting->registered', 'registered->draining', 'draining->drained'], seq.join(', '));
  t.ok(seq.every((x, i) => i === 0 || x.startsWith(`${changes[i - 1]!['to']}->`)), 'each line starts where the previous ended');
  for (const l of changes) {
    t.match(l, { name: 'herald-sidecar', hostname: String, pid: Number, level: 30, time: /^\d{4}-\d\d-\d\dT/, v: 0, instance: 'ok', domain: SERVICE, reason: /./, msg: /^state \S+ -> \S+: / });
  }
  t.match(changes.find((l) => l['to'] === 'draining')!['reason'], /^metrics test; /, 'the drain reason');
});
