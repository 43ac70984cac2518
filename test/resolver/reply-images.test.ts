import { createSocket } from 'node:dgram';
import t, { type Test } from 'tap';
import { decodeMessage, encodeMessage, RecordType, type Message, type ResourceRecord, type SrvRecord } from '../../src/dns/index.ts';
import { DnsClient, lookup } from '../../src/index.ts';
import { encodeQuestion } from '../../src/resolver/question.ts';
import { ReplyImages } from '../../src/resolver/reply-images.ts';
import { replyTo, ScriptedServer, type Script } from './scripted.ts';

// A resolver polls the same names and the answer rarely changes: a reply whose bytes after the ID are those of
// one already decoded and checked for the same question reuses that decoding. These tests hold it to what that
// may and may not change: every datagram is still checked against its query, any byte of difference is decoded
// afresh, and the records one caller gets cannot be changed by another.

const D = 'svc.images.test';
const SRV = `_http._tcp.${D}`;

interface Knobs { ttl: number; address: string; aa: boolean }

/** One SRV with its glue, as `knobs` say now. */
function answer(q: Message, k: Knobs): Message {
  const name = q.questions[0]!.name;
  return replyTo(q, {
    aa: k.aa,
    answers: [{ name, type: RecordType.SRV, class: 1, ttl: k.ttl, priority: 0, weight: 10, port: 2021, target: `a.${D}` }],
    additionals: [{ name: `a.${D}`, type: RecordType.A, class: 1, ttl: k.ttl, address: k.address }],
    edns: { udpSize: 1232, version: 0, dnssecOk: false },
  });
}

async function server(t: Test, script: Script): Promise<ScriptedServer> {
  const s = await ScriptedServer.start(script);
  t.teardown(() => s.close());
  return s;
}

function client(t: Test): DnsClient {
  const c = new DnsClient();
  t.teardown(() => c.close());
  return c;
}

const address = (records: readonly ResourceRecord[]) => records.map((r) => ('address' in r ? r.address : '')).join();

t.test('the same reply again: one shared decoding, frozen, each message with its own reply\'s ID; the first caller\'s records stay its own', async (t) => {
  const ids: number[] = [];
  const knobs: Knobs = { ttl: 30, address: '10.5.0.1', aa: true };
  const s = await server(t, (q) => { ids.push(q.id); return [answer(q, knobs)]; });
  const c = client(t);
  const o = { nameservers: [s.nameserver], client: c, tries: 1, timeoutMs: 1000 };
  const results = [];
  for (let i = 0; i < 5; i++) results.push(await lookup(SRV, 'SRV', o));
  const [first, second, third] = results as [typeof results[0], typeof results[0], typeof results[0]];
  t.equal(third.answers, second.answers, 'one decoding serves the identical replies');
  t.not(first.answers, second.answers, 'but not the one that was decoded for its own caller');
  t.same(results.map((r) => r.message.id), ids, 'each message carries the ID of the reply it is, not the first one\'s');
  t.same(results.map((r) => address(r.additionals)), Array(5).fill('10.5.0.1'));

  // The first caller's records are its own: changing them changes nothing anyone else gets.
  const mine = first.answers[0] as SrvRecord;
  mine.port = 1;
  (first.additionals as ResourceRecord[]).length = 0;
  // The shared ones are frozen: one caller cannot change what the next one gets.
  const srv = second.answers[0] as SrvRecord;
  t.throws(() => { srv.port = 1; }, TypeError, 'a record is frozen');
  t.throws(() => { (second.answers as ResourceRecord[]).push(srv); }, TypeError, 'a section is frozen');
  t.throws(() => { (second.additionals as ResourceRecord[]).length = 0; }, TypeError);
  t.throws(() => { second.message.questions[0]!.name = 'evil.example'; }, TypeError, 'the question is frozen');
  t.throws(() => { second.message.edns!.udpSize = 1; }, TypeError, 'EDNS is frozen');
  second.message.id = 7; // the message itself is each caller's own
  const next = await lookup(SRV, 'SRV', o);
  t.match(next.answers, [{ port: 2021, target: `a.${D}` }]);
  t.equal(address(next.additionals), '10.5.0.1');
  t.equal(next.message.id, ids.at(-1));
  t.equal(next.message.questions[0]!.name, SRV);
  t.equal(next.message.edns!.udpSize, 1232);
  t.match(c.stats.get(s.nameserver), { queries: 6, rejected: 0, timeouts: 0 });
});

