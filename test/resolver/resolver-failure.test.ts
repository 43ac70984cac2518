import t, { type Test } from 'tap';
import { Resolver, type ResolverOptions } from '../../src/index.ts';
import { Bind, type Zone } from '../fixtures/bind.ts';
import { CountingProxy } from './counting-proxy.ts';
import { HostileResponder } from './hostile.ts';
import { keys, Recorder } from './recorder.ts';

const zone = (records: string): Zone => ({ origin: 'fail.test', minimum: 1, records });
const records = `
_svc._tcp.svc 1 IN SRV 0 10 2021 a.svc
_svc._tcp.svc 1 IN SRV 0 10 2021 b.svc
a.svc 1 IN A 10.3.0.1
b.svc 1 IN A 10.3.0.2
_zero._tcp.zero 0 IN SRV 0 10 2021 a.zero
a.zero 0 IN A 10.3.1.1
_huge._tcp.huge 2147483647 IN SRV 0 10 2021 a.huge
a.huge 2147483647 IN A 10.3.2.1
web 1 IN A 10.3.3.1
`;
const bind = await Bind.start([zone(records)]);
const refusing = await Bind.start();
t.teardown(async () => { await bind.stop(); await refusing.stop(); });

function start(t: Test, options: ResolverOptions): { r: Resolver; rec: Recorder } {
  const r = new Resolver({ timeoutMs: 300, tries: 1, retryMs: 100, maxRetryMs: 300, addressTypes: ['A'], ...options });
  const rec = new Recorder(r);
  r.start();
  t.teardown(() => r.stop());
  return { r, rec };
}

t.test('TTL 0 is clamped to minTtl: queries counted at the wire', async (t) => {
  const proxy = await CountingProxy.start(bind.port);
  t.teardown(() => proxy.close());
  const { rec } = start(t, { domain: 'zero.fail.test', service: '_zero._tcp', nameservers: [proxy.nameserver], minTtl: 1, jitter: 0 });
  await rec.updated((s) => s.backends.length === 1, 3000);
  const srv0 = proxy.count('SRV');
  await new Promise((r) => setTimeout(r, 2200));
  const srv = proxy.count('SRV') - srv0;
  const a = proxy.count('A');
  t.ok(srv >= 1 && srv <= 3, `${srv} SRV queries in 2.2 s at TTL 0 (minTtl 1 s)`);
  t.ok(a <= 4, `${a} A queries (addresses come with the SRV answer)`);
  t.equal(rec.of('added').length, 1, 'no churn');
});

t.test('TTL 2^31-1 does not overflow a timer', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const proxy = await CountingProxy.start(bind.port);
  t.teardown(() => proxy.close());
  const { rec } = start(t, { domain: 'huge.fail.test', service: '_huge._tcp', nameservers: [proxy.nameserver], maxTtl: 2 ** 40 });
  await rec.updated((s) => s.backends.length === 1, 3000);
  await new Promise((r) => setTimeout(r, 300));
  t.same(warnings.map((w) => w.name), [], 'no TimeoutOverflowWarning');
  t.equal(proxy.count('SRV'), 1, 'asked once, not in a loop');
});

t.test('every nameserver down → backends kept and reported stale, then released after keepStaleMs', async (t) => {
  const own = await Bind.start([zone(records)]);
  t.teardown(() => own.stop());
  const { r, rec } = start(t, { domain: 'svc.fail.test', service: '_svc._tcp', nameservers: [own.nameserver], keepStaleMs: 2500 });
  const fresh = await rec.updated((s) => s.backends.length === 2, 3000);
  await own.stop();
  const t0 = performance.now();
  const stale = await rec.updated((s) => s.stale, 4000, t0);
  t.same(keys(stale), keys(fresh), 'last-known-good kept');
  t.ok(stale.error, `with the reason: ${stale.error?.message}`);
  t.equal(rec.of('removed', t0).length, 0, 'nothing removed while stale');
  t.equal(r.stats().stale, true);
  t.ok(r.stats().staleSeconds >= 0);
  const released = await rec.updated((s) => s.backends.length === 0, 6000, t0);
  t.equal(released.stale, false);
  t.equal(rec.of('removed', t0).length, 2, 'released after the keep time');
});

t.test('first nameserver silent, second alive → first answer within one query timeout', async (t) => {
  const silent = await HostileResponder.start('silence');
  t.teardown(() => silent.close());
  const t0 = performance.now();
  const { rec } = start(t, { domain: 'svc.fail.test', service: '_svc._tcp', nameservers: [silent.nameserver, bind.nameserver], timeoutMs: 400 });
  await rec.updated((s) => s.backends.length === 2, 3000);
  const took = performance.now() - t0;
  t.ok(took < 400 + 900, `first state after ${took.toFixed(0)} ms (one 400 ms timeout, then the second nameserver; slack for load)`);
});

t.test('REFUSED from the first nameserver → answer from the second', async (t) => {
  const { r, rec } = start(t, { domain: 'svc.fail.test', service: '_svc._tcp', nameservers: [refusing.nameserver, bind.nameserver] });
  const state = await rec.updated(() => true, 3000);
  t.equal(state.backends.length, 2);
  t.equal(state.stale, false);
  t.ok(r.stats().nameservers[refusing.nameserver]!.refused >= 1);
});

t.test('no flapping: a transient SRV failure in A mode keeps A mode and its backends', async (t) => {
  const proxy = await CountingProxy.start(bind.port);
  t.teardown(() => proxy.close());
  const { r, rec } = start(t, { domain: 'web.fail.test', nameservers: [proxy.nameserver], defaultPort: 8080 });
  const first = await rec.updated((s) => s.backends.length === 1, 3000);
  t.same(keys(first), ['web.fail.test:8080@10.3.3.1']);
  t.equal(proxy.count('SRV'), 1, 'negative SRV answer cached (SOA minimum 1 s)');
  proxy.refuse.add('SRV');
  const t0 = performance.now();
  await new Promise((res) => setTimeout(res, 2000));
  t.ok(proxy.count('SRV') >= 2, 'SRV asked again after the negative TTL');
  t.equal(r.stats().mode, 'address');
  t.equal(rec.of('removed', t0).length + rec.of('added', t0).length, 0, 'no churn');
  t.same(r.backends().map((b) => b.key), ['web.fail.test:8080@10.3.3.1']);
});

t.test('a transient SRV failure in SRV mode never falls back to A', async (t) => {
  const proxy = await CountingProxy.start(bind.port);
  t.teardown(() => proxy.close());
  const { r, rec } = start(t, { domain: 'svc.fail.test', service: '_svc._tcp', nameservers: [proxy.nameserver] });
  await rec.updated((s) => s.backends.length === 2, 3000);
  proxy.refuse.add('SRV');
  const t0 = performance.now();
  const stale = await rec.updated((s) => s.stale, 3000, t0);
  t.equal(stale.backends.length, 2);
  t.equal(r.stats().mode, 'srv');
  proxy.refuse.delete('SRV');
  const healed = await rec.updated((s) => !s.stale, 3000, t0);
  t.equal(healed.backends.length, 2);
  t.equal(rec.of('removed', t0).length, 0);
});
