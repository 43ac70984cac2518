import t from 'tap';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/registry/open.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { waitFor } from '../fixtures/wait.ts';
import { dig, heraldServe } from '../server/helpers.ts';

// The memory registry protocol (`herald serve --registry-listen`) fed
// garbage by clients: the process, its DNS and its good sessions stay up.
const D = 'coal.joyent.us';
const serve = await heraldServe(['--registry', 'memory', '--registry-listen', '127.0.0.1:0', '--domain', D, '--threads', '1']);
t.teardown(() => serve.stop());
const [host, portText] = serve.registryUrl!.replace('memory://', '').split(':') as [string, string];
const registryPort = Number(portText);
const good = openStore(serve.registryUrl!);
t.teardown(() => good.close());
await good.ready(5000);
await good.putPersistent('/us/joyent/coal/moray', serviceRecordJson({ service: { srvce: '_moray', proto: '_tcp', port: 2021 } }));
await good.putEphemeral('/us/joyent/coal/moray/m1', hostRecordJson({ type: 'moray_host', address: '10.0.0.1', ports: [2021] }));
await waitFor('m1 in DNS', async () => (await dig(serve.port, ['SRV', `_moray._tcp.moray.${D}`])).answer.length === 1, 5000, 20);

function session(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(registryPort, host);
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends lines and collects the replies until `ms` passes or the server closes. */
async function exchange(lines: string[], ms = 300): Promise<string[]> {
  const s = await session();
  let got = '';
  s.on('data', (d: Buffer) => { got += d.toString(); });
  for (const l of lines) s.write(l + '\n');
  await Promise.race([sleep(ms), new Promise((r) => s.once('close', r))]);
  s.destroy();
  return got.split('\n').filter(Boolean);
}

const stillServing = async (t: { equal(a: unknown, b: unknown, m: string): unknown }) => {
  t.equal(serve.child.exitCode, null, 'herald serve is running');
  t.equal((await dig(serve.port, ['SRV', `_moray._tcp.moray.${D}`])).answer.length, 1, 'DNS answers');
  t.equal((await good.get('/us/joyent/coal/moray/m1'))?.ownedByMe, true, 'the good session is intact');
};

t.test('a line "null" gets a clear error, and the process keeps running', async (t) => {
  const replies = await exchange(['null', '7', '[]', '"get"', '{}', '{"id":1}', '{"id":2,"op":"get"}', '{"id":3,"op":"put","path":"/a"}',
    '{"id":4,"op":"putPersistent","path":"/a","data":{}}', '{"id":5,"op":"get","path":"relative"}', '{"id":6,"op":"get","path":"/us/joyent/coal/moray"}']);
  t.equal(replies.length, 11, 'one reply per line');
  const parsed = replies.map((l) => JSON.parse(l) as { id: number; ok: boolean; code?: string });
  t.same(parsed.slice(0, 10).map((r) => [r.ok, r.code]), Array.from({ length: 10 }, () => [false, 'HERALD_INVALID_ARGUMENT']));
  t.same(parsed.slice(0, 5).map((r) => r.id), [-1, -1, -1, -1, -1], 'no id to carry: -1');
  t.equal(parsed[10]!.ok, true, 'a good request on the same connection is still served');
  await stillServing(t);
});

// A small deterministic PRNG, so a failure can be replayed from its seed.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 0x100000000; };
}

t.test('fuzz: random and mutated lines, huge lines, half-open and never-reading connections', async (t) => {
  const random = rng(Number(process.env['FUZZ_SEED'] ?? 20261201));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const ops = ['get', 'children', 'delete', 'watchGone', 'putPersistent', 'putEphemeral', 'createSequential', 'mirror', 'unmirror', 'nope', '', '__proto__'];
  const values = [null, true, 0, -1, 1e308, 'x', '', [], {}, { a: 1 }, '/us/joyent/coal/moray', '/us/joyent/coal/moray/other', '/', '//', '/a/../b', '/herald/x', 'not/a/path'];
  const randomValue = (): unknown => (random() < 0.7 ? pick(values) : random() < 0.5 ? Math.floor(random() * 1e6) : String.fromCharCode(...Array.from({ length: Math.floor(random() * 20) }, () => Math.floor(random() * 0x3000))));
  let lines = 0;
  for (let round = 0; round < 40; round++) {
    const batch: string[] = [];
    for (let i = 0; i < 50; i++) {
      const kind = random();
      let line: string;
      if (kind < 0.5) {
        const req: Record<string, unknown> = {};
        if (random() < 0.9) req['id'] = random() < 0.8 ? Math.floor(random() * 1000) : randomValue();
        if (random() < 0.9) req['op'] = random() < 0.8 ? pick(ops) : randomValue();
        if (random() < 0.9) req['path'] = randomValue();
        if (random() < 0.6) req['data'] = randomValue();
        line = JSON.stringify(req);
      } else if (kind < 0.8) {
        // A valid-looking request with bytes flipped.
        const chars = [...JSON.stringify({ id: i, op: pick(ops), path: '/us/joyent/coal/moray', data: '{}' })];
        for (let f = 0; f < 3; f++) chars[Math.floor(random() * chars.length)] = String.fromCharCode(Math.floor(random() * 128));
        line = chars.join('').replace(/\n/g, ' ');
      } else {
        line = Array.from({ length: Math.floor(random() * 80) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');
      }
      batch.push(line);
    }
    lines += batch.length;
    await exchange(batch, 20);
  }
  // Lines over the 1 MiB limit, with and without a newline.
  for (const size of [(1 << 20) + 10, 4 << 20]) {
    const s = await session();
    const closed = new Promise((r) => s.once('close', r));
    s.write('{"id":1,"op":"get","path":"' + 'a'.repeat(size) + (size > 2 << 20 ? '"}\n' : ''));
    await Promise.race([closed, sleep(3000)]);
    t.ok(s.destroyed || s.readableEnded, `a ${size}-byte line ends that connection`);
    s.destroy();
    lines++;
  }
  // Half-open: a partial line, then the client's write side closed.
  for (let i = 0; i < 20; i++) {
    const s = await session();
    s.write(i % 2 ? '{"id":1,"op":"mirror","path":"/us' : '{"id":1,"op":"watchGone","path":"/nope"}\n{"id":2,');
    s.end();
    lines++;
  }
  // Subscribed to the whole tree and never reading, while the tree churns.
  const readers = await Promise.all(Array.from({ length: 5 }, () => session()));
  for (const s of readers) { s.pause(); s.write('{"id":1,"op":"mirror","path":"/"}\n'); lines++; }
  for (let i = 0; i < 200; i++) await good.putPersistent(`/us/joyent/coal/churn/n${i % 20}`, JSON.stringify({ type: 'host', host: { address: '10.9.9.9' }, pad: 'p'.repeat(2000), i }));
  for (const s of readers) s.destroy();
  t.comment(`${lines} lines sent over ${40 + 2 + 20 + 5} connections`);
  await sleep(200);
  await stillServing(t);
  const other = openStore(serve.registryUrl!);
  await other.ready(5000);
  t.equal((await other.children('/us/joyent/coal/moray'))?.length, 1, 'a new session works');
  await other.close();
});
