import t from 'tap';
import { createSocket } from 'node:dgram';
import { isType, Rcode, RecordType } from '../../src/dns/index.ts';
import { DnsClient, LookupFailedError, lookup, parseNameserver } from '../../src/index.ts';
import { encodeQuestion } from '../../src/resolver/question.ts';
import { Bind } from '../fixtures/bind.ts';
import { freePort } from '../fixtures/ports.ts';
import { HostileResponder } from './hostile.ts';
import { COAL, SRV_NAME } from './zones.ts';

const bind = await Bind.start([COAL]);
const refusing = await Bind.start();
const client = new DnsClient();
t.teardown(async () => { client.close(); await bind.stop(); await refusing.stop(); });

t.test('SRV with additional A records, TTLs and rcode', async (t) => {
  const r = await lookup(SRV_NAME, 'SRV', { nameservers: [bind.nameserver], client });
  t.equal(r.status, 'NOERROR');
  t.equal(r.nameserver, bind.nameserver);
  const srv = r.answers.filter((a) => isType(a, RecordType.SRV));
  t.same(srv.map((a) => `${a.ttl} ${a.priority} ${a.weight} ${a.port} ${a.target}`).sort(), [
    '60 0 10 2021 a.moray.coal.joyent.us', '60 0 10 2021 c.moray.coal.joyent.us', '60 0 10 2022 b.moray.coal.joyent.us']);
  const glue = r.additionals.filter((a) => isType(a, RecordType.A)).map((a) => `${a.name} ${a.ttl} ${isType(a, RecordType.A) ? a.address : ''}`);
  t.ok(glue.includes('a.moray.coal.joyent.us 30 10.0.0.1'), 'target address from the additional section');
  t.equal(r.tcp, false);
});

t.test('a 60-target SRV truncates over UDP and is fetched over TCP', async (t) => {
  const r = await lookup('_big._tcp.big.coal.joyent.us', RecordType.SRV, { nameservers: [bind.nameserver], client });
  t.equal(r.tcp, true, 'answered over TCP');
  t.equal(r.answers.length, 60);
  t.ok(r.size > 1232, `reply of ${r.size} bytes`);
  t.ok(client.stats.get(bind.nameserver)!.tcp >= 1, 'counted as a TCP query');
});

t.test('NXDOMAIN and NODATA carry the SOA negative TTL', async (t) => {
  const nx = await lookup('nothing.coal.joyent.us', 'A', { nameservers: [bind.nameserver], client });
  t.equal(nx.rcode, Rcode.NXDOMAIN);
  t.equal(nx.negativeTtl, 17);
  const nodata = await lookup('_x._tcp.a.moray.coal.joyent.us', 'SRV', { nameservers: [bind.nameserver], client });
  t.equal(nodata.rcode, Rcode.NXDOMAIN, 'an empty non-terminal under an A name does not exist');
  const empty = await lookup('web.coal.joyent.us', 'SRV', { nameservers: [bind.nameserver], client });
  t.equal(empty.status, 'NOERROR');
  t.equal(empty.answers.length, 0, 'NODATA');
  t.equal(empty.negativeTtl, 17);
});

t.test('REFUSED from the first nameserver → answer from the second', async (t) => {
  const r = await lookup(SRV_NAME, 'SRV', { nameservers: [refusing.nameserver, bind.nameserver], client });
  t.equal(r.nameserver, bind.nameserver);
  t.equal(r.answers.length, 3);
  t.ok(client.stats.get(refusing.nameserver)!.refused >= 1, 'REFUSED counted');
});

t.test('the client counts a REFUSED reply itself, whoever asked', async (t) => {
  const own = new DnsClient();
  t.teardown(() => own.close());
  const reply = await own.query(parseNameserver(refusing.nameserver), encodeQuestion(SRV_NAME, RecordType.SRV), 2000);
  t.equal(reply.message.rcode, Rcode.REFUSED);
  t.match(own.stats.get(refusing.nameserver), { queries: 1, refused: 1, servfail: 0, errors: 0, latencyCount: 1 }, 'counted on arrival, with its latency');
});

t.test('only refusing nameservers: LookupFailedError, never "absent"', async (t) => {
  const err = await lookup(SRV_NAME, 'SRV', { nameservers: [refusing.nameserver], client, tries: 2, backoffMs: 10 }).catch((e: unknown) => e);
  t.type(err, LookupFailedError);
  t.match(err, { code: 'HERALD_LOOKUP_FAILED', attempts: [{ nameserver: refusing.nameserver, reason: 'REFUSED' }] });
});

