import t from 'tap';
import { createSocket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { dig, memoryServer } from './helpers.ts';

const D = 'coal.joyent.us';
const s = await memoryServer(D);
t.teardown(() => s.close());
await s.writer.putPersistent('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }));
await s.writer.putEphemeral('/us/joyent/coal/moray/m1', hostRecordJson({ type: 'moray_host', address: '10.0.0.1', ports: [2021] }));
await new Promise((r) => setImmediate(r));

/** Sends raw bytes over UDP and returns the raw reply. */
function udp(query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => { socket.close(); reject(new Error('no reply')); }, 2000);
    socket.once('message', (m) => { clearTimeout(timer); socket.close(); resolve(m); });
    socket.send(query, s.port, '127.0.0.1');
  });
}

/** A query whose question is the given labels, raw (a label may hold a dot or a space), with an EDNS option. */
function rawQuery(labels: string[], withOption: boolean): Buffer {
  const name = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
  const opt = Buffer.from([0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, withOption ? 12 : 0]);
  const option = withOption ? Buffer.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]) : Buffer.alloc(0);
  return Buffer.concat([header, name, Buffer.from([0, 1, 0, 1]), opt, option]);
}

t.test('a space or a dot inside a label, with EDNS options: REFUSED with the question exactly as sent', async (t) => {
  for (const labels of [['m1 x', 'moray', 'coal', 'joyent', 'us'], ['m1.moray', 'coal', 'joyent', 'us'], ['M1.moray', 'coal', 'joyent', 'us']]) {
    for (const withOption of [true, false]) {
      const q = rawQuery(labels, withOption);
      const reply = await udp(q);
      const questionEnd = 12 + labels.reduce((n, l) => n + 1 + l.length, 1) + 4;
      t.equal(reply[3]! & 0xf, 5, `${JSON.stringify(labels)}${withOption ? ' +option' : ''}: REFUSED`);
      t.same(reply.subarray(12, questionEnd), q.subarray(12, questionEnd), 'question bytes unchanged');
      t.equal(reply.readUInt16BE(4), 1);
    }
  }
  for (const name of ['m1\\.moray.coal.joyent.us', 'm1\\032x.moray.coal.joyent.us']) {
    const r = await dig(s.port, ['+cookie', 'A', name]);
    t.equal(r.status, 'REFUSED', `dig ${name}`);
    t.notMatch(r.raw, /mismatch/i, 'dig matches the question');
  }
});

t.test('wire details kept as the RFCs have them (README: Differences from binder)', async (t) => {
  const q = dnsPacket.encode({ type: 'query', id: 9, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA, questions: [{ type: 'SRV', name: `_moray._tcp.moray.${D}` }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never] });
  const reply = dnsPacket.decode(await udp(q));
  t.ok(reply.flags! & dnsPacket.AUTHORITATIVE_ANSWER, 'aa on an answer from our data (RFC 1035 4.1.1)');
  t.notOk(reply.flags! & dnsPacket.AUTHENTIC_DATA, 'ad never set: nothing is DNSSEC-signed (RFC 4035 3.1.6)');
  const opt = reply.additionals!.find((r) => r.type === 'OPT') as { udpPayloadSize: number } | undefined;
  t.equal(opt?.udpPayloadSize, 1470, 'OPT advertises our own payload size (RFC 6891 6.2.3), not the client\'s');
  t.equal(reply.additionals![reply.additionals!.length - 1]!.type, 'OPT', 'OPT last in the additional section');
  const nodata = dnsPacket.decode(await udp(dnsPacket.encode({ type: 'query', id: 10, questions: [{ type: 'SRV', name: `_x._tcp.m1.moray.${D}` }] })));
  t.equal((nodata as { rcode?: string }).rcode, 'NOERROR');
  t.equal(nodata.answers!.length, 0);
  t.equal(nodata.authorities![0]!.type, 'SOA');
  t.equal(nodata.authorities![0]!.name, D, 'NODATA SOA owned by the zone apex (RFC 2308 3)');
});
