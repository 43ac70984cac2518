import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { encodeMessage } from '../../src/dns/encode.ts';
import { emptyMessage } from '../../src/dns/message.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { RemoteStore } from '../../src/registry/store-remote.ts';
import { answerHash, answerKey, questionEnd, ResponseRateLimiter, slipReply, sourcePrefix } from '../../src/server/rrl.ts';
import { nameHash } from '../../src/server/query.ts';
import { Responder } from '../../src/server/responder.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig } from './helpers.ts';
import { herald } from '../sidecar/processes.ts';

/** The clock of the tests that never wait. */
const NOW = 0;

t.test('source prefixes: /24 for IPv4, /56 for IPv6', async (t) => {
  t.equal(sourcePrefix('10.1.2.3', 24, 56), '10.1.2.0/24');
  t.equal(sourcePrefix('127.0.0.2', 24, 56), sourcePrefix('127.0.0.3', 24, 56));
  t.not(sourcePrefix('127.0.0.2', 24, 56), sourcePrefix('127.0.1.2', 24, 56));
  t.equal(sourcePrefix('2001:db8:1:2345:6789::1', 24, 56), '2001:db8:1:2300:0:0:0:0/56');
  t.equal(sourcePrefix('::1', 24, 56), '0:0:0:0:0:0:0:0/56');
  t.equal(sourcePrefix('::ffff:10.9.8.7', 24, 56), '10.9.8.0/24');
});

t.test('token bucket: the limit a second, one slip in every `slip` limited replies', async (t) => {
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 10, slip: 2 });
  const count = (n: number, now: number, key = 1) => {
    const c = { send: 0, slip: 0, drop: 0 };
    const source = rrl.prefixOf('10.0.0.1', NOW);
    for (let i = 0; i < n; i++) c[rrl.check(source, key, now)]++;
    return c;
  };
  t.same(count(100, 0), { send: 10, slip: 45, drop: 45 }, 'a burst: one second\'s worth, then half slipped');
  t.same(count(100, 500), { send: 5, slip: 47, drop: 48 }, 'half a second later: half the limit again (the slip count runs on)');
  t.same(count(5, 500, 2), { send: 5, slip: 0, drop: 0 }, 'another answer has its own account');
  t.same(count(100, 60_000), { send: 10, slip: 45, drop: 45 }, 'an account holds one second at most');
  const never = new ResponseRateLimiter({ responsesPerSecond: 1, slip: 0 });
  const one = never.prefixOf('10.0.0.1', NOW);
  t.same([never.check(one, 1, 0), never.check(one, 1, 0), never.check(one, 1, 0)], ['send', 'drop', 'drop']);
  t.equal(rrl.prefixOf('127.0.0.2', NOW), rrl.prefixOf('127.0.0.3', NOW), 'one /24, one set of accounts');
  t.not(rrl.prefixOf('127.0.0.2', NOW), rrl.prefixOf('127.0.1.2', NOW));
  t.throws(() => new ResponseRateLimiter({ slip: -1 }), { code: 'HERALD_INVALID_ARGUMENT' });
});

t.test('the prefix of a source looked up again, alone or between others, is the same prefix', async (t) => {
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 10 });
  const a = rrl.prefixOf('10.0.0.1', NOW);
  t.equal(rrl.prefixOf('10.0.0.1', NOW), a, 'twice in a row');
  const b = rrl.prefixOf('10.0.1.1', NOW);
  t.not(b, a);
  t.equal(rrl.prefixOf('10.0.0.1', NOW), a, 'after another source');
  t.equal(rrl.prefixOf('10.0.0.2', NOW), a, 'another address of its /24');
  t.equal(rrl.prefixOf('10.0.1.1', NOW), b);
  t.equal(rrl.prefixOf('10.0.1.1', NOW).prefix, '10.0.1.0/24');
});

