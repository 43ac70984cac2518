import t from 'tap';
import { domainToPath, pathToDomain, parentPath, ancestors } from '../../src/registry/path.ts';
import { parseRecord, hostRecordJson, serviceRecordJson, isServiceMember, memberPorts, type HostRecord, type ServiceRecord } from '../../src/registry/records.ts';
import { hostTtl, serviceTtl, targetTtl, serviceAddressTtl } from '../../src/registry/ttl.ts';
import { parseConnectString } from '../../src/registry/connect-string.ts';
import { nodeRejection } from '../../src/registry/rejection.ts';

t.test('names map to paths and back (BINDER.md §1)', async (t) => {
  t.equal(domainToPath('moray.coal.joyent.us'), '/us/joyent/coal/moray');
  t.equal(domainToPath('Moray.COAL.joyent.us.'), '/us/joyent/coal/moray');
  t.equal(pathToDomain('/us/joyent/coal/moray'), 'moray.coal.joyent.us');
  t.equal(parentPath('/us/joyent'), '/us');
  t.same(ancestors('/us/joyent/coal'), ['/us', '/us/joyent']);
  t.throws(() => domainToPath('bad..name'), { code: 'HERALD_INVALID_NAME' });
  t.throws(() => pathToDomain('relative'), { code: 'HERALD_INVALID_ARGUMENT' });
});

t.test("registrar's literal records parse", async (t) => {
  const svc = parseRecord('{"type":"service","service":{"type":"service","service":{"srvce":"_redis","proto":"_tcp","port":6379,"ttl":60}}}');
  t.same(svc, { kind: 'service', srvce: '_redis', proto: '_tcp', port: 6379, srvTtl: 60, serviceTtl: undefined, ttl: undefined });
  const lb = parseRecord('{"type":"load_balancer","address":"10.99.99.40","ttl":30,"load_balancer":{"address":"10.99.99.40","ports":[6379]}}');
  t.same(lb, { kind: 'host', type: 'load_balancer', address: '10.99.99.40', ports: [6379], typeTtl: undefined, ttl: 30 });
  // Moray's template puts ttl on the middle object; registrar still sets service.service.ttl = 60.
  const morayJson = serviceRecordJson({ type: 'service', service: { srvce: '_moray', proto: '_tcp', port: 2020 }, ttl: 90 } as never);
  t.equal(morayJson, '{"type":"service","service":{"type":"service","service":{"srvce":"_moray","proto":"_tcp","port":2020,"ttl":60},"ttl":90}}');
  t.match(parseRecord(morayJson), { kind: 'service', srvTtl: 60, serviceTtl: 90 });
  const db = parseRecord('{"type":"database","database":{"primary":"tcp://user@10.0.0.20/postgres"}}');
  t.match(db, { kind: 'database', address: '10.0.0.20' });
  t.same(parseRecord('{"type":"weird"}'), { kind: 'unknown', type: 'weird' });
  t.match(parseRecord('{"type":"rr_host","address":null,"rr_host":{"address":null}}'), { address: null });
  t.match(parseRecord('{"type":"host","address":"fd00::1"}'), { address: 'fd00::1', ports: undefined });
});

t.test('invalid records name the bad field', async (t) => {
  t.throws(() => parseRecord('{nope'), { code: 'HERALD_INVALID_RECORD', field: '(json)' });
  t.throws(() => parseRecord('[]'), { code: 'HERALD_INVALID_RECORD', field: '(record)' });
  t.throws(() => parseRecord('{"type":3}'), { code: 'HERALD_INVALID_RECORD', field: 'type' });
  t.throws(() => parseRecord('{"type":"service","service":{"service":{"srvce":"_a","proto":"_tcp","port":"80"}}}'), { code: 'HERALD_INVALID_RECORD', field: 'service.service.port' });
  t.throws(() => parseRecord('{"type":"service","service":{"service":{"srvce":"a","proto":"_tcp","port":80}}}'), { code: 'HERALD_INVALID_RECORD', field: 'service.service.srvce' });
  t.throws(() => parseRecord('{"type":"service"}'), { code: 'HERALD_INVALID_RECORD', field: 'service' });
  t.throws(() => parseRecord('{"type":"moray_host","moray_host":{"address":"10.0.0.1","ports":[1,"x"]}}'), { code: 'HERALD_INVALID_RECORD', field: 'moray_host.ports[1]' });
  t.throws(() => parseRecord('{"type":"moray_host","address":"not-an-ip"}'), { code: 'HERALD_INVALID_RECORD', field: 'address' });
  t.throws(() => parseRecord('{"type":"host","address":"10.0.0.1","ttl":-1}'), { code: 'HERALD_INVALID_RECORD', field: 'ttl' });
  t.throws(() => parseRecord('{"type":"host","host":{"ttl":1.5}}'), { code: 'HERALD_INVALID_RECORD', field: 'host.ttl' });
  t.throws(() => parseRecord('{"type":"database","database":{"primary":"::"}}'), { code: 'HERALD_INVALID_RECORD', field: 'database.primary' });
});

