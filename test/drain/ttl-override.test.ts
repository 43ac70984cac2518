import t from 'tap';
import { clientHoldMs, parseTtlOverride, ttlCaps, ttlOverridePath, TTL_ROOT, readClientHoldMs } from '../../src/drain/index.ts';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { lookup } from '../../src/resolver/index.ts';
import { DnsServer } from '../../src/server/server.ts';
import { waitFor } from '../fixtures/wait.ts';

const D = 'coal.joyent.us';

t.test('clientHoldMs: the full TTL until the override took effect everywhere, then the longer of the fast TTL and what older answers still hold', async (t) => {
  const full = 10_000;
  t.equal(clientHoldMs(undefined, full, 50_000), full, 'no override');
  t.equal(clientHoldMs({ ttl: 1, requestedAt: 0 }, full, 50_000), full, 'written but not confirmed on every nameserver');
  t.equal(clientHoldMs({ ttl: 1, requestedAt: 0, effectiveAt: 60_000 }, full, 50_000), full, 'confirmed only after the instance was gone');
  t.equal(clientHoldMs({ ttl: 1, requestedAt: 0, effectiveAt: 48_000 }, full, 50_000), 8000, '2 s after: answers from before still live 8 s');
  t.equal(clientHoldMs({ ttl: 1, requestedAt: 0, effectiveAt: 30_000 }, full, 50_000), 1000, 'long after: only the fast TTL');
  t.equal(clientHoldMs({ ttl: 1, requestedAt: 0, effectiveAt: 49_500 }, full, 50_000), 9500);
  t.equal(clientHoldMs({ ttl: 30, requestedAt: 0, effectiveAt: 0 }, full, 50_000), full, 'an override above the record TTL never lengthens the wait');
});

t.test('parseTtlOverride and ttlCaps read only well-formed overrides', async (t) => {
  t.same(parseTtlOverride('{"ttl":1,"requestedAt":5,"effectiveAt":7,"by":"x"}'), { ttl: 1, requestedAt: 5, effectiveAt: 7, by: 'x' });
  for (const bad of [null, '', 'nope', '[]', '{"ttl":-1}', '{"ttl":1.5}', '{"ttl":"1"}']) t.equal(parseTtlOverride(bad), undefined, `${bad}`);
  const snapshot = new Map([
    [TTL_ROOT, { path: TTL_ROOT, data: null, children: ['us'] }],
    [`${TTL_ROOT}/us/joyent/coal`, { path: `${TTL_ROOT}/us/joyent/coal`, data: null, children: ['web'] }],
    [`${TTL_ROOT}/us/joyent/coal/web`, { path: `${TTL_ROOT}/us/joyent/coal/web`, data: '{"ttl":2}', children: [] }],
    [`${TTL_ROOT}/us/joyent/coal/bad`, { path: `${TTL_ROOT}/us/joyent/coal/bad`, data: 'x', children: [] }],
  ]);
  t.same([...ttlCaps(snapshot as never)], [['web.coal.joyent.us', 2]]);
});

t.test('DnsServer with the override mirror: every record at or under the domain carries at most the override, others untouched, and back when removed', async (t) => {
  const registry = new MemoryRegistry();
  const writer = registry.connect();
  const reader = registry.connect();
  await writer.putPersistent('/us/joyent/coal/web', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80, ttl: 10 } }));
  await writer.putPersistent('/us/joyent/coal/other', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80, ttl: 10 } }));
  for (const svc of ['web', 'other']) await writer.putEphemeral(`/us/joyent/coal/${svc}/i1`, hostRecordJson({ type: 'load_balancer', address: '10.0.0.1', ports: [80], ttl: 10 }));
  const mirror = reader.mirror('/us/joyent/coal');
  const overrides = reader.mirror(TTL_ROOT); // the root does not exist yet
  const server = new DnsServer({ mirror, domain: D, listen: ['127.0.0.1:0'], threads: 2, ttlOverrides: overrides });
  t.teardown(async () => { await server.stop(); mirror.close(); overrides.close(); await reader.close(); await writer.close(); });
  await server.start();
  await mirror.synced();
  const ns = `127.0.0.1:${server.addresses[0]!.port}`;
  const ttls = async (name: string, type: string): Promise<number[]> => {
    const r = await lookup(name, type, { nameservers: [ns], tries: 1 });
    return [...r.answers, ...r.additionals].map((a) => a.ttl);
  };
  t.same(await ttls(`_http._tcp.web.${D}`, 'SRV'), [10, 10]);

  await writer.putPersistent(ttlOverridePath(`web.${D}`), JSON.stringify({ ttl: 1, requestedAt: Date.now() }));
  // Several queries: both threads (SO_REUSEPORT) must answer with the cap.
  await waitFor('the cap on every thread', async () => {
    const all = await Promise.all(Array.from({ length: 12 }, () => ttls(`_http._tcp.web.${D}`, 'SRV')));
    return all.every((l) => l.every((x) => x === 1));
  }, 5000, 20);
  t.same(await ttls(`web.${D}`, 'A'), [1], 'A of the service');
  t.same(await ttls(`i1.web.${D}`, 'A'), [1], 'A of an instance');
  t.same(await ttls(`_http._tcp.other.${D}`, 'SRV'), [10, 10], 'another service keeps its TTL');

  await writer.delete(ttlOverridePath(`web.${D}`));
  await waitFor('the cap lifted', async () => (await ttls(`_http._tcp.web.${D}`, 'SRV')).every((x) => x === 10), 5000, 20);
  t.pass('answers carry their own TTL again');
});

t.test('readClientHoldMs: reads the override; the full TTL when there is none', async (t) => {
  const registry = new MemoryRegistry();
  const store = registry.connect();
  t.teardown(() => store.close());
  t.equal(await readClientHoldMs(store, `web.${D}`, 10_000, Date.now()), 10_000);
  await store.putPersistent(ttlOverridePath(`web.${D}`), JSON.stringify({ ttl: 1, requestedAt: 0, effectiveAt: Date.now() - 60_000 }));
  t.equal(await readClientHoldMs(store, `web.${D}`, 10_000, Date.now()), 1000);
});