t.test('answer keys of all 32 bits are accounts of their own', async (t) => {
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 1, slip: 0 });
  const source = rrl.prefixOf('10.0.0.1', NOW);
  const keys = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
  t.same(keys.map((k) => rrl.check(source, k, 0)), keys.map(() => 'send'), 'each key its first reply');
  t.same(keys.map((k) => rrl.check(source, k, 0)), keys.map(() => 'drop'), 'each key limited on its own');
  t.equal(rrl.accounts, keys.length);
});

t.test('accounts are bounded: idle ones are swept, and if none is idle, all go; a network keeps one set of accounts through a sweep', async (t) => {
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 1, slip: 0, windowSeconds: 1, maxAccounts: 16 });
  for (let i = 0; i < 16; i++) rrl.check(rrl.prefixOf(`10.0.${i}.1`, 0), 7, 0);
  t.equal(rrl.accounts, 16);
  const busy = rrl.prefixOf('10.9.0.1', 2_000);
  t.equal(rrl.check(busy, 7, 2_000), 'send', 'a 17th network, a window later: the idle ones were swept');
  t.equal(rrl.accounts, 1);
  t.equal(rrl.prefixOf('10.9.0.2', 2_000), busy, 'another address of that network finds its accounts');
  t.equal(rrl.check(rrl.prefixOf('10.9.0.2', 2_000), 7, 2_000), 'drop', 'and is limited with it: one network, one limit');
  for (let i = 0; i < 15; i++) rrl.check(rrl.prefixOf(`10.1.${i}.1`, 2_000), 7, 2_000);
  t.equal(rrl.accounts, 16);
  const late = rrl.prefixOf('10.8.0.1', 2_000);
  t.equal(rrl.check(late, 7, 2_000), 'send', 'a 17th network, none idle: all accounts went');
  t.equal(rrl.accounts, 1);
  t.equal(rrl.check(rrl.prefixOf('10.9.0.1', 2_000), 7, 2_000), 'send', 'a network limited before starts afresh');
  t.equal(rrl.prefixOf('10.8.0.2', 2_000), late);
  t.equal(rrl.check(late, 7, 2_000), 'drop');
});

t.test('a swept network is one network again, by an address seen before it was swept and by one not', async (t) => {
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 1, slip: 0, windowSeconds: 1, maxAccounts: 16 });
  rrl.check(rrl.prefixOf('10.0.0.1', 0), 7, 0);
  const other = rrl.prefixOf('10.1.0.1', 0);
  for (let k = 0; k < 15; k++) rrl.check(other, k, 0);
  rrl.check(other, 15, 2_000);
  t.equal(rrl.accounts, 1, 'swept');
  const seen = rrl.prefixOf('10.0.0.1', 2_000);
  t.equal(rrl.prefixOf('10.0.0.2', 2_000), seen);
  t.equal(rrl.check(seen, 7, 2_000), 'send');
  t.equal(rrl.check(rrl.prefixOf('10.0.0.2', 2_000), 7, 2_000), 'drop', 'one limit');
});

t.test('a sweep keeps the accounts of a network that are not idle, whichever was made first', async (t) => {
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 1, slip: 0, windowSeconds: 1, maxAccounts: 16 });
  const p = rrl.prefixOf('10.0.0.1', 0);
  rrl.check(p, 1, 0);
  for (let k = 2; k <= 15; k++) rrl.check(p, k, 1_500);
  rrl.check(rrl.prefixOf('10.1.0.1', 1_500), 1, 1_500);
  t.equal(rrl.accounts, 16);
  t.equal(rrl.check(p, 99, 2_000), 'send', 'a new answer: the sweep forgot only the first, idle account');
  t.equal(rrl.accounts, 16);
  t.same([2, 9, 15, 99].map((k) => rrl.check(p, k, 2_000)), ['drop', 'drop', 'drop', 'drop'], 'the others kept their spent tokens');
  t.equal(rrl.check(rrl.prefixOf('10.1.0.1', 2_000), 1, 2_000), 'drop');
});