t.test('a reply that differs in one byte after the ID is decoded afresh: a TTL, an address, a header flag', async (t) => {
  const knobs: Knobs = { ttl: 30, address: '10.5.0.1', aa: true };
  const s = await server(t, (q) => [answer(q, knobs)]);
  const o = { nameservers: [s.nameserver], client: client(t), tries: 1, timeoutMs: 1000 };
  await lookup(SRV, 'SRV', o);
  const again = await lookup(SRV, 'SRV', o);
  knobs.ttl = 31;
  const ttl = await lookup(SRV, 'SRV', o);
  t.same([ttl.answers[0]!.ttl, ttl.additionals[0]!.ttl], [31, 31], 'the new TTL, not the image\'s');
  knobs.address = '10.5.0.2'; // same length, one byte apart
  t.equal(address((await lookup(SRV, 'SRV', o)).additionals), '10.5.0.2', 'the new address');
  knobs.aa = false;
  t.equal((await lookup(SRV, 'SRV', o)).message.aa, false, 'the new flags');
  Object.assign(knobs, { ttl: 30, address: '10.5.0.1', aa: true });
  const back = await lookup(SRV, 'SRV', o);
  t.equal(back.answers, again.answers, 'the first answer again: its image still serves it');
  t.equal(address(back.additionals), '10.5.0.1');
});

t.test('shuffled orders a byte or two apart: each reply gets its own order, also past the point where they are told apart', async (t) => {
  // BIND's answer of 3 SRV records to a.., b.., c..: its 6 orders differ only in the targets' first letters.
  const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const letters = ['a', 'b', 'c'];
  let n = 0;
  let sent: string[] = [];
  const s = await server(t, (q) => {
    const order = orders[n++ % orders.length]!;
    sent = order.map((i) => `${letters[i]}.${D}`);
    return [replyTo(q, { answers: sent.map((target) => ({ name: q.questions[0]!.name, type: RecordType.SRV, class: 1, ttl: 30, priority: 0, weight: 10, port: 2021, target })) })];
  });
  const c = client(t);
  const o = { nameservers: [s.nameserver], client: c, tries: 1, timeoutMs: 1000 };
  const seen = new Map<string, readonly ResourceRecord[]>();
  for (let i = 0; i < 4 * orders.length; i++) {
    const r = await lookup(SRV, 'SRV', o);
    const got = r.answers.map((a) => ('target' in a ? a.target : ''));
    t.same(got, sent, `lookup ${i}: the order this reply carries`);
    if (i >= 2 * orders.length) {
      // By the third round every order has an image with a decoding: each order always gets the same one.
      const key = got.join();
      if (seen.has(key)) t.equal(r.answers, seen.get(key), `lookup ${i}: from its own order's image`);
      seen.set(key, r.answers);
    }
  }
  t.equal(seen.size, orders.length);
  t.match(c.stats.get(s.nameserver), { rejected: 0, timeouts: 0 });
});

t.test('an image\'s bytes prove nothing about a datagram: wrong ID, foreign answers and another source are still rejected', async (t) => {
  const knobs: Knobs = { ttl: 30, address: '10.5.0.1', aa: true };
  let tricks = false;
  let forged = 0;
  let lastId = -1;
  const evil = (q: Message) => replyTo(q, {
    answers: [{ name: '_http._tcp.evil.example', type: RecordType.SRV, class: 1, ttl: 30, priority: 0, weight: 10, port: 2021, target: `a.${D}` }],
    additionals: [{ name: `a.${D}`, type: RecordType.A, class: 1, ttl: 30, address: '203.0.113.66' }],
  });
  const s = await server(t, (q) => {
    lastId = q.id;
    if (!tricks) return [answer(q, knobs)];
    forged += 2;
    // The image's very bytes under another ID, then the right ID with a foreign answer, then the real reply.
    const wrongId = encodeMessage(answer(q, knobs));
    wrongId.writeUInt16BE((q.id + 1) & 0xffff, 0);
    return [wrongId, evil(q), answer(q, knobs)];
  });
  const c = client(t);
  const o = { nameservers: [s.nameserver], client: c, tries: 1, timeoutMs: 1000 };
  await lookup(SRV, 'SRV', o);
  const real = await lookup(SRV, 'SRV', o);
  tricks = true;
  for (let i = 0; i < 5; i++) {
    const r = await lookup(SRV, 'SRV', o);
    t.equal(r.answers, real.answers, `lookup ${i}: the real answer, from its image`);
    t.equal(r.message.id, lastId, 'with the ID of the query it answers');
  }
  t.equal(c.stats.get(s.nameserver)!.rejected, forged, 'every forgery dropped and counted');

  // The image's bytes with the right ID, from another source port: never taken, the lookup times out.
  tricks = false;
  const spoofer = createSocket('udp4');
  t.teardown(() => spoofer.close());
  await new Promise<void>((r) => spoofer.bind(0, '127.0.0.1', r));
  s.script = (q) => {
    const wire = encodeMessage(answer(q, knobs));
    spoofer.send(wire, s.sourcePorts.at(-1)!, '127.0.0.1');
    return [];
  };
  const err = await lookup(SRV, 'SRV', { ...o, timeoutMs: 300 }).catch((e: unknown) => e);
  t.match(err, { code: 'HERALD_LOOKUP_FAILED', attempts: [{ reason: 'timeout' }] }, 'a reply from another source is not the nameserver\'s');
});

