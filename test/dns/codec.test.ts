import t from 'tap';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import dns2 from 'dns2';
import {
  decodeMessage, encodeMessage, encodeQuery, emptyMessage, isType, MalformedPacketError,
  normalizeName, InvalidNameError, RecordType, Rcode, reverseName, addressFromReverse,
} from '../../src/dns/index.ts';
import { Bind } from '../fixtures/bind.ts';

t.test('a message survives encode → decode, SRV targets uncompressed', async (t) => {
  const m = emptyMessage(0x1234);
  m.qr = true; m.aa = true; m.rd = true;
  m.questions.push({ name: '_moray._tcp.moray.coal.joyent.us', type: RecordType.SRV, class: 1 });
  m.answers.push({ name: '_moray._tcp.moray.coal.joyent.us', type: RecordType.SRV, class: 1, ttl: 60, priority: 0, weight: 10, port: 2021, target: 'a.moray.coal.joyent.us' });
  m.additionals.push({ name: 'a.moray.coal.joyent.us', type: RecordType.A, class: 1, ttl: 30, address: '10.0.0.1' });
  m.additionals.push({ name: 'a.moray.coal.joyent.us', type: RecordType.AAAA, class: 1, ttl: 30, address: 'fd00::1' });
  m.authorities.push({ name: 'coal.joyent.us', type: RecordType.SOA, class: 1, ttl: 5, mname: 'coal.joyent.us', rname: 'hostmaster.coal.joyent.us', serial: 0, refresh: 86400, retry: 7200, expire: 1209600, minimum: 30 });
  m.edns = { udpSize: 1232, version: 0, dnssecOk: false };
  const wire = encodeMessage(m);
  const back = decodeMessage(wire);
  t.same(back, m);
  // The SRV target is written label by label: no 0xc0 pointer inside its RDATA.
  const target = Buffer.from('\x01a\x05moray\x04coal\x06joyent\x02us\x00', 'latin1');
  t.ok(wire.includes(target), 'SRV target written in full');
  // An independent parser (dns2) reads the same records.
  const parsed = dns2.Packet.parse(wire);
  t.equal(parsed.answers[0].target, 'a.moray.coal.joyent.us');
  t.equal(parsed.answers[0].port, 2021);
});