t.test('first nameserver dead (silent), second alive → answer within one query timeout', async (t) => {
  const silent = await HostileResponder.start('silence');
  t.teardown(() => silent.close());
  const t0 = performance.now();
  const r = await lookup('web.coal.joyent.us', 'A', { nameservers: [silent.nameserver, bind.nameserver], client, timeoutMs: 300 });
  const took = performance.now() - t0;
  t.equal(r.nameserver, bind.nameserver);
  t.ok(took >= 290 && took < 300 + 700, `answered in ${took.toFixed(0)} ms: one 300 ms timeout, then the second nameserver`);
  t.equal(silent.queries, 1);
});

t.test('first nameserver port closed → ICMP refusal moves on at once', async (t) => {
  const closed = `127.0.0.1:${await freePort()}`;
  const t0 = performance.now();
  const r = await lookup('web.coal.joyent.us', 'A', { nameservers: [closed, bind.nameserver], client, timeoutMs: 2000 });
  t.equal(r.nameserver, bind.nameserver);
  t.ok(performance.now() - t0 < 1000, 'well within the 2 s timeout');
});

t.test('hostile responder: wrong ID, wrong question, garbage, wrong source are ignored', async (t) => {
  const h = await HostileResponder.start('tricks-then-answer');
  t.teardown(() => h.close());
  const r = await lookup('x.example.com', 'A', { nameservers: [h.nameserver], client, timeoutMs: 1000 });
  t.same(r.answers.map((a) => (isType(a, RecordType.A) ? a.address : '')), ['192.0.2.1']);
  t.ok(client.stats.get(h.nameserver)!.rejected >= 3, `rejected ${client.stats.get(h.nameserver)!.rejected}`);
  h.mode = 'tricks-only';
  const err = await lookup('x.example.com', 'A', { nameservers: [h.nameserver], client, timeoutMs: 200, tries: 1 }).catch((e: unknown) => e);
  t.match(err, { code: 'HERALD_LOOKUP_FAILED', attempts: [{ reason: 'timeout' }] });
});

t.test('{ all: true } asks every nameserver and reports each', async (t) => {
  const silent = await HostileResponder.start('silence');
  t.teardown(() => silent.close());
  const out = await lookup('web.coal.joyent.us', 'A', { all: true, nameservers: [bind.nameserver, refusing.nameserver, silent.nameserver], client, timeoutMs: 200, tries: 1 });
  t.equal(out.length, 3);
  t.equal(out[0]!.result?.answers.length, 2);
  t.equal(out[1]!.result?.status, 'REFUSED');
  t.match(out[2]!.error, { code: 'HERALD_QUERY_TIMEOUT' });
});

t.test('IPv6 nameserver [::1]:port', async (t) => {
  // A tiny echo-style server on ::1 answering REFUSED proves the v6 path end to end.
  const s = createSocket('udp6');
  await new Promise<void>((r) => s.bind(0, '::1', r));
  t.teardown(() => s.close());
  s.on('message', (msg, rinfo) => { const out = Buffer.from(msg); out[2] = 0x84; out[3] = 0x05; s.send(out, rinfo.port, rinfo.address); });
  const out = await lookup('web.coal.joyent.us', 'A', { all: true, nameservers: [`[::1]:${s.address().port}`], client, timeoutMs: 500 });
  t.equal(out[0]!.nameserver, `[::1]:${s.address().port}`);
  t.equal(out[0]!.result?.status, 'REFUSED');
});

t.test('bad input: typed errors with clear messages', async (t) => {
  t.throws(() => lookup('bad name', 'A', { nameservers: [bind.nameserver] }), { code: 'HERALD_INVALID_NAME' });
  t.throws(() => lookup('a.b', 'BOGUS', { nameservers: [bind.nameserver] }), { code: 'HERALD_INVALID_ARGUMENT' });
  t.throws(() => lookup('a.b', 'A', { nameservers: ['10.0.0.1:99999'] }), { code: 'HERALD_INVALID_NAMESERVER', message: /port "99999"/ });
  t.throws(() => lookup('a.b', 'A', { nameservers: [bind.nameserver], timeoutMs: 0 }), /timeoutMs/);
});

t.test('idle sockets close one query timeout after their last query: open sockets follow the servers asked now', async (t) => {
  const own = new DnsClient();
  t.teardown(() => own.close());
  await Promise.all(Array.from({ length: 20 }, () => lookup('web.coal.joyent.us', 'A', { nameservers: [bind.nameserver], client: own, timeoutMs: 200 })));
  t.ok(own.openSockets >= 1 && own.openSockets <= 4, `${own.openSockets} sockets while asking`);
  await new Promise((r) => setTimeout(r, 450));
  t.equal(own.openSockets, 0, 'all closed once idle');
  const again = await lookup('web.coal.joyent.us', 'A', { nameservers: [bind.nameserver], client: own, timeoutMs: 200 });
  t.equal(again.answers.length, 2, 'and the next query opens a fresh one');
});