t.test('a 17th answer of one network, none idle: all accounts go, and the network keeps its one set', async (t) => {
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 1, slip: 0, windowSeconds: 1, maxAccounts: 16 });
  const source = rrl.prefixOf('10.0.0.1', 0);
  for (let k = 0; k < 16; k++) rrl.check(source, k, 0);
  t.equal(rrl.accounts, 16);
  t.equal(rrl.check(source, 16, 0), 'send');
  t.equal(rrl.accounts, 1);
  t.equal(rrl.check(source, 0, 0), 'send', 'an answer limited before starts afresh');
  t.equal(rrl.prefixOf('10.0.0.2', 0), source, 'another address of the network finds the same accounts');
  t.equal(rrl.check(rrl.prefixOf('10.0.0.2', 0), 16, 0), 'drop');
});

function query(name: string, id: number, type = 1): Buffer {
  const m = emptyMessage(id);
  m.questions = [{ name, type, class: 1 }];
  return encodeMessage(m);
}

t.test('answer keys ignore the case of the name; a slip is header and question with TC', async (t) => {
  const q = query('A.Moray.coal.joyent.us', 7);
  const q2 = query('a.moray.COAL.joyent.us', 8);
  t.equal(answerHash(q, questionEnd(q)!), answerHash(q2, questionEnd(q2)!));
  t.not(answerHash(q, questionEnd(q)!), answerHash(query('b.moray.coal.joyent.us', 7), questionEnd(q)!));
  t.equal(answerHash(q, questionEnd(q)!), answerKey(nameHash('a.moray.coal.joyent.us'), 1, 1, 0), 'the key read off a packet is the key of its parts');
  t.not(answerHash(q, questionEnd(q)!), answerHash(query('A.Moray.coal.joyent.us', 7, 33), questionEnd(q)!), 'another type, another account');
  const slip = slipReply(q, questionEnd(q)!);
  t.equal(slip[2]! & 0x02, 0x02);
  t.equal(slip.length, questionEnd(q));
});

t.test('the responder keys its replies as the gate would read them off the reply: one account per answer on either path', async (t) => {
  const r = new Responder('coal.joyent.us', 100);
  r.setSnapshot(new Map([
    ['/us/joyent/coal', { path: '/us/joyent/coal', data: null, children: ['moray'] }],
    ['/us/joyent/coal/moray', { path: '/us/joyent/coal/moray', data: serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }), children: ['a'] }],
    ['/us/joyent/coal/moray/a', { path: '/us/joyent/coal/moray/a', data: hostRecordJson({ type: 'moray_host', address: '10.0.0.1', ports: [2021], ttl: 30 }), children: [] }],
  ]));
  for (const [name, type] of [['A.moray.coal.joyent.us', 1], ['a.moray.coal.joyent.us', 1], ['_moray._tcp.MORAY.coal.joyent.us', 33], ['_x._y.moray.coal.joyent.us', 33]] as const) {
    for (let i = 0; i < 2; i++) { // a miss, then a hit
      const reply = r.handle(query(name, 9, type), false)!;
      t.equal(reply[3]! & 0xf, name.startsWith('_x') ? 3 : 0);
      t.ok(r.answerKey >= 0, `${name} ${type} keyed`);
      t.equal(r.answerKey, answerHash(reply, questionEnd(reply)!), `${name} ${type}`);
    }
  }
  r.handle(query('not.held.example', 9), false);
  t.equal(r.answerKey, -1, 'a bare reply is left to the gate');
});

async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

interface Tally { full: number; tc: number; other: number }

/** A UDP client bound to one loopback address, tallying replies by kind. */
async function client(address: string): Promise<{ socket: Socket; tally: Tally }> {
  const socket = createSocket('udp4');
  const tally: Tally = { full: 0, tc: 0, other: 0 };
  socket.on('message', (m) => {
    if (m[2]! & 0x02) tally.tc++;
    else if (m.readUInt16BE(6) > 0) tally.full++;
    else tally.other++;
  });
  await new Promise<void>((r) => socket.bind(0, address, r));
  return { socket, tally };
}

