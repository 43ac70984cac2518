import t from 'tap';
import { createSocket } from 'node:dgram';
import { decodeMessage, encodeQuery, RecordType } from '../../src/dns/index.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { dig, memoryServer } from './helpers.ts';

const D = 'coal.joyent.us';
const s = await memoryServer(D);
t.teardown(() => s.close());
await s.writer.putPersistent('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }));
for (let i = 1; i <= 3; i++) await s.writer.putEphemeral(`/us/joyent/coal/moray/m${i}`, hostRecordJson({ type: 'moray_host', address: `10.0.0.${i}`, ports: [2021], ttl: 30 }));
await new Promise((r) => setImmediate(r));

// A small deterministic PRNG, so a failure can be replayed from its seed.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 0x100000000; };
}

const seeds = [
  encodeQuery({ id: 1, name: `_moray._tcp.moray.${D}`, type: RecordType.SRV }),
  encodeQuery({ id: 2, name: `moray.${D}`, type: RecordType.A, udpSize: 1232 }),
  encodeQuery({ id: 3, name: '1.0.0.10.in-addr.arpa', type: RecordType.PTR }),
  encodeQuery({ id: 4, name: `m1.moray.${D}`, type: RecordType.AAAA }),
];

t.test('120k random and mutated packets: no throw, only well-formed replies', async (t) => {
  const random = rng(Number(process.env['FUZZ_SEED'] ?? 20261122));
  let replies = 0;
  let badReplies = 0;
  const before = s.server.stats;
  for (let i = 0; i < 120_000; i++) {
    let packet: Buffer;
    const kind = i % 4;
    if (kind === 0) {
      // Pure noise of any length up to 600 bytes.
      packet = Buffer.alloc(Math.floor(random() * 600));
      for (let j = 0; j < packet.length; j++) packet[j] = Math.floor(random() * 256);
    } else {
      // A real query with a few bytes flipped, cut short or extended.
      packet = Buffer.from(seeds[Math.floor(random() * seeds.length)]!);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) packet[Math.floor(random() * packet.length)] = Math.floor(random() * 256);
      if (kind === 2) packet = packet.subarray(0, Math.floor(random() * packet.length));
      if (kind === 3 && random() < 0.5) packet = Buffer.concat([packet, Buffer.alloc(Math.floor(random() * 40), Math.floor(random() * 256))]);
    }
    const reply = s.server.handle(packet, random() < 0.1);
    if (!reply) continue;
    replies++;
    try {
      const m = decodeMessage(reply);
      if (!m.qr || m.id !== packet.readUInt16BE(0)) badReplies++;
    } catch {
      badReplies++;
    }
  }
  const after = s.server.stats;
  const dropped = (x: typeof before) => x.dropped.malformed + x.dropped.response + x.dropped.oversized;
  t.comment(`${replies} replies, ${dropped(after) - dropped(before)} dropped and counted`);
  t.equal(badReplies, 0, 'every reply parses and carries the query ID');
  t.ok(dropped(after) > dropped(before), 'garbage is dropped and counted');
});

t.test('a burst of junk over UDP and oversized packets, then correct answers', async (t) => {
  const socket = createSocket('udp4');
  t.teardown(() => socket.close());
  const random = rng(7);
  for (let i = 0; i < 5000; i++) {
    const packet = Buffer.alloc(i % 100 === 0 ? 5000 : Math.floor(random() * 300));
    for (let j = 0; j < packet.length; j++) packet[j] = Math.floor(random() * 256);
    socket.send(packet, s.port, '127.0.0.1');
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 200));
  t.ok(s.server.stats.dropped.oversized > 0, 'oversized packets counted');
  const r = await dig(s.port, ['SRV', `_moray._tcp.moray.${D}`]);
  t.equal(r.status, 'NOERROR');
  t.equal(r.answer.length, 3);
  t.equal(r.additional.length, 3);
});
