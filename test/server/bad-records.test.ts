import t from 'tap';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig, heraldServe } from './helpers.ts';
import { RawZk } from './raw-zk.ts';

// Records another tool wrote into ZooKeeper, through an independent client:
// each may cost only itself; `herald serve` keeps answering the rest.
const D = 'foo.com';
const service = (srvce: string, port: number) => JSON.stringify({ type: 'service', service: { type: 'service', service: { srvce, proto: '_tcp', port, ttl: 60 } } });
const host = (address: string, ports: number[] = [80]) => JSON.stringify({ type: 'load_balancer', address, ttl: 30, load_balancer: { address, ports } });

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());
const raw = await RawZk.connect(zk.connectString);
t.teardown(() => raw.close());

await raw.put('/com/foo/bar', service('_http', 80));
await raw.put('/com/foo/bar/good1', host('10.0.0.1'));
await raw.put('/com/foo/bar/lbA', host('10.0.0.2'));
await raw.put(`/com/foo/bar/${'x'.repeat(64)}`, host('10.0.0.3'));
await raw.put('/com/foo/bar/scoped', host('::1%a:b:c:d:e:f:g:h:i:j'));
await raw.put('/com/foo/bar/scoped2', host('1:2:3:4:5:6:7:8%a:b'));
await raw.put('/com/foo/bar/manyports', host('10.0.0.4', Array.from({ length: 70_000 }, (_, i) => 1 + (i % 65535))));
// The flat service shape binder also serves.
await raw.put('/com/foo/flat', JSON.stringify({ type: 'service', service: { srvce: '_http', proto: '_tcp', port: 80 }, ttl: 60 }));
await raw.put('/com/foo/flat/f1', host('10.0.1.1'));
// 120 levels deep: the name is far over 255 bytes; a shallow node holds the same address.
await raw.put(`/com/foo/deep/${Array.from({ length: 120 }, (_, i) => `l${i}`).join('/')}`, host('10.0.2.1'));
await raw.put('/com/foo/shallow', JSON.stringify({ type: 'host', host: { address: '10.0.2.1' } }));
// Too many instances for one TCP reply (named like zones, by UUID, as registrar does).
await raw.put('/com/foo/big', service('_http', 80));
await raw.putMany(Array.from({ length: 1300 }, (_, i) => [`/com/foo/big/6f1c2e2a-0d3b-4c4e-9a51-${String(i).padStart(12, '0')}`, host(`10.1.${i >> 8}.${i & 255}`)]));

const serve = await heraldServe(['--zk', zk.connectString, '--domain', D, '--metrics', '127.0.0.1:0', '--threads', '1']);
t.teardown(() => serve.stop());
const { port, child } = serve;
const metricsUrl = serve.metricsUrl!;
await waitFor('the first full sync', async () => (await dig(port, ['A', `good1.bar.${D}`])).status === 'NOERROR', 10_000, 50);

const alive = (t: { equal(a: unknown, b: unknown, m: string): unknown }) => t.equal(child.exitCode, null, 'herald serve is still running');

/** A query over TCP, decoded by dns-packet (an independent decoder). */
function tcpQuery(name: string, type: dnsPacket.RecordType): Promise<dnsPacket.Packet & { flag_tc?: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    socket.on('connect', () => socket.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ type, name }] })));
    socket.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) { socket.destroy(); resolve(dnsPacket.streamDecode(got) as never); }
    });
    socket.on('error', reject);
  });
}

t.test('an SRV answer keeps its good members: 64-byte labels, scoped IPv6, 70,000 ports are skipped', async (t) => {
  const r = await dig(port, ['SRV', `_http._tcp.bar.${D}`]);
  t.equal(r.status, 'NOERROR');
  t.same(r.answer.map((l) => l.split(' ').pop()).sort(), [`good1.bar.${D}.`, `lbA.bar.${D}.`], 'the two good members, in their own spelling');
  t.same(r.additional.map((l) => l.split(' ').pop()).sort(), ['10.0.0.1', '10.0.0.2']);
  const p = await tcpQuery(`_http._tcp.bar.${D}`, 'SRV');
  t.equal(p.answers!.length, 2, 'dns-packet parses the same answer over TCP');
  alive(t);
});

