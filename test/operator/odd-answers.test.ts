import t from 'tap';
import { ZooKeeperStore } from '../../src/registry/index.ts';
import { Bind } from '../fixtures/bind.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { cli } from './cluster.ts';

// `herald status` against a real nameserver (BIND) whose answers carry names
// Herald would never write: each odd record costs only itself.
const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());
const writer = ZooKeeperStore.open({ connect: zk.connectString });
t.teardown(() => writer.close());
await writer.ready(10_000);
const host = (address: string) => JSON.stringify({ type: 'load_balancer', address, load_balancer: { address, ports: [80] } });
await writer.putPersistent('/test/cmp/web', JSON.stringify({ type: 'service', service: { type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80, ttl: 60 } } }));
await writer.putEphemeral('/test/cmp/web/i1', host('10.0.0.1'));
await writer.putEphemeral('/test/cmp/web/i2', host('10.0.0.2'));
// `bad name`: a znode name that no DNS query can carry.
for (const [i, address] of [['h1', '10.0.0.3'], ['h2', '10.0.0.4'], ['h3', '10.0.0.5'], ['bad name', '10.0.0.6']]) {
  await writer.putEphemeral(`/test/cmp/solo/${i}`, JSON.stringify({ type: 'host', address, host: { address } }));
}

// BIND's check-names refuses such names as A owners and SRV targets, not as
// CNAME targets or SRV owners: the odd names arrive through those.
const bind = await Bind.start([{
  origin: 'cmp.test',
  records: [
    '_http._tcp.web 60 IN CNAME srv\\032set.web',
    'srv\\032set.web 60 IN SRV 0 10 80 i1.web',
    'i1.web 30 IN A 10.0.0.1',
    'h1.solo 30 IN A 10.0.0.3',
    'h2.solo 30 IN CNAME odd\\032name.solo',
    'h3.solo 30 IN CNAME dot\\.ted.solo',
  ].join('\n'),
}]);
t.teardown(() => bind.stop());

t.test('herald status: odd names in an answer cost only those entries', async (t) => {
  const r = await cli(['status', '--zk', zk.connectString, 'cmp.test', '--nameservers', bind.nameserver, '--json']);
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const web = report.services.find((s: { domain: string }) => s.domain === 'web.cmp.test');
  const byName = new Map(web.instances.map((i: { instance: string }) => [i.instance, i]));
  t.match(byName.get('i1'), { served: true, nameservers: [{ nameserver: bind.nameserver, served: 'yes' }] }, 'i1 is in the answer: served');
  t.match(byName.get('i2'), { served: false, nameservers: [{ nameserver: bind.nameserver, served: 'no' }] }, 'i2 is not: not served');
  const solo = report.services.find((s: { domain: string }) => s.domain === 'solo.cmp.test');
  t.match(solo.instances, [
    { instance: 'bad name', nameservers: [{ served: 'unknown', status: 'NO ANSWER' }] },
    { instance: 'h1', nameservers: [{ served: 'yes' }] },
    { instance: 'h2', nameservers: [{ served: 'no' }] },
    { instance: 'h3', nameservers: [{ served: 'no' }] },
  ]);
  const text = await cli(['status', '--zk', zk.connectString, 'cmp.test', '--nameservers', bind.nameserver]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /i1/);
});

t.test('herald why: the odd names are shown escaped, as dig prints them', async (t) => {
  const srv = await cli(['why', '--zk', zk.connectString, 'web.cmp.test', '--nameservers', bind.nameserver, '--json']);
  t.ok(srv.code === 0 || srv.code === 1, srv.stderr);
  t.match(srv.stdout, /srv\\\\032set\.web\.cmp\.test/);
  const h2 = await cli(['why', '--zk', zk.connectString, 'h2.solo.cmp.test', '--nameservers', bind.nameserver, '--json']);
  t.ok(h2.code === 0 || h2.code === 1, h2.stderr);
  t.match(h2.stdout, /odd\\\\032name\.solo\.cmp\.test\./);
  const h3 = await cli(['why', '--zk', zk.connectString, 'h3.solo.cmp.test', '--nameservers', bind.nameserver, '--json']);
  t.match(h3.stdout, /dot\\\\\.ted\.solo\.cmp\.test\./);
});

t.test('records the servers skip are shown as rejected, with why; the rest of the service as before', async (t) => {
  const long = 'x'.repeat(64);
  await writer.putEphemeral('/test/cmp/web/broken', '{"type":"load_balancer",');
  await writer.putEphemeral('/test/cmp/web/bigport', JSON.stringify({ type: 'load_balancer', address: '10.0.0.8', load_balancer: { address: '10.0.0.8', ports: [70000] } }));
  await writer.putEphemeral(`/test/cmp/web/${long}`, host('10.0.0.9'));
  t.teardown(async () => { for (const i of ['broken', 'bigport', long]) await writer.delete(`/test/cmp/web/${i}`); });
  const r = await cli(['status', '--zk', zk.connectString, 'web.cmp.test', '--nameservers', bind.nameserver, '--json']);
  t.equal(r.code, 0, r.stderr);
  const web = JSON.parse(r.stdout).services[0];
  const byName = new Map(web.instances.map((i: { instance: string }) => [i.instance, i]));
  t.match(byName.get('broken'), { state: 'rejected', reason: /^not served: .*JSON/ });
  t.match(byName.get('bigport'), { state: 'rejected', reason: /^not served: .*load_balancer\.ports\[0\] must be an integer 0\.\.65535, got 70000/ });
  t.match(byName.get(long), { state: 'rejected', reason: /^not served: .*longer than 63/ });
  t.match(byName.get('i1'), { state: 'registered', served: true });
  const text = await cli(['status', '--zk', zk.connectString, 'web.cmp.test', '--nameservers', bind.nameserver]);
  t.match(text.stdout, /^broken\.web\.cmp\.test: not served: /m);
  t.match(text.stdout, /^bigport\.web\.cmp\.test: not served: .*load_balancer\.ports\[0\]/m);
  const why = await cli(['why', '--zk', zk.connectString, 'web.cmp.test', '--nameservers', bind.nameserver]);
  t.match(why.stdout, /bigport {2}rejected\n\s+reason: not served: .*load_balancer\.ports\[0\]/);
  t.match(why.stdout, /^web\.cmp\.test: 1 of 5 instances served; .*bigport rejected \(not served: /m);
});

t.test('herald status with a DOMAIN that is no DNS name: a usage error (exit 2), before the registry is read', async (t) => {
  const r = await cli(['status', '--zk', zk.connectString, 'a b.cmp.test']);
  t.equal(r.code, 2);
  t.match(r.stderr, /^herald status: DOMAIN: invalid DNS name "a b\.cmp\.test"/);
});