t.test('writers produce what registrar writes', async (t) => {
  t.equal(serviceRecordJson({ type: 'service', service: { srvce: '_redis', proto: '_tcp', port: 6379 } }),
    '{"type":"service","service":{"type":"service","service":{"srvce":"_redis","proto":"_tcp","port":6379,"ttl":60}}}');
  t.equal(hostRecordJson({ type: 'load_balancer', address: '10.99.99.40', ttl: 30, ports: [6379] }),
    '{"type":"load_balancer","address":"10.99.99.40","ttl":30,"load_balancer":{"address":"10.99.99.40","ports":[6379]}}');
  t.throws(() => hostRecordJson({ type: 'host', address: 'x', ports: [] }), { code: 'HERALD_INVALID_RECORD' });
});

t.test('TTL precedence, row by row (BINDER.md §2)', async (t) => {
  const host = (typeTtl?: number, ttl?: number): HostRecord => ({ kind: 'host', type: 'moray_host', address: '10.0.0.1', ports: undefined, typeTtl, ttl });
  const svc = (srvTtl?: number, serviceTtlV?: number, ttl?: number): ServiceRecord => ({ kind: 'service', srvce: '_m', proto: '_tcp', port: 1, srvTtl, serviceTtl: serviceTtlV, ttl });
  // host A / PTR: rec[type].ttl → rec.ttl → 30
  t.equal(hostTtl(host(5, 7)), 5);
  t.equal(hostTtl(host(undefined, 7)), 7);
  t.equal(hostTtl(host()), 30);
  // SRV: service.service.ttl → service.ttl → rec.ttl → 30
  t.equal(serviceTtl(svc(1, 2, 3)), 1);
  t.equal(serviceTtl(svc(undefined, 2, 3)), 2);
  t.equal(serviceTtl(svc(undefined, undefined, 3)), 3);
  t.equal(serviceTtl(svc()), 30);
  // additional A: child [type].ttl → child ttl → service TTL
  t.equal(targetTtl(host(5, 7), svc(60)), 5);
  t.equal(targetTtl(host(undefined, 7), svc(60)), 7);
  t.equal(targetTtl(host(), svc(60)), 60);
  // A on a service name: min(service TTL, child TTL)
  t.equal(serviceAddressTtl(host(5), svc(60)), 5);
  t.equal(serviceAddressTtl(host(90), svc(60)), 60);
  t.equal(serviceAddressTtl(host(), svc(60)), 60);
});

t.test('service members: eligible types with an address; ports default to the service port', async (t) => {
  const s = parseRecord('{"type":"service","service":{"service":{"srvce":"_a","proto":"_tcp","port":80}}}') as ServiceRecord;
  for (const type of ['load_balancer', 'moray_host', 'ops_host', 'rr_host', 'redis_host']) {
    t.ok(isServiceMember(parseRecord(`{"type":"${type}","address":"10.0.0.1"}`)), type);
  }
  for (const type of ['host', 'db_host']) t.notOk(isServiceMember(parseRecord(`{"type":"${type}","address":"10.0.0.1"}`)), type);
  t.notOk(isServiceMember(parseRecord('{"type":"rr_host","address":null}')), 'null address');
  t.same(memberPorts(parseRecord('{"type":"rr_host","address":"10.0.0.1","rr_host":{"ports":[]}}') as HostRecord, s), [80]);
  t.same(memberPorts(parseRecord('{"type":"rr_host","address":"10.0.0.1","rr_host":{"ports":[1,2]}}') as HostRecord, s), [1, 2]);
});