t.test('an A record takes the addresses isIP takes as IPv4, and only those', async (t) => {
  const tricky = ['10.0.0.1', '0.0.0.0', '255.255.255.255', '1.2.3.04', '01.2.3.4', '1.2.3.256', '1.2.3', '1.2.3.4.5', '1.2.3.4.', '.1.2.3.4', '1..2.3',
    '1.2.3.-4', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.x', '', '1234.1.1.1', '::1', '10.0.0.1/24', '1.2.3.4\u0000', '00.1.2.3', '192.168.1.100', '9.99.199.249'];
  let random = 0;
  for (let i = 0; i < 2000; i++) {
    const parts = Array.from({ length: 3 + Math.floor(Math.random() * 3) }, () => String(Math.floor(Math.random() * 300)).padStart(Math.random() < 0.1 ? 3 : 0, '0'));
    tricky.push(parts.join('.'));
  }
  for (const address of tricky) {
    const m = emptyMessage(1);
    m.answers.push({ name: 'a.b', type: RecordType.A, class: 1, ttl: 30, address });
    if (isIP(address) === 4) {
      const back = decodeMessage(encodeMessage(m)).answers[0] as { address: string };
      if (back.address !== address) t.fail(`${address} came back ${back.address}`);
      random++;
    } else {
      try { encodeMessage(m); t.fail(`${JSON.stringify(address)} was encoded`); } catch (err) {
        if (!(err instanceof InvalidNameError)) t.fail(`${JSON.stringify(address)}: ${String(err)}`);
      }
    }
  }
  t.ok(random > 200, `${random} valid addresses among them`);
});

t.test('names are compressed against every suffix written before, case-blind, and written as latin1 bytes', async (t) => {
  const m = emptyMessage(1);
  m.questions.push({ name: 'A.Moray.coal.joyent.us', type: RecordType.A, class: 1 });
  m.answers.push({ name: 'a.moray.COAL.joyent.us', type: RecordType.A, class: 1, ttl: 30, address: '10.0.0.1' });
  m.answers.push({ name: 'b.moray.coal.joyent.us', type: RecordType.A, class: 1, ttl: 30, address: '10.0.0.2' });
  m.answers.push({ name: 'caf\u00e9.coal.joyent.us', type: RecordType.A, class: 1, ttl: 30, address: '10.0.0.3' });
  const wire = encodeMessage(m);
  t.equal(wire.readUInt16BE(12 + 24 + 4), 0xc00c, 'the first answer points at the question');
  const second = 12 + 24 + 4 + 2 + 10 + 4;
  t.same([...wire.subarray(second, second + 4)], [1, 0x62, 0xc0, 14], 'b, then a pointer to moray.coal.joyent.us');
  t.ok(wire.includes(Buffer.from('\x04caf\xe9', 'latin1')), 'é as one latin1 byte');
  t.equal(decodeMessage(wire).answers[1]!.name, 'b.Moray.coal.joyent.us', 'a pointer reads back the spelling it points at');
  t.throws(() => encodeMessage({ ...emptyMessage(1), questions: [{ name: 'a..b', type: 1, class: 1 }] }), { code: 'HERALD_INVALID_NAME' });
  t.throws(() => encodeMessage({ ...emptyMessage(1), questions: [{ name: `${'x'.repeat(64)}.b`, type: 1, class: 1 }] }), /has 64 bytes/);
});

t.test('malformed packets are typed errors, never crashes', async (t) => {
  const good = encodeQuery({ id: 1, name: 'a.b.c', type: RecordType.A });
  t.throws(() => decodeMessage(good.subarray(0, 5)), MalformedPacketError);
  t.throws(() => decodeMessage(good.subarray(0, good.length - 1)), { code: 'HERALD_MALFORMED_PACKET' });
  const loop = Buffer.from(good);
  loop.writeUInt16BE(0xc00c, 12); // the question name points at itself
  t.throws(() => decodeMessage(loop), /pointer loop/);
  let crashes = 0;
  for (let i = 0; i < 20000; i++) {
    const junk = Buffer.from(good);
    for (let j = 0; j < 3; j++) junk[Math.floor(Math.random() * junk.length)] = Math.floor(Math.random() * 256);
    try { decodeMessage(junk); } catch (err) { if (!(err instanceof MalformedPacketError)) crashes++; }
  }
  t.equal(crashes, 0, 'only MalformedPacketError on mutated packets');
});

t.test('names', async (t) => {
  t.equal(normalizeName('Moray.COAL.joyent.us.'), 'moray.coal.joyent.us');
  t.equal(normalizeName('_moray._tcp.moray'), '_moray._tcp.moray');
  t.throws(() => normalizeName('a..b'), InvalidNameError);
  t.throws(() => normalizeName('bad name'), { code: 'HERALD_INVALID_NAME' });
  t.throws(() => normalizeName('x'.repeat(64) + '.com'), /longer than 63/);
  t.equal(reverseName('10.0.0.1'), '1.0.0.10.in-addr.arpa');
  t.equal(addressFromReverse('1.0.0.10.in-addr.arpa'), '10.0.0.1');
  t.equal(addressFromReverse(reverseName('fd00::1')), 'fd00::1');
});

t.test('a query to real BIND decodes into the records it holds', async (t) => {
  const bind = await Bind.start([{ origin: 'coal.joyent.us', records: `
_moray._tcp.moray 60 IN SRV 0 10 2021 a.moray
a.moray 30 IN A 10.0.0.1
a.moray 30 IN AAAA fd00::1
` }]);
  t.teardown(() => bind.stop());
  const socket = createSocket('udp4');
  t.teardown(() => socket.close());
  const reply = await new Promise<Buffer>((resolve) => {
    socket.once('message', resolve);
    socket.send(encodeQuery({ id: 7, name: '_moray._tcp.moray.coal.joyent.us', type: RecordType.SRV, udpSize: 1232 }), bind.port, '127.0.0.1');
  });
  const m = decodeMessage(reply);
  t.equal(m.id, 7);
  t.equal(m.rcode, Rcode.NOERROR);
  t.ok(m.aa);
  const srv = m.answers[0]!;
  t.ok(isType(srv, RecordType.SRV));
  t.match(srv, { port: 2021, priority: 0, weight: 10, target: 'a.moray.coal.joyent.us', ttl: 60 });
  t.same(m.additionals.map((r) => [r.type, 'address' in r ? r.address : '']).sort(), [[1, '10.0.0.1'], [28, 'fd00::1']]);
});

t.test('names and addresses seen before come back exact, past the text cache size and across slot collisions', async (t) => {
  // More distinct names and addresses than the decoder's caches hold, each decoded twice: a cached text
  // handed to the wrong name (a hash collision taken as a hit) would show here.
  let wrong = 0;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 3000; i++) {
      const name = `n${i}.x${i % 7}.example`;
      const m = emptyMessage(i);
      m.qr = true;
      m.questions.push({ name, type: RecordType.A, class: 1 });
      m.answers.push({ name, type: RecordType.A, class: 1, ttl: 1, address: `10.${(i >> 8) & 255}.${i & 255}.${round}` });
      const back = decodeMessage(encodeMessage(m));
      const a = back.answers[0]!;
      if (back.questions[0]!.name !== name || a.name !== name || !isType(a, RecordType.A) || a.address !== `10.${(i >> 8) & 255}.${i & 255}.${round}`) wrong++;
    }
  }
  t.equal(wrong, 0);
});
