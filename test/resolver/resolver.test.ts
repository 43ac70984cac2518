import t, { type Test } from 'tap';
import { Registry } from 'prom-client';
import { Resolver } from '../../src/index.ts';
import { Bind, type Zone } from '../fixtures/bind.ts';
import { keys, Recorder } from './recorder.ts';
import { COAL } from './zones.ts';

// A zone of short TTLs that the scenarios rewrite; COAL is the fixed binder-shaped one.
const live = (records: string): Zone => ({ origin: 'live.test', minimum: 1, records });
const base = `
_svc._tcp.svc 1 IN SRV 0 10 2021 a.svc
_svc._tcp.svc 1 IN SRV 0 10 2021 b.svc
_svc._tcp.svc 1 IN SRV 0 10 2021 c.svc
a.svc 1 IN A 10.2.0.1
b.svc 1 IN A 10.2.0.2
c.svc 1 IN A 10.2.0.3
`;
const PRIO: Zone = { origin: 'prio.test', records: `
_svc._tcp.svc 30 IN SRV 0 10 2021 a.svc
_svc._tcp.svc 30 IN SRV 0 20 2021 b.svc
_svc._tcp.svc 30 IN SRV 10 10 3000 c.svc
a.svc 30 IN A 10.5.0.1
b.svc 30 IN A 10.5.0.2
c.svc 30 IN A 10.5.0.3
` };
const bind = await Bind.start([COAL, live(base), PRIO]);
t.teardown(() => bind.stop());

function resolver(t: Test, options: Partial<ConstructorParameters<typeof Resolver>[0]> & { domain: string }): { r: Resolver; rec: Recorder } {
  const r = new Resolver({ nameservers: [bind.nameserver], timeoutMs: 500, retryMs: 100, ...options });
  const rec = new Recorder(r);
  r.start();
  t.teardown(() => r.stop());
  return { r, rec };
}

t.test('SRV with additional records: backends with stable keys, weight and priority', async (t) => {
  const { r, rec } = resolver(t, { domain: 'moray.coal.joyent.us', service: '_moray._tcp' });
  const state = await rec.updated(() => true, 3000);
  t.same(keys(state), [
    'a.moray.coal.joyent.us:2021@10.0.0.1',
    'a.moray.coal.joyent.us:2021@fd00::1',
    'b.moray.coal.joyent.us:2022@10.0.0.2',
    'c.moray.coal.joyent.us:2021@10.0.0.3',
  ]);
  t.equal(state.stale, false);
  t.match(r.backends()[0], { priority: 0, weight: 10 });
  t.equal(rec.of('added').length, 4);
  t.same(r.backends(), state.backends, 'backends() is the latest snapshot');
});

t.test('SRV NXDOMAIN → A on the domain with the default port', async (t) => {
  const { r, rec } = resolver(t, { domain: 'web.coal.joyent.us', defaultPort: 8080 });
  const state = await rec.updated((s) => s.backends.length > 0, 3000);
  t.same(keys(state), ['web.coal.joyent.us:8080@10.0.1.1', 'web.coal.joyent.us:8080@10.0.1.2']);
  t.equal(r.stats().mode, 'address');
});

t.test('priority groups with their weights; a target without addresses is left out', async (t) => {
  await bind.setZone(live(base + `
_p._tcp.p 1 IN SRV 1 10 2021 a.svc
_p._tcp.p 1 IN SRV 0 20 2021 b.svc
_p._tcp.p 1 IN SRV 0 5 2021 gone.svc
`));
  const { rec } = resolver(t, { domain: 'p.live.test', service: '_p._tcp' });
  const state = await rec.updated(() => true, 3000);
  t.same(state.backends.map((b) => `${b.name} ${b.priority} ${b.weight}`), ['b.svc.live.test 0 20', 'a.svc.live.test 1 10'], 'the fallback group listed after');
});

t.test('an SRV target removed → exactly one removed within TTL + jitter', async (t) => {
  await bind.setZone(live(base));
  const { rec } = resolver(t, { domain: 'svc.live.test', service: '_svc._tcp', jitter: 0.1 });
  await rec.updated((s) => s.backends.length === 3, 3000);
  const t0 = performance.now();
  await bind.setZone(live(base.replace('_svc._tcp.svc 1 IN SRV 0 10 2021 c.svc\n', '')));
  const served = performance.now(); // BIND serves the new zone from here on
  await rec.updated((s) => s.backends.length === 2, 3000, t0);
  const removed = rec.of('removed', t0);
  t.same(removed.map((e) => e.key), ['c.svc.live.test:2021@10.2.0.3']);
  // At most one TTL (1 s) plus 10% jitter after BIND serves it, with slack for a loaded machine.
  t.ok(removed[0]!.at - served < 1000 * 1.1 + 500, `removed ${(removed[0]!.at - served).toFixed(0)} ms after BIND served the change (TTL 1 s)`);
  await new Promise((r) => setTimeout(r, 1300));
  t.equal(rec.of('removed', t0).length, 1, 'and nothing else in the next refresh');
  t.equal(rec.of('added', t0).length, 0);
});

