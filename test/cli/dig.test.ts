import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Bind } from '../fixtures/bind.ts';
import { HostileResponder } from '../resolver/hostile.ts';
import { COAL, REVERSE } from '../resolver/zones.ts';
import { herald } from './dig-run.ts';

const run = promisify(execFile);
const bind = await Bind.start([COAL, REVERSE]);
const refusing = await Bind.start();
t.teardown(async () => { await bind.stop(); await refusing.stop(); });
const at = ['@127.0.0.1', '-p', String(bind.port)];

async function realDig(args: string[]): Promise<string> {
  return (await run('dig', [...at, ...args])).stdout;
}
const lines = (text: string) => text.split('\n').filter(Boolean).sort();

t.test('+short equals real dig +short, line for line (as sets)', async (t) => {
  const cases: [string[], number][] = [
    [['web.coal.joyent.us'], 0],
    [['A', 'a.moray.coal.joyent.us'], 0],
    [['SRV', '_moray._tcp.moray.coal.joyent.us'], 0],
    [['-t', 'srv', '_moray._tcp.moray.coal.joyent.us'], 0],
    [['AAAA', 'a.moray.coal.joyent.us'], 0],
    [['-x', '10.0.0.1'], 0],
    [['PTR', '2.0.0.10.in-addr.arpa'], 0],
    [['SRV', '_big._tcp.big.coal.joyent.us'], 0], // 60 targets: TC over UDP, then TCP
    [['a.moray.coal.joyent.us', 'SRV'], 1], // NODATA
    [['nothing.coal.joyent.us'], 1], // NXDOMAIN
  ];
  for (const [args, code] of cases) {
    const ours = await herald(['dig', ...at, '+short', ...args]);
    const theirs = await realDig(['+short', ...args]);
    t.same(lines(ours.stdout), lines(theirs), `dig +short ${args.join(' ')}`);
    t.equal(ours.code, code, `exit ${code} for ${args.join(' ')}`);
    if (code === 1) t.match(ours.stderr, /NXDOMAIN|no data/);
  }
});

t.test('full output: dig-like sections, records laid out as dig lays them out', async (t) => {
  const args = ['SRV', '_moray._tcp.moray.coal.joyent.us'];
  const ours = await herald(['dig', ...at, ...args]);
  const theirs = await realDig(args);
  t.equal(ours.code, 0);
  t.match(ours.stdout, /;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+\n;; flags: qr aa rd; QUERY: 1, ANSWER: 3, AUTHORITY: 0, ADDITIONAL: 5\n/);
  const section = (text: string, name: string) => {
    const m = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)\\n\\n`).exec(text);
    return m ? m[1]!.split('\n').sort() : [];
  };
  for (const name of ['QUESTION', 'ANSWER', 'ADDITIONAL']) {
    t.same(section(ours.stdout, name), section(theirs, name), `${name} section identical to dig's`);
  }
  t.match(ours.stdout, new RegExp(`;; SERVER: 127\\.0\\.0\\.1#${bind.port}\\(127\\.0\\.0\\.1\\) \\(UDP\\)`));
  const nx = await herald(['dig', ...at, 'nothing.coal.joyent.us']);
  t.equal(nx.code, 1);
  t.same(section(nx.stdout, 'AUTHORITY'), section(await realDig(['nothing.coal.joyent.us']), 'AUTHORITY'));
  t.match(nx.stdout, /status: NXDOMAIN/);
});

t.test('+json', async (t) => {
  const out = await herald(['dig', ...at, 'SRV', '_moray._tcp.moray.coal.joyent.us', '+json']);
  t.equal(out.code, 0);
  const j = JSON.parse(out.stdout);
  t.match(j, { status: 'NOERROR', nameserver: bind.nameserver, flags: ['qr', 'aa', 'rd'], tcp: false });
  t.equal(j.answer.length, 3);
  t.match(j.answer[0], { class: 'IN', type: 'SRV', ttl: 60, priority: 0, weight: 10, data: /^0 10 202[12] [abc]\.moray\.coal\.joyent\.us\.$/ });
});

t.test('+tcp asks over TCP', async (t) => {
  const out = await herald(['dig', ...at, '+tcp', 'web.coal.joyent.us']);
  t.match(out.stdout, /\(TCP\)/);
});

t.test('negative answers and unreachable servers: exit 1 and say which', async (t) => {
  const refused = await herald(['dig', '@127.0.0.1', '-p', String(refusing.port), '+short', 'web.coal.joyent.us', '+tries=1']);
  t.equal(refused.code, 1);
  t.equal(refused.stdout, '');
  t.match(refused.stderr, new RegExp(`no nameserver answered \\(127\\.0\\.0\\.1:${refusing.port} REFUSED\\)`));
  const silent = await HostileResponder.start('silence');
  t.teardown(() => silent.close());
  const [, port] = silent.nameserver.split(':');
  const t0 = performance.now();
  const timedOut = await herald(['dig', '@127.0.0.1', '-p', port!, '+short', '+time=1', '+tries=1', 'web.coal.joyent.us']);
  t.equal(timedOut.code, 1);
  t.match(timedOut.stderr, /connection timed out; no servers could be reached/);
  t.ok(performance.now() - t0 < 2500, '+time=1 +tries=1 bounds it');
});

t.test('bad usage: exit 2 with one line and the usage', async (t) => {
  for (const args of [['+bogus', 'x.y'], ['-p', '99999', 'x.y'], ['+short'], ['-x', 'nope'], ['@not-an-ip', 'x.y'], ['bad name!']]) {
    const out = await herald(['dig', ...args]);
    t.equal(out.code, 2, `dig ${args.join(' ')}`);
    t.match(out.stderr, /^herald dig: .+\nusage: herald dig/);
  }
});

t.test('the real binary: bin/herald.js dig', async (t) => {
  const bin = fileURLToPath(new URL('../../bin/herald.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'dig', ...at, '+short', 'SRV', '_moray._tcp.moray.coal.joyent.us'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  const code = await new Promise((r) => child.once('exit', r));
  t.equal(code, 0);
  t.same(lines(out), lines(await realDig(['+short', 'SRV', '_moray._tcp.moray.coal.joyent.us'])));
});
