import t from 'tap';
import { Registry } from 'prom-client';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { hostRecordJson } from '../../src/registry/records.ts';
import { registerServerMetrics } from '../../src/server/metrics.ts';
import { DnsServer } from '../../src/server/server.ts';
import { dig } from './helpers.ts';

// With UDP worker threads the main thread answers no UDP, and each worker
// posts its counts once a second: a scrape asks them for their counts first,
// so it shows every reply sent before it.

t.test('a scrape right after queries counts every one of them, with two UDP workers', async (t) => {
  const registry = new MemoryRegistry();
  const writer = registry.connect();
  const reader = registry.connect();
  await writer.putPersistent('/us/joyent/coal/web', hostRecordJson({ type: 'host', address: '10.0.0.1', ports: [] }));
  const mirror = reader.mirror('/us/joyent/coal');
  const server = new DnsServer({ mirror, domain: 'coal.joyent.us', listen: ['127.0.0.1:0'], threads: 2 });
  await server.start();
  await mirror.synced();
  t.teardown(async () => { await server.stop(); await reader.close(); await writer.close(); });
  const metrics = new Registry();
  registerServerMetrics(server, metrics);
  const port = server.addresses[0]!.port;
  const QUERIES = 6;
  for (let i = 0; i < QUERIES; i++) t.equal((await dig(port, ['A', 'web.coal.joyent.us'])).status, 'NOERROR');
  const text = await metrics.metrics();
  t.match(text, new RegExp(`herald_server_responses_total\\{rcode="NOERROR"\\} ${QUERIES}\\n`), `${QUERIES} replies counted at once`);
  t.match(text, new RegExp(`herald_server_queries_total\\{transport="udp"\\} ${QUERIES}\\n`));
});
