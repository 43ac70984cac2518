import t from 'tap';
import { Bind, type Zone } from '../fixtures/bind.ts';
import { herald } from './dig-run.ts';
import { replyTo, ScriptedServer } from '../resolver/scripted.ts';

const zone = (records: string): Zone => ({ origin: 'wait.test', minimum: 1, records });
const both = 'web 1 IN A 10.5.0.1\n';
const one = await Bind.start([zone(both + 'web 1 IN A 10.5.0.2\n')]);
const two = await Bind.start([zone(both)]);
const refusing = await Bind.start();
t.teardown(async () => { await one.stop(); await two.stop(); await refusing.stop(); });
const fast = ['--interval', '0.1', '--query-timeout', '0.5'];

t.test('--in waits while two nameservers disagree, then passes when both agree', async (t) => {
  const t0 = performance.now();
  const waiting = herald(['wait', '--in', 'web.wait.test', '10.5.0.2', '--nameservers', `${one.nameserver},${two.nameserver}`, '--timeout', '10', ...fast]);
  await new Promise((r) => setTimeout(r, 700));
  await two.setZone(zone(both + 'web 1 IN A 10.5.0.2\n'));
  const out = await waiting;
  t.equal(out.code, 0, out.stderr);
  t.ok(performance.now() - t0 >= 700, 'did not pass before the second nameserver agreed');
  t.match(out.stdout, /10\.5\.0\.2 in web\.wait\.test on all 2 nameservers/);
  await two.setZone(zone(both));
});

t.test('timeout: exit 1 naming each nameserver that did not agree and what it said', async (t) => {
  const out = await herald(['wait', '--in', 'web.wait.test', '10.5.0.2', '--nameservers', `${one.nameserver},${two.nameserver}`, '--timeout', '0.6', ...fast]);
  t.equal(out.code, 1);
  t.match(out.stderr, /^herald wait: timed out after 0\.6 s: 1 of 2 nameservers/);
  t.match(out.stderr, new RegExp(`${two.nameserver} answers 10\\.5\\.0\\.1\\n$`));
  t.notMatch(out.stderr, one.nameserver);
});

t.test('--out with one nameserver refusing never passes falsely', async (t) => {
  const out = await herald(['wait', '--out', 'web.wait.test', '10.5.0.9', '--nameservers', `${one.nameserver},${refusing.nameserver}`, '--timeout', '0.6', ...fast]);
  t.equal(out.code, 1, 'REFUSED is not "absent"');
  t.match(out.stderr, new RegExp(`${refusing.nameserver} REFUSED`));
  const json = await herald(['wait', '--out', 'web.wait.test', '10.5.0.9', '--nameservers', one.nameserver, '--json', ...fast]);
  t.equal(json.code, 0);
  t.match(JSON.parse(json.stdout), { met: true, nameservers: [{ nameserver: one.nameserver, agrees: true, said: 'answers 10.5.0.1, 10.5.0.2' }] });
});

t.test('--out passes once the address left every nameserver; NXDOMAIN counts as out', async (t) => {
  const waiting = herald(['wait', '--out', 'web.wait.test', '10.5.0.1', '--nameservers', `${one.nameserver},${two.nameserver}`, '--timeout', '10', ...fast]);
  await new Promise((r) => setTimeout(r, 400));
  await one.setZone(zone('web 1 IN A 10.5.0.2\n'));
  await two.setZone(zone(''));
  const out = await waiting;
  t.equal(out.code, 0, out.stderr);
  await one.setZone(zone(both + 'web 1 IN A 10.5.0.2\n'));
  await two.setZone(zone(both));
});

t.test('--bootstrap: the nameservers from _dns._udp SRV', async (t) => {
  await one.setZone(zone(both + `web 1 IN A 10.5.0.2\n_dns._udp 60 IN SRV 0 10 ${one.port} ns1\n_dns._udp 60 IN SRV 0 10 ${two.port} ns2\nns1 60 IN A 127.0.0.1\nns2 60 IN A 127.0.0.1\n`));
  const out = await herald(['wait', '--in', 'web.wait.test', '10.5.0.1', '--bootstrap', 'wait.test', '--nameservers', one.nameserver, ...fast]);
  t.equal(out.code, 0, out.stderr);
  t.match(out.stdout, /on all 2 nameservers/);
  t.match(out.stdout, two.nameserver);
});

t.test('bad usage: exit 2', async (t) => {
  for (const args of [['--in', 'web.wait.test'], ['web.wait.test', '10.5.0.1'], ['--in', '--out', 'a.b', '10.0.0.1'], ['--in', 'a.b', 'not-ip'], ['--in', 'a.b', '10.0.0.1', '--timeout', 'x'], ['--in', 'a.b', '10.0.0.1', '--nameservers', 'bogus']]) {
    const out = await herald(['wait', ...args]);
    t.equal(out.code, 2, `wait ${args.join(' ')}`);
    t.match(out.stderr, /^herald wait: .+\nusage: herald wait/);
  }
});

t.test('--out: a nameserver whose reply is truncated even over TCP has not shown the address gone', async (t) => {
  // What a server over the 64 KiB TCP limit sent: TC over UDP, and TC with no records over TCP.
  const truncating = await ScriptedServer.start((q) => [replyTo(q, { tc: true })]);
  t.teardown(() => truncating.close());
  const out = await herald(['wait', '--out', 'web.wait.test', '10.5.0.9', '--nameservers', `${two.nameserver},${truncating.nameserver}`, '--timeout', '0.6', ...fast]);
  t.equal(out.code, 1, 'not met');
  t.match(out.stderr, new RegExp(`1 of 2 nameservers .*${truncating.nameserver} error \\(truncated over TCP`));
});
