import t from 'tap';
import { Resolver } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decodeMessage, encodeQuery, RecordType } from '../../src/dns/index.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { DnsServer } from '../../src/server/server.ts';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import { freePort } from '../fixtures/ports.ts';
import { dig, memoryServer } from './helpers.ts';

const D = 'coal.joyent.us';
const s = await memoryServer(D);
t.teardown(() => s.close());
const w = s.writer;
const put = (path: string, json: unknown) => w.putPersistent(`/us/joyent/coal${path}`, typeof json === 'string' ? json : JSON.stringify(json));

// BINDER.md §1 literal records, and one service per golden case.
await put('/authcache', '{"type":"service","service":{"type":"service","service":{"srvce":"_redis","proto":"_tcp","port":6379,"ttl":60}}}');
await put('/authcache/a1', '{"type":"load_balancer","address":"10.99.99.40","ttl":30,"load_balancer":{"address":"10.99.99.40","ports":[6379]}}');
await put('/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2020 }, ttl: 90 } as never));
await put('/moray/m1', hostRecordJson({ type: 'moray_host', address: '10.0.0.1', ports: [2021, 2022], ttl: 30 }));
await put('/moray/m2', '{"type":"moray_host","address":"10.0.0.2","moray_host":{"address":"10.0.0.2","ports":[]}}');
await put('/moray/m3', '{"type":"moray_host","address":null,"moray_host":{"address":null}}');
await put('/moray/h', '{"type":"host","address":"10.0.0.8"}');
await put('/moray/d', '{"type":"db_host","address":"10.0.0.9"}');
for (const type of ['ops_host', 'rr_host', 'redis_host']) await put(`/moray/${type}`, `{"type":"${type}","address":"10.0.1.${type.length}","${type}":{"ttl":5}}`);
await put('/binder', '{"type":"service","service":{"type":"service","service":{"srvce":"_dns","proto":"_udp","port":53}},"ttl":45}');
await put('/binder/b1', '{"type":"rr_host","address":"10.0.2.1","ttl":20}');
await put('/empty', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
await put('/nullhost', '{"type":"host","address":null}');
await put('/db', '{"type":"database","database":{"primary":"tcp://user@10.0.0.20/postgres"}}');
await put('/weird', '{"type":"frobnicator"}');
await put('/broken', '{not json');
await put('/six', '{"type":"host","address":"fd00::6","ttl":12}');
await put('/svc6', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
await put('/svc6/v6', '{"type":"load_balancer","address":"fd00::7"}');
await put('/big', serviceRecordJson({ service: { srvce: '_big', proto: '_tcp', port: 1 } }));
for (let i = 0; i < 40; i++) await put(`/big/instance-${String(i).padStart(2, '0')}`, hostRecordJson({ type: 'load_balancer', address: `10.1.0.${i + 1}`, ports: [1, 2, 3, 4] }));
await new Promise((r) => setImmediate(r));

t.test("registrar's literal records: SRV with its A in additional, TTLs from the table", async (t) => {
  const r = await dig(s.port, ['SRV', `_redis._tcp.authcache.${D}`]);
  t.equal(r.status, 'NOERROR');
  t.ok(r.flags.includes('aa'), 'aa');
  t.notOk(r.flags.includes('ra'), 'no recursion available');
  t.same(r.answer, [`_redis._tcp.authcache.${D}. 60 IN SRV 0 10 6379 a1.authcache.${D}.`]);
  t.same(r.additional, [`a1.authcache.${D}. 30 IN A 10.99.99.40`]);
});

t.test('SRV: one per (member, port), empty ports → service port, ineligible and null members left out', async (t) => {
  const r = await dig(s.port, ['SRV', `_moray._tcp.moray.${D}`]);
  t.equal(r.status, 'NOERROR');
  // moray template: service.service.ttl defaulted to 60 by registrar.
  t.same(r.answer.sort(), [
    `_moray._tcp.moray.${D}. 60 IN SRV 0 10 2020 m2.moray.${D}.`,
    `_moray._tcp.moray.${D}. 60 IN SRV 0 10 2020 ops_host.moray.${D}.`,
    `_moray._tcp.moray.${D}. 60 IN SRV 0 10 2020 redis_host.moray.${D}.`,
    `_moray._tcp.moray.${D}. 60 IN SRV 0 10 2020 rr_host.moray.${D}.`,
    `_moray._tcp.moray.${D}. 60 IN SRV 0 10 2021 m1.moray.${D}.`,
    `_moray._tcp.moray.${D}. 60 IN SRV 0 10 2022 m1.moray.${D}.`,
  ]);
  // Additional TTL: child [type].ttl → child ttl → service TTL.
  t.same(r.additional.filter((l) => !l.includes('OPT')).sort(), [
    `m1.moray.${D}. 30 IN A 10.0.0.1`,
    `m2.moray.${D}. 60 IN A 10.0.0.2`,
    `ops_host.moray.${D}. 5 IN A 10.0.1.8`,
    `redis_host.moray.${D}. 5 IN A 10.0.1.10`,
    `rr_host.moray.${D}. 5 IN A 10.0.1.7`,
  ]);
});

t.test('A on a service: one per eligible member, TTL min(service, child)', async (t) => {
  const r = await dig(s.port, ['A', `moray.${D}`]);
  t.same(r.answer.sort(), [
    `moray.${D}. 30 IN A 10.0.0.1`, `moray.${D}. 5 IN A 10.0.1.10`, `moray.${D}. 5 IN A 10.0.1.7`,
    `moray.${D}. 5 IN A 10.0.1.8`, `moray.${D}. 60 IN A 10.0.0.2`,
  ].sort());
  // SRV TTL from service.ttl when service.service.ttl is absent; rec.ttl last (binder's own record).
  const b = await dig(s.port, ['SRV', `_dns._udp.binder.${D}`]);
  t.same(b.answer, [`_dns._udp.binder.${D}. 45 IN SRV 0 10 53 b1.binder.${D}.`]);
  t.same(b.additional, [`b1.binder.${D}. 20 IN A 10.0.2.1`]);
  const a = await dig(s.port, ['A', `binder.${D}`]);
  t.same(a.answer, [`binder.${D}. 20 IN A 10.0.2.1`]);
});

t.test('A on instances and hosts: host TTL; host/db_host answer for themselves', async (t) => {
  t.same((await dig(s.port, ['A', `m1.moray.${D}`])).answer, [`m1.moray.${D}. 30 IN A 10.0.0.1`]);
  t.same((await dig(s.port, ['A', `h.moray.${D}`])).answer, [`h.moray.${D}. 30 IN A 10.0.0.8`]);
  t.same((await dig(s.port, ['A', `rr_host.moray.${D}`])).answer, [`rr_host.moray.${D}. 5 IN A 10.0.1.7`]);
  t.same((await dig(s.port, ['A', `db.${D}`])).answer, [`db.${D}. 30 IN A 10.0.0.20`], 'legacy database → host of primary');
});

t.test('null address: an empty answer, never a crash', async (t) => {
  const r = await dig(s.port, ['A', `nullhost.${D}`]);
  t.equal(r.status, 'NOERROR');
  t.same(r.answer, []);
  t.equal((await dig(s.port, ['A', `m3.moray.${D}`])).status, 'NOERROR');
});

t.test('SRV edge cases: wrong _srvce/_proto NXDOMAIN, on a host NODATA + SOA, bad shape REFUSED, empty service', async (t) => {
  t.equal((await dig(s.port, ['SRV', `_http._tcp.moray.${D}`])).status, 'NXDOMAIN');
  t.equal((await dig(s.port, ['SRV', `_moray._udp.moray.${D}`])).status, 'NXDOMAIN');
  const nodata = await dig(s.port, ['SRV', `_x._y.m1.moray.${D}`]);
  t.equal(nodata.status, 'NOERROR');
  t.ok(nodata.flags.includes('aa'));
  t.same(nodata.answer, []);
  t.same(nodata.authority, [`${D}. 30 IN SOA ${D}. hostmaster.${D}. 0 86400 7200 1209600 30`]);
  const six = await dig(s.port, ['SRV', `_x._y.six.${D}`]);
  t.same(six.authority, [`${D}. 12 IN SOA ${D}. hostmaster.${D}. 0 86400 7200 1209600 12`], "SOA minimum is that node's TTL");
  t.equal((await dig(s.port, ['SRV', `moray.${D}`])).status, 'REFUSED');
  t.equal((await dig(s.port, ['SRV', `_moray._tcp.nothere.${D}`])).status, 'REFUSED');
  const empty = await dig(s.port, ['SRV', `_http._tcp.empty.${D}`]);
  t.equal(empty.status, 'NOERROR');
  t.same(empty.answer, []);
  t.same((await dig(s.port, ['A', `empty.${D}`])).answer, []);
});

t.test('REFUSED for any name not held, inside or outside the domain; no recursion', async (t) => {
  for (const name of [`nothere.${D}`, `x.m1.moray.${D}`, 'joyent.us', 'example.com', `${D}`]) {
    const r = await dig(s.port, ['A', name]);
    t.equal(r.status, 'REFUSED', name);
    t.notOk(r.flags.includes('aa'), `${name}: not authoritative`);
  }
  const rd = await dig(s.port, ['+rec', 'A', 'example.com']);
  t.ok(rd.flags.includes('rd'), 'rd echoed');
  t.notOk(rd.flags.includes('ra'), 'ra clear');
  t.equal(rd.status, 'REFUSED');
});

t.test('NOTIMP for other types and unknown record types; SERVFAIL for unreadable records', async (t) => {
  for (const type of ['TXT', 'ANY', 'SOA', 'NS', 'MX']) t.equal((await dig(s.port, [type, `moray.${D}`])).status, 'NOTIMP', type);
  t.equal((await dig(s.port, ['AAAA', `moray.${D}`])).status, 'NOTIMP', 'AAAA on IPv4-only names: NOTIMP, as binder');
  t.equal((await dig(s.port, ['A', `weird.${D}`])).status, 'NOTIMP');
  t.equal((await dig(s.port, ['A', `broken.${D}`])).status, 'SERVFAIL');
});

t.test('AAAA for IPv6 hosts; PTR for v4 and v6', async (t) => {
  t.same((await dig(s.port, ['AAAA', `six.${D}`])).answer, [`six.${D}. 12 IN AAAA fd00::6`]);
  t.same((await dig(s.port, ['AAAA', `svc6.${D}`])).answer, [`svc6.${D}. 60 IN AAAA fd00::7`]);
  t.same((await dig(s.port, ['-x', '10.0.0.1'])).answer, [`1.0.0.10.in-addr.arpa. 30 IN PTR m1.moray.${D}.`]);
  t.same((await dig(s.port, ['-x', 'fd00::6'])).answer.length, 1);
  t.equal((await dig(s.port, ['-x', '10.9.9.9'])).status, 'REFUSED', 'unknown PTR');
});

t.test('names match case-insensitively and the question comes back in its own case (0x20)', async (t) => {
  const r = await dig(s.port, ['SRV', `_ReDiS._TcP.AuthCache.CoAl.JoYeNt.Us`]);
  t.equal(r.status, 'NOERROR');
  t.match(r.raw, /;_ReDiS\._TcP\.AuthCache\.CoAl\.JoYeNt\.Us\.\s+IN\s+SRV/);
  t.equal(r.answer.length, 1);
});

t.test('40 instances × 4 ports: TC over UDP (every section empty), whole over TCP', async (t) => {
  const udp = await dig(s.port, ['+ignore', 'SRV', `_big._tcp.big.${D}`]);
  t.ok(udp.flags.includes('tc'), 'tc');
  t.same(udp.answer, []);
  t.same(udp.additional, []);
  const plain = await dig(s.port, ['+ignore', '+noedns', 'SRV', `_big._tcp.big.${D}`]);
  t.ok(plain.flags.includes('tc'), 'tc without EDNS too');
  const tcp = await dig(s.port, ['+tcp', 'SRV', `_big._tcp.big.${D}`]);
  t.equal(tcp.answer.length, 160);
  t.equal(tcp.additional.length, 40);
  // A small answer fits in 512 bytes without EDNS.
  t.equal((await dig(s.port, ['+noedns', 'SRV', `_redis._tcp.authcache.${D}`])).answer.length, 1);
});

t.test('answers are shuffled per query', async (t) => {
  const firsts = new Set<string>();
  for (let i = 0; i < 30 && firsts.size < 2; i++) firsts.add((await dig(s.port, ['A', `moray.${D}`])).answer[0]!);
  t.ok(firsts.size > 1, `first answers seen: ${[...firsts].join(' | ')}`);
});

t.test("Node 24's own resolver (c-ares) accepts the SRV answers: targets uncompressed", async (t) => {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${s.port}`]);
  const srv = await resolver.resolveSrv(`_moray._tcp.moray.${D}`);
  t.equal(srv.length, 6);
  t.ok(srv.every((r) => r.priority === 0 && r.weight === 10 && r.name.endsWith(`.moray.${D}`)));
  t.same((await resolver.resolve4(`m1.moray.${D}`)).sort(), ['10.0.0.1']);
  // Over TCP (c-ares retries TC answers on TCP): 160 records.
  t.equal((await resolver.resolveSrv(`_big._tcp.big.${D}`)).length, 160);
});

t.test('changes invalidate cached answers', async (t) => {
  t.same((await dig(s.port, ['A', `authcache.${D}`])).answer, [`authcache.${D}. 30 IN A 10.99.99.40`]);
  await put('/authcache/a2', '{"type":"load_balancer","address":"10.99.99.41","ttl":30}');
  await new Promise((r) => setImmediate(r));
  t.equal((await dig(s.port, ['A', `authcache.${D}`])).answer.length, 2);
  await w.delete(`/us/joyent/coal/authcache/a2`);
  await new Promise((r) => setImmediate(r));
  t.equal((await dig(s.port, ['A', `authcache.${D}`])).answer.length, 1);
  t.equal((await dig(s.port, ['-x', '10.99.99.41'])).status, 'REFUSED', 'PTR follows the removal');
});

t.test('hot path: ID patched, a UDP query with several questions answered FORMERR, TCP pipelining', async (t) => {
  const q = encodeQuery({ id: 0xbeef, name: `A1.AuthCache.${D}`, type: RecordType.A, rd: true });
  const socket = createSocket('udp4');
  t.teardown(() => socket.close());
  const reply = await new Promise<Buffer>((resolve) => { socket.once('message', resolve); socket.send(q, s.port, '127.0.0.1'); });
  const m = decodeMessage(reply);
  t.equal(m.id, 0xbeef);
  t.ok(m.rd && m.qr && m.aa && !m.ra);
  t.equal(m.questions[0]!.name, `A1.AuthCache.${D}`);
  t.match(m.answers[0], { address: '10.99.99.40', ttl: 30 });
  // Two questions: FORMERR through the slow path.
  const two = Buffer.from(q); two.writeUInt16BE(2, 4);
  const both = Buffer.concat([two, q.subarray(12)]);
  const formerr = await new Promise<Buffer>((resolve) => { socket.once('message', resolve); socket.send(both, s.port, '127.0.0.1'); });
  t.equal(decodeMessage(formerr).rcode, 1);
  // Two queries in one TCP write: two framed replies.
  const frames = Buffer.concat([q, q].map((x) => { const f = Buffer.alloc(2); f.writeUInt16BE(x.length); return Buffer.concat([f, x]); }));
  const conn = connect(s.port, '127.0.0.1');
  t.teardown(() => conn.destroy());
  const got = await new Promise<Buffer>((resolve) => {
    let buf = Buffer.alloc(0);
    conn.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 2 * (2 + reply.length)) resolve(buf); });
    conn.write(frames);
  });
  t.equal(got.readUInt16BE(0), reply.length);
  t.equal(decodeMessage(got.subarray(2, 2 + reply.length)).id, 0xbeef);
});

t.test('SERVFAIL until the first full sync, never an early empty answer', async (t) => {
  const dead = await freePort();
  const store = ZooKeeperStore.open({ connect: `127.0.0.1:${dead}` });
  const mirror = store.mirror('/us/joyent/coal');
  const server = new DnsServer({ mirror, domain: D, listen: ['127.0.0.1:0'] });
  await server.start();
  t.teardown(async () => { await server.stop(); await store.close(); });
  const port = server.addresses[0]!.port;
  t.equal((await dig(port, ['A', `moray.${D}`])).status, 'SERVFAIL');
  t.equal((await dig(port, ['A', 'example.com'])).status, 'SERVFAIL');
  t.equal(server.ready, false);
});