t.test('herald serve at its default: a flood from 127.0.0.2 is limited, other clients are answered in full', async (t) => {
  const serve = herald(['serve', '--registry', 'memory', '--registry-listen', '127.0.0.1:0', '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0', '--threads', '1']);
  t.teardown(() => serve.stop());
  await waitFor('serve', () => /listening 127\.0\.0\.1:(\d+)/.test(serve.stdout), 20_000, 20);
  const port = Number(/listening 127\.0\.0\.1:(\d+)/.exec(serve.stdout)![1]);
  const store = RemoteStore.open(/registry (\S+)/.exec(serve.stdout)![1]!);
  t.teardown(() => store.close());
  await store.ready(5000);
  await store.putPersistent('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }));
  for (const [i, n] of ['a', 'b'].entries()) await store.putEphemeral(`/us/joyent/coal/moray/${n}`, hostRecordJson({ type: 'moray_host', address: `10.0.0.${i + 1}`, ports: [2021], ttl: 30 }));
  await waitFor('served', async () => (await dig(port, ['A', 'a.moray.coal.joyent.us'])).answer.length === 1, 10_000);

  const flood = await client('127.0.0.2');
  // The same /24 asking another answer (its own account), and another /24 asking the flooded one.
  const neighbour = await client('127.0.0.3');
  const elsewhere = await client('127.0.1.3');
  t.teardown(() => { flood.socket.close(); neighbour.socket.close(); elsewhere.socket.close(); });
  const flooded = query('a.moray.coal.joyent.us', 1);
  const other = query('b.moray.coal.joyent.us', 2);

  const FLOOD = 6000;
  const cpu0 = await cpuMs(serve.child.pid!);
  const start = performance.now();
  // 6000 queries over about one second, in batches of 100 every 16 ms; the others 50 each, spread over it.
  for (let i = 0; i < FLOOD / 100; i++) {
    for (let j = 0; j < 100; j++) flood.socket.send(flooded, port, '127.0.0.1');
    if (i < 50) { neighbour.socket.send(other, port, '127.0.0.1'); elsewhere.socket.send(flooded, port, '127.0.0.1'); }
    await new Promise((r) => setTimeout(r, 16));
  }
  const wallMs = performance.now() - start;
  await new Promise((r) => setTimeout(r, 500));
  const cpuUsed = (await cpuMs(serve.child.pid!)) - cpu0;

  const f = flood.tally;
  t.ok(f.full <= 1000 + (1000 * wallMs) / 1000 + 50, `full answers to the flood held to the limit: ${f.full} in ${wallMs.toFixed(0)} ms`);
  t.ok(f.full >= 900, `but the limit is still answered (${f.full})`);
  t.ok(f.tc > 0.3 * (FLOOD - f.full) * 0.8, `about half the limited replies slipped with TC: ${f.tc} of ${FLOOD - f.full}`);
  t.equal(f.other, 0);
  t.same(neighbour.tally, { full: 50, tc: 0, other: 0 }, '127.0.0.3 (same /24, another answer): all answered in full');
  t.same(elsewhere.tally, { full: 50, tc: 0, other: 0 }, '127.0.1.3 (another /24, the flooded answer): all answered in full');
  t.ok(cpuUsed < wallMs * 0.8, `server CPU during the flood: ${cpuUsed} ms over ${wallMs.toFixed(0)} ms`);
  const lines = serve.stderr.split('\n').filter((l) => l.includes('rate limiting replies'));
  t.equal(lines.length, 1, 'one log line for the prefix');
  t.match(lines[0], /127\.0\.0\.0\/24/);
  t.equal((await dig(port, ['A', 'a.moray.coal.joyent.us', '+tcp'])).answer.length, 1, 'TCP is never limited');
});