t.test('upper-case instance names: A for the SRV target answers, PTR keeps the spelling', async (t) => {
  for (const name of [`lbA.bar.${D}`, `LBA.bar.${D}`, `lba.BAR.foo.com`]) {
    const r = await dig(port, ['A', name]);
    t.equal(r.status, 'NOERROR', name);
    t.match(r.answer[0], /10\.0\.0\.2$/, name);
  }
  const ptr = await dig(port, ['PTR', '2.0.0.10.in-addr.arpa']);
  t.same(ptr.answer.map((l) => l.split(' ').pop()), [`lbA.bar.${D}.`]);
});

t.test('the flat service shape is served: SRV, A, and NXDOMAIN for another _srvce', async (t) => {
  const srv = await dig(port, ['SRV', `_http._tcp.flat.${D}`]);
  t.equal(srv.status, 'NOERROR');
  t.match(srv.answer, [/ 80 f1\.flat\.foo\.com\.$/]);
  const a = await dig(port, ['A', `flat.${D}`]);
  t.equal(a.status, 'NOERROR');
  t.match(a.answer, [/10\.0\.1\.1$/]);
  t.equal((await dig(port, ['SRV', `_other._tcp.flat.${D}`])).status, 'NXDOMAIN');
});

t.test('a 120-level-deep node is skipped: no PTR name over 255 bytes', async (t) => {
  const p = await tcpQuery('1.2.0.10.in-addr.arpa', 'PTR');
  t.same(p.answers!.map((a) => (a as { data: unknown }).data), [`shallow.${D}`]);
  alive(t);
});

t.test('a service too large for one TCP reply: as many whole records as fit, never TC over TCP', async (t) => {
  const p = await tcpQuery(`_http._tcp.big.${D}`, 'SRV');
  t.equal(p.flag_tc ?? ((p as { flags?: number }).flags! & 0x200) !== 0, false, 'no TC over TCP');
  t.ok(p.answers!.length > 500 && p.answers!.length < 1300, `${p.answers!.length} of 1300 SRV records fit`);
  const viaDig = await dig(port, ['+tcp', 'SRV', `_http._tcp.big.${D}`]);
  t.equal(viaDig.status, 'NOERROR');
  t.notOk(viaDig.flags.includes('tc'));
  t.equal(viaDig.answer.length, p.answers!.length, 'dig parses it whole');
  const udp = await dig(port, ['+ignore', '+noedns', 'SRV', `_http._tcp.big.${D}`]);
  t.ok(udp.flags.includes('tc'), 'over UDP: TC, so the client retries over TCP');
});

t.test('a bad node written while serving costs only itself', async (t) => {
  await raw.put('/com/foo/bar/late', host('fe80::1%eth0'));
  await raw.put('/com/foo/bar/good2', host('10.0.0.9'));
  await waitFor('good2 in the answer', async () => (await dig(port, ['SRV', `_http._tcp.bar.${D}`])).answer.length === 3, 10_000, 50);
  alive(t);
});

t.test('each rejected node is logged once and counted by reason', async (t) => {
  const text = await (await fetch(metricsUrl)).text();
  const count = (reason: string) => Number(new RegExp(`herald_server_records_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  t.equal(count('name'), 2, '64-byte label and the deep node');
  t.equal(count('address'), 3, 'the three scoped addresses');
  t.equal(count('ports'), 1);
  const lines = serve.stderr.split('\n').filter((l) => l.includes('cannot serve'));
  t.equal(lines.length, 6, 'one log line per rejected node');
  t.match(lines.join('\n'), /"reason":"ports".*manyports/);
  alive(t);
});
