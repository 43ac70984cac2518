import { createSocket } from 'node:dgram';
import t from 'tap';
import { Buffer } from 'node:buffer';
import { decodeMessage, encodeMessage, RecordType } from '../../src/dns/index.ts';
import { DnsClient } from '../../src/index.ts';
import { parseNameserver } from '../../src/resolver/nameserver.ts';
import { encodeQuestion, SPARE_QUERIES } from '../../src/resolver/question.ts';
import { replyTo } from './scripted.ts';

// A query goes out in a copy of its question's bytes with the ID patched. The copy is used again only once a reply
// to it came (the kernel has sent it by then); one whose query timed out could still sit in a send queue, so it is
// never handed to another query.

const NAME = '_http._tcp.spares.test';

t.test('query buffers: used again only after their reply, every query its own ID on the wire, bounded', async (t) => {
  const server = createSocket('udp4');
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const seen: Buffer[] = [];
  let silent = 0;
  server.on('message', (msg, rinfo) => {
    seen.push(Buffer.from(msg));
    if (silent > 0) { silent--; return; }
    const q = decodeMessage(msg);
    server.send(encodeMessage(replyTo(q, { answers: [{ name: NAME, type: RecordType.SRV, class: 1, ttl: 5, priority: 0, weight: 1, port: 80, target: 'a.spares.test' }] })), rinfo.port, rinfo.address);
  });
  const ns = parseNameserver(`127.0.0.1:${server.address().port}`);
  const client = new DnsClient();
  t.teardown(() => client.close());
  const q = encodeQuestion(NAME, RecordType.SRV);

  silent = 1;
  await t.rejects(client.query(ns, q, 150), { code: 'HERALD_QUERY_TIMEOUT' });
  t.equal(q.spares.length, 0, 'a query that timed out keeps its buffer: its send may still be queued');

  await client.query(ns, q, 1000);
  t.equal(q.spares.length, 1, 'one that got its reply gives its buffer back');
  const spare = q.spares[0]!;
  const reply = await client.query(ns, q, 1000);
  t.equal(q.spares[0], spare, 'and the next query went out in it');
  t.equal(reply.message.id, seen.at(-1)!.readUInt16BE(0), 'with its own ID');

  // Many at once: each takes a spare or a fresh copy, none shares one with another in flight.
  const before = seen.length;
  const replies = await Promise.all(Array.from({ length: 3 * SPARE_QUERIES }, () => client.query(ns, q, 1000)));
  const sent = seen.slice(before);
  t.equal(new Set(sent.map((b) => b.readUInt16BE(0))).size, sent.length, 'every query on the wire has an ID of its own');
  t.same(new Set(replies.map((r) => r.message.id)), new Set(sent.map((b) => b.readUInt16BE(0))), 'and each got the reply to its ID');
  for (const b of sent) t.same(b.subarray(2), q.wire.subarray(2), 'the question bytes as encoded');
  t.equal(q.spares.length, SPARE_QUERIES, 'spares are bounded');
  t.equal(new Set(q.spares).size, SPARE_QUERIES, 'each spare once');
});

t.test('one socket with many queries in flight: each reply finds its query (past the few an array holds)', async (t) => {
  const server = createSocket('udp4');
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  // Replies come back in reverse order, all at once, after the last query.
  const held: { msg: Buffer; port: number }[] = [];
  const total = 40;
  server.on('message', (msg, rinfo) => {
    held.push({ msg: encodeMessage(replyTo(decodeMessage(msg), { answers: [{ name: NAME, type: RecordType.A, class: 1, ttl: 5, address: '10.9.0.1' }] })), port: rinfo.port });
    if (held.length === total) for (const h of held.reverse()) server.send(h.msg, h.port, '127.0.0.1');
  });
  const client = new DnsClient({ sockets: 1, rotateAfter: 1000 });
  t.teardown(() => client.close());
  const ns = parseNameserver(`127.0.0.1:${server.address().port}`);
  const q = encodeQuestion(NAME, RecordType.A);
  const replies = await Promise.all(Array.from({ length: total }, () => client.query(ns, q, 2000)));
  t.equal(new Set(replies.map((r) => r.message.id)).size, total, 'every query its own reply');
  t.match(client.stats.get(ns.key), { queries: total, rejected: 0, timeouts: 0 });
  t.equal(client.openSockets, 1, 'all from one socket');
});
