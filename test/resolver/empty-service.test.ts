import t from 'tap';
import { hostRecordJson } from '../../src/registry/index.ts';
import { Resolver } from '../../src/index.ts';
import { memoryServer } from '../server/helpers.ts';
import { keys, Recorder } from './recorder.ts';

// Binder's answers, from Herald's own binder-compatible server over a memory registry
// (BINDER.md §3): a service with no instances is NOERROR with no answers and no SOA.
const D = 'coal.joyent.us';
const s = await memoryServer(D);
t.teardown(() => s.close());
const put = (path: string, json: string) => s.writer.putPersistent(`/us/joyent/coal${path}`, json);
const service = '{"type":"service","service":{"type":"service","service":{"srvce":"_http","proto":"_tcp","port":80,"ttl":1}}}';
await put('/svc', service);
const instance = hostRecordJson({ type: 'load_balancer', address: '10.7.0.1', ports: [8443], ttl: 1 });

t.test('a service empty for a while: its instance comes back at its SRV port, never at the default port', async (t) => {
  await put('/svc/i1', instance);
  const r = new Resolver({ domain: `svc.${D}`, nameservers: [`127.0.0.1:${s.port}`], timeoutMs: 500, tries: 1, minTtl: 1, jitter: 0, negativeTtl: 10, keepStaleMs: 300, addressTypes: ['A'] });
  const rec = new Recorder(r);
  r.start();
  t.teardown(() => r.stop());
  const first = await rec.updated((x) => x.backends.length === 1, 3000);
  t.same(keys(first), [`i1.svc.${D}:8443@10.7.0.1`]);
  await s.writer.delete(`/us/joyent/coal/svc/i1`);
  const t0 = performance.now();
  const gone = await rec.updated((x) => x.backends.length === 0, 5000, t0);
  t.same(gone.backends, [], 'released after the keep time');
  await new Promise((res) => setTimeout(res, 1500)); // the empty answer asked again, at least once
  t.equal(r.stats().mode, 'srv', 'an empty service is still SRV, not the A fallback');
  await put('/svc/i1', instance);
  const t1 = performance.now();
  const back = await rec.updated((x) => x.backends.length === 1, 4000, t1);
  t.same(keys(back), [`i1.svc.${D}:8443@10.7.0.1`], `back at 8443 after ${(performance.now() - t1).toFixed(0)} ms`);
  await new Promise((res) => setTimeout(res, 1200)); // a refresh or two later
  t.same(rec.events.filter((e) => e.kind === 'added' && e.key!.includes(':80@')).map((e) => e.key), [], 'never at port 80');
  t.same(keys(r.state()!), [`i1.svc.${D}:8443@10.7.0.1`]);
});

t.test('starting while the service is empty: SRV mode from the first answer', async (t) => {
  await put('/svc2', service);
  await put('/svc2/i1', hostRecordJson({ type: 'load_balancer', address: '10.7.0.2', ports: [], ttl: 1 }));
  await s.writer.delete('/us/joyent/coal/svc2/i1');
  const r = new Resolver({ domain: `svc2.${D}`, nameservers: [`127.0.0.1:${s.port}`], timeoutMs: 500, tries: 1, minTtl: 1, jitter: 0, negativeTtl: 1, addressTypes: ['A'] });
  const rec = new Recorder(r);
  r.start();
  t.teardown(() => r.stop());
  const first = await rec.updated(() => true, 3000);
  t.same(first.backends, []);
  t.equal(r.stats().mode, 'srv');
  await put('/svc2/i1', hostRecordJson({ type: 'load_balancer', address: '10.7.0.2', ports: [9000], ttl: 1 }));
  const t0 = performance.now();
  const back = await rec.updated((x) => x.backends.length === 1, 4000, t0);
  t.same(keys(back), [`i1.svc2.${D}:9000@10.7.0.2`]);
});

t.test('a host record (NODATA with an SOA) still falls back to its A record at the default port', async (t) => {
  await put('/web', hostRecordJson({ type: 'host', address: '10.7.1.1', ports: [], ttl: 1 }));
  const r = new Resolver({ domain: `web.${D}`, nameservers: [`127.0.0.1:${s.port}`], timeoutMs: 500, tries: 1, defaultPort: 8080, addressTypes: ['A'] });
  const rec = new Recorder(r);
  r.start();
  t.teardown(() => r.stop());
  const first = await rec.updated((x) => x.backends.length === 1, 3000);
  t.same(keys(first), [`web.${D}:8080@10.7.1.1`]);
  t.equal(r.stats().mode, 'address');
});