t.test('an A address change → removed + added; identical refreshes and duplicates → no churn', async (t) => {
  const dup = base + `_svc._tcp.svc 1 IN SRV 0 99 2021 a.svc\n`; // a second record for the same target and port
  await bind.setZone(live(dup));
  const { r, rec } = resolver(t, { domain: 'svc.live.test', service: '_svc._tcp' });
  await rec.updated((s) => s.backends.length === 3, 3000);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 2500)); // two refreshes of every set
  t.same(rec.events.filter((e) => e.at >= t0).map((e) => e.key ?? e.state?.error?.message), [], 'no events while nothing changes');
  t.ok(r.stats().lookups >= 3, `refreshed ${r.stats().lookups} times meanwhile`);
  t.equal(r.backends().find((b) => b.name === 'a.svc.live.test')!.weight, 99, 'a duplicate target counts once, with the larger weight, in any order');
  const t1 = performance.now();
  await bind.setZone(live(dup.replace('b.svc 1 IN A 10.2.0.2', 'b.svc 1 IN A 10.2.0.22')));
  await rec.updated((s) => keys(s).includes('b.svc.live.test:2021@10.2.0.22'), 3000, t1);
  t.same(rec.of('removed', t1).map((e) => e.key), ['b.svc.live.test:2021@10.2.0.2']);
  t.same(rec.of('added', t1).map((e) => e.key), ['b.svc.live.test:2021@10.2.0.22']);
});

t.test('bootstrap: nameservers from _dns._udp SRV', async (t) => {
  await bind.setZone(live(base + `_dns._udp 60 IN SRV 0 10 ${bind.port} ns1\nns1 60 IN A 127.0.0.1\n`));
  const { r, rec } = resolver(t, { domain: 'svc.live.test', service: '_svc._tcp', bootstrap: 'live.test' });
  const state = await rec.updated((s) => s.backends.length === 3, 3000);
  t.equal(state.backends.length, 3);
  t.same(Object.keys(r.stats().nameservers).sort(), [bind.nameserver]);
});

t.test('metrics in a prom-client registry', async (t) => {
  await bind.setZone(live(base));
  const registry = new Registry();
  const { rec } = resolver(t, { domain: 'svc.live.test', service: '_svc._tcp', registry });
  await rec.updated((s) => s.backends.length === 3, 3000);
  const text = await registry.metrics();
  t.match(text, new RegExp(`herald_resolver_queries_total\\{domain="svc.live.test",nameserver="${bind.nameserver}"\\} [1-9]`));
  t.match(text, /herald_resolver_backends\{domain="svc.live.test"\} 3/);
  t.match(text, /herald_resolver_stale\{domain="svc.live.test"\} 0/);
});

t.test('options are checked up front', async (t) => {
  t.throws(() => new Resolver({ domain: 'bad name' }), { code: 'HERALD_INVALID_NAME' });
  t.throws(() => new Resolver({ domain: 'a.b', service: 'moray' }), { code: 'HERALD_INVALID_ARGUMENT', message: /service/ });
  t.throws(() => new Resolver({ domain: 'a.b', nameservers: ['nope'] }), { code: 'HERALD_INVALID_NAMESERVER' });
  t.throws(() => new Resolver({ domain: 'a.b', minTtl: 10, maxTtl: 5 }), /maxTtl/);
  t.throws(() => new Resolver({ domain: 'a.b', defaultPort: 0 }), /defaultPort/);
});

t.test('every SRV priority group is emitted with its priority, so the agent can fall back to the next', async (t) => {
  const { r, rec } = resolver(t, { domain: 'svc.prio.test', service: '_svc._tcp' });
  const state = await rec.updated((x) => x.backends.length > 0, 3000);
  t.same(state.backends.map((b) => `${b.priority} ${b.weight} ${b.key}`), [
    '0 10 a.svc.prio.test:2021@10.5.0.1',
    '0 20 b.svc.prio.test:2021@10.5.0.2',
    '10 10 c.svc.prio.test:3000@10.5.0.3',
  ]);
  t.equal(r.backends().length, 3);
});