t.test('a 0x20-cased echo of the question is not the image: it is decoded (and trusted, case-blind)', async (t) => {
  let upper = false;
  const s = await server(t, (q) => {
    const m = answer(q, { ttl: 30, address: '10.5.0.1', aa: true });
    if (upper) m.questions[0]!.name = m.questions[0]!.name.toUpperCase();
    return [m];
  });
  const o = { nameservers: [s.nameserver], client: client(t), tries: 1, timeoutMs: 1000 };
  await lookup(SRV, 'SRV', o);
  const plain = await lookup(SRV, 'SRV', o);
  upper = true;
  const cased = await lookup(SRV, 'SRV', o);
  t.not(cased.answers, plain.answers, 'decoded anew');
  t.equal(cased.message.questions[0]!.name, SRV.toUpperCase());
  t.notOk(Object.isFrozen(cased.answers[0]), 'its caller\'s own');
});

// The store itself: bounded per question and per nameserver, and never holding a record it cannot freeze.
const question = encodeQuestion(SRV, RecordType.SRV);

function reply(ttl: number, q = question, extra: ResourceRecord[] = []): Buffer {
  const m = decodeMessage(q.wire);
  return encodeMessage(replyTo(m, {
    answers: [{ name: q.name, type: RecordType.SRV, class: 1, ttl, priority: 0, weight: 10, port: 2021, target: `a.${D}` }, ...extra],
  }));
}

const NS = '127.0.0.1:53';

function keep(images: ReplyImages, wire: Buffer, q = question, ns = NS): void {
  images.remember(ns, q, wire, decodeMessage(wire));
}

t.test('ReplyImages: 24 orders per question, the oldest dropped first', async (t) => {
  const images = new ReplyImages();
  for (let ttl = 1; ttl <= 30; ttl++) keep(images, reply(ttl));
  t.same([1, 6].map((ttl) => images.find(NS, question, reply(ttl))), [undefined, undefined], 'the 6 oldest are gone');
  t.match(images.find(NS, question, reply(7)), { answers: [{ ttl: 7 }] });
  const found = images.find(NS, question, reply(30));
  t.match(found, { answers: [{ ttl: 30 }] });
  t.ok(Object.isFrozen(found!.answers) && Object.isFrozen(found!.answers[0]) && Object.isFrozen(found!.questions[0]), 'a shared decoding is frozen');
  const other = reply(30);
  other.writeUInt16BE(0xbeef, 0);
  t.equal(images.find(NS, question, other)?.id, 0xbeef, 'found whatever the ID, and given that ID');
  t.equal(images.find(NS, encodeQuestion(`x.${D}`, RecordType.SRV), reply(30)), undefined, 'only for the question it answered');
});

t.test('ReplyImages: only for the nameserver that sent it; at most 512 images per client; records held as bytes are never kept', async (t) => {
  const images = new ReplyImages();
  keep(images, reply(9));
  t.equal(images.find('127.0.0.2:53', question, reply(9)), undefined, 'the same bytes from another nameserver are not its image');
  t.ok(images.find(NS, question, reply(9)));
  // 512 questions spread over two nameservers fill the client's budget; one more image starts again.
  const questions = Array.from({ length: 512 }, (_, i) => encodeQuestion(`n${i}.${D}`, RecordType.SRV));
  questions.forEach((q, i) => keep(images, reply(5, q), q, i % 2 ? NS : '127.0.0.2:53'));
  t.equal(images.find(NS, question, reply(9)), undefined, 'past the bound, the old ones are dropped');
  t.ok(images.find(NS, questions[511]!, reply(5, questions[511]!)), 'the newest kept');
  t.equal(images.find('127.0.0.2:53', questions[510]!, reply(5, questions[510]!)), undefined, 'of every nameserver');

  const mx: ResourceRecord = { name: question.name, type: RecordType.MX, class: 1, ttl: 5, data: Uint8Array.from([0, 10, 1, 0x61, 0]) };
  const opaque = reply(5, question, [mx]);
  const m = decodeMessage(opaque);
  images.remember(NS, question, opaque, m);
  t.equal(images.find(NS, question, opaque), undefined, 'a record of raw bytes cannot be frozen: not kept');
  t.notOk(Object.isFrozen(m.answers), 'and its caller\'s decoding is left as it is');
});

t.test('ReplyImages: a question whose images match too few of its replies stops keeping them for a while', async (t) => {
  const images = new ReplyImages();
  // Every reply different (an answer shuffled more ways than are kept): no match in a whole window.
  for (let ttl = 1; ttl <= 80; ttl++) { const wire = reply(ttl); images.find(NS, question, wire); keep(images, wire); }
  t.equal(images.find(NS, question, reply(80)), undefined, 'its images are gone');
  keep(images, reply(500));
  t.equal(images.find(NS, question, reply(500)), undefined, 'and nothing is kept while it rests');
  for (let i = 0; i < 1024; i++) images.find(NS, question, reply(1));
  keep(images, reply(600));
  t.match(images.find(NS, question, reply(600)), { answers: [{ ttl: 600 }] }, 'after the rest, images again');

  const steady = new ReplyImages();
  keep(steady, reply(7));
  let found = 0;
  for (let i = 0; i < 300; i++) if (steady.find(NS, question, reply(7)) !== undefined) found++;
  t.equal(found, 300, 'an answer that repeats keeps its image');
});