t.test('connect strings: several servers, default port, chroot', async (t) => {
  t.same(parseConnectString('10.0.0.1:2181,10.0.0.2/herald'), { servers: [{ host: '10.0.0.1', port: 2181 }, { host: '10.0.0.2', port: 2181 }], chroot: '/herald' });
  t.same(parseConnectString('zk.example.com:2182'), { servers: [{ host: 'zk.example.com', port: 2182 }], chroot: '' });
  t.throws(() => parseConnectString('a b:1'), { code: 'HERALD_INVALID_CONNECT_STRING' });
});

t.test('the flat service shape binder serves: SRV fields directly under service', async (t) => {
  const flat = parseRecord('{"type":"service","service":{"srvce":"_http","proto":"_tcp","port":80},"ttl":60}');
  t.same(flat, { kind: 'service', srvce: '_http', proto: '_tcp', port: 80, srvTtl: undefined, serviceTtl: undefined, ttl: 60 });
  t.equal(serviceTtl(flat as ServiceRecord), 60, 'rec.ttl');
  t.equal(serviceTtl(parseRecord('{"type":"service","service":{"srvce":"_http","proto":"_tcp","port":80,"ttl":5},"ttl":60}') as ServiceRecord), 5, 'the inner ttl first');
  t.throws(() => parseRecord('{"type":"service","service":{"srvce":"_http","proto":"_tcp"}}'), { code: 'HERALD_INVALID_RECORD', field: 'service.port' });
});

t.test('addresses with a scope and port lists no reply holds are invalid; nothing else changes', async (t) => {
  for (const address of ['::1%a:b:c:d:e:f:g:h:i:j', '1:2:3:4:5:6:7:8%a:b', 'fe80::1%eth0']) {
    t.throws(() => parseRecord(JSON.stringify({ type: 'load_balancer', address, load_balancer: { address } })), { code: 'HERALD_INVALID_RECORD', field: 'load_balancer.address' }, address);
  }
  t.equal((parseRecord('{"type":"host","host":{"address":"::ffff:1.2.3.4"}}') as HostRecord).address, '::ffff:1.2.3.4');
  const ports = (n: number) => JSON.stringify({ type: 'load_balancer', address: '10.0.0.1', load_balancer: { address: '10.0.0.1', ports: Array.from({ length: n }, (_, i) => i) } });
  t.equal((parseRecord(ports(1024)) as HostRecord).ports!.length, 1024);
  t.throws(() => parseRecord(ports(70_000)), { code: 'HERALD_INVALID_RECORD', field: 'load_balancer.ports' });
});

t.test('nodeRejection: the verdict herald serve reaches for a node, by reason', async (t) => {
  const lb = (address: string) => JSON.stringify({ type: 'load_balancer', address, load_balancer: { address } });
  t.equal(nodeRejection('/com/foo/bar/lbA', lb('10.0.0.1')), undefined, 'upper case is served');
  t.match(nodeRejection(`/com/foo/bar/${'x'.repeat(64)}`, lb('10.0.0.1')), { reason: 'name', name: `${'x'.repeat(64)}.bar.foo.com` });
  t.match(nodeRejection(`/com/foo/${Array.from({ length: 120 }, (_, i) => `l${i}`).join('/')}`, lb('10.0.0.1')), { reason: 'name' });
  t.match(nodeRejection('/com/foo/bar/a', lb('::1%a:b')), { reason: 'address', message: /scope/ });
  t.match(nodeRejection('/com/foo/bar/a', '{"type":"load_balancer","load_balancer":{"ports":["80"]}}'), { reason: 'ports' });
  t.match(nodeRejection('/com/foo/bar/a', 'null'), { reason: 'json' });
  t.match(nodeRejection('/com/foo/bar', '{"type":"service","service":{"srvce":"_http","proto":"tcp","port":80}}'), { reason: 'field' });
});
