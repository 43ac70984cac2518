import t from 'tap';
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/registry/open.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import { ZooKeeper, mntrValue } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { reapOnExit } from '../fixtures/reap.ts';
import { dig } from '../server/helpers.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Running { child: ChildProcess; stdout: string; stderr: string; exit: Promise<number | null> }

function herald(args: string[]): Running {
  const child = spawn(process.execPath, [MAIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  reapOnExit(child);
  const r: Running = { child, stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d: Buffer) => { r.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { r.stderr += d.toString(); });
  return r;
}

/** Every stderr line is one bunyan-compatible JSON record. */
function logs(r: Running): Record<string, unknown>[] {
  return r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}
const logged = (r: Running, msg: RegExp): boolean => logs(r).some((l) => typeof l.msg === 'string' && msg.test(l.msg));

async function stop(r: Running): Promise<number | null> {
  if (r.child.exitCode === null) r.child.kill('SIGTERM');
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 5000);
  const code = await r.exit;
  clearTimeout(timer);
  return code;
}

/** Waits for `listening ADDR:PORT` on stdout; its port. */
async function listeningPort(r: Running): Promise<number> {
  await waitFor('listening', () => /listening 127\.0\.0\.1:(\d+)/.test(r.stdout), 30_000, 20);
  return Number(/listening 127\.0\.0\.1:(\d+)/.exec(r.stdout)![1]);
}

/** A ZooKeeper of its own and a writing session on it, both stopped when `t` ends. */
async function zookeeperWithWriter(t: Test): Promise<{ zk: ZooKeeper; writer: ZooKeeperStore }> {
  const zk = await ZooKeeper.start();
  t.teardown(() => zk.stop());
  const writer = ZooKeeperStore.open({ connect: zk.connectString });
  t.teardown(() => writer.close());
  await writer.ready(10_000);
  return { zk, writer };
}

t.test('bad usage exits 2 with one clear line', async (t) => {
  for (const args of [[], ['--domain', 'x.us'], ['--zk', '127.0.0.1:1', '--registry', 'memory', '--domain', 'x.us'], ['--registry', 'disk', '--domain', 'x.us'],
    ['--registry', 'memory', '--domain', 'x.us', '--threads', '0'], ['--zk', '127.0.0.1:1', '--domain', 'x.us', '--registry-listen', '127.0.0.1:0'],
    ['--registry', 'memory', '--domain', 'x.us', '--log-level', 'loud'], ['--registry', 'memory', '--domain', 'x.us', '--one-shot-watches']]) {
    const r = herald(args);
    t.equal(await r.exit, 2, args.join(' '));
    t.match(r.stderr, /^herald serve: .+\nusage:/);
  }
});

t.test('--registry memory: sidecars in other processes register through memory://; metrics; SIGTERM stops cleanly', async (t) => {
  const r = herald(['--registry', 'memory', '--registry-listen', '127.0.0.1:0', '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0', '--metrics', '127.0.0.1:0', '--threads', '2']);
  t.teardown(() => stop(r));
  await waitFor('herald serve to listen', () => /listening 127\.0\.0\.1:(\d+)/.test(r.stdout) && /^metrics \S+$/m.test(r.stdout), 30_000, 20).catch((err) => { throw new Error(`${err.message}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`); });
  const port = Number(/listening 127\.0\.0\.1:(\d+)/.exec(r.stdout)![1]);
  const registryUrl = /registry (memory:\/\/\S+)/.exec(r.stdout)![1]!;
  t.match(r.stdout, /^registry memory:\/\/127\.0\.0\.1:\d+\nmetrics http:\/\/127\.0\.0\.1:\d+\/metrics\nlistening 127\.0\.0\.1:\d+ domain coal\.joyent\.us\n$/, 'stdout: the machine-readable lines only');
  const metricsUrl = /^metrics (\S+)$/m.exec(r.stdout)![1]!;
  const store = openStore(registryUrl);
  await store.ready(5000);
  await store.putPersistent('/us/joyent/coal/web', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
  await store.putEphemeral('/us/joyent/coal/web/w1', hostRecordJson({ type: 'load_balancer', address: '10.0.0.5', ports: [8080], ttl: 30 }));
  const answer = async () => (await dig(port, ['SRV', '_http._tcp.web.coal.joyent.us'])).answer;
  await waitFor('the instance in DNS', async () => (await answer()).length === 1, 5000, 20);
  t.same(await answer(), ['_http._tcp.web.coal.joyent.us. 60 IN SRV 0 10 8080 w1.web.coal.joyent.us.']);
  // Both UDP threads answer: many source ports, every reply right.
  for (let i = 0; i < 10; i++) t.equal((await dig(port, ['+short', 'A', 'w1.web.coal.joyent.us'])).raw.trim(), '10.0.0.5');
  await store.close();
  await waitFor('the instance gone with its session', async () => (await answer()).length === 0, 5000, 20);
  await waitFor('its joining and leaving logged', () => logged(r, /^instance w1 left web\.coal\.joyent\.us/), 5000, 20);
  const joined = logs(r).find((l) => l.event === 'joined');
  t.match(joined, { name: 'herald-serve', level: 30, v: 0, pid: Number, hostname: String, time: String, instance: 'w1', service: 'web.coal.joyent.us', address: '10.0.0.5' });
  t.match(joined!.msg, 'instance w1 joined web.coal.joyent.us (10.0.0.5)');
  const metrics = await (await fetch(metricsUrl)).text();
  t.match(metrics, /herald_server_ready 1/);
  t.match(metrics, /herald_server_responses_total\{rcode="NOERROR"\} \d+/);
  t.match(metrics, /herald_server_queries_total\{transport="udp"\} \d+/);
  t.match(metrics, /herald_server_registry_stale_seconds 0/);
  t.equal(await stop(r), 0, 'SIGTERM: exit 0');
  const msgs = logs(r).map((l) => l.msg);
  for (const m of [/^first full sync: 0 nodes/, /^memory registry listening at memory:/, /^metrics at http:/, /^listening on 127\.0\.0\.1:\d+ for coal\.joyent\.us$/, /^SIGTERM: stopping$/, /^closed/]) {
    t.ok(msgs.some((x) => m.test(String(x))), `logged ${m}`);
  }
  t.match(msgs.at(-1), /^closed/, 'the last line says it closed');
});

t.test('--log-level warn: the info lines are left out', async (t) => {
  const r = herald(['--registry', 'memory', '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0', '--threads', '1', '--log-level', 'warn']);
  t.teardown(() => stop(r));
  await listeningPort(r);
  t.equal(await stop(r), 0);
  t.equal(r.stderr, '');
});

t.test('--zk: ZooKeeper away and back is logged (disconnected, stale, resynced); SIGTERM closes the session at once', async (t) => {
  const { zk, writer } = await zookeeperWithWriter(t);
  await writer.putPersistent('/us/joyent/coal/db', '{"type":"host","address":"10.0.0.9","ttl":15}');
  const connections = () => mntrValue(zk.ports[0]!, 'zk_num_alive_connections');
  const before = await connections();
  const r = herald(['--zk', zk.connectString, '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0']);
  t.teardown(() => stop(r));
  const port = await listeningPort(r);
  await waitFor('answer', async () => (await dig(port, ['A', 'db.coal.joyent.us'])).answer.length === 1, 10_000, 20);
  t.same((await dig(port, ['A', 'db.coal.joyent.us'])).answer, ['db.coal.joyent.us. 15 IN A 10.0.0.9']);
  t.equal(await connections(), before + 1, 'one session while serving');
  await waitFor('first sync logged', () => logged(r, /^first full sync: \d+ nodes, 0 instances/), 5000, 20);
  // ZooKeeper away and back within the session timeout: stale, then current again.
  await zk.kill();
  await waitFor('disconnected and stale logged', () => logged(r, /^registry session disconnected$/) && logged(r, /^serving stale state since \d{4}-/), 10_000, 20);
  t.same((await dig(port, ['A', 'db.coal.joyent.us'])).answer, ['db.coal.joyent.us. 15 IN A 10.0.0.9'], 'the last state served meanwhile');
  await zk.restart();
  await waitFor('resync logged', () => logged(r, /^registry resynced/), 20_000, 50);
  t.ok(logs(r).some((l) => l.state === 'connected' && l.level === 30), 'connected again');
  t.ok(logs(r).some((l) => l.state === 'disconnected' && l.level === 40), 'the disconnection is a warning');
  await waitFor('both sessions back', async () => (await connections()) === before + 1, 10_000, 50);
  t.equal(await stop(r), 0);
  await waitFor('session closed', async () => (await connections()) === before, 3000, 20);
  t.match(r.stderr, /registry session closed/);
});

t.test('--one-shot-watches: a data and a child watch per node; without it one tree watch; both follow a join', async (t) => {
  const { zk, writer } = await zookeeperWithWriter(t);
  await writer.putPersistent('/us/joyent/coal/web', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
  for (let i = 0; i < 3; i++) await writer.putEphemeral(`/us/joyent/coal/web/w${i}`, hostRecordJson({ type: 'load_balancer', address: `10.0.1.${i}`, ports: [80], ttl: 30 }));
  const watches = () => mntrValue(zk.ports[0]!, 'zk_watch_count');
  const counted: number[] = [];
  for (const flags of [[], ['--one-shot-watches']]) {
    const r = herald(['--zk', zk.connectString, '--domain', 'coal.joyent.us', '--listen', '127.0.0.1:0', ...flags]);
    const port = await listeningPort(r);
    await waitFor('the first sync', async () => (await dig(port, ['A', 'web.coal.joyent.us'])).answer.length === 3, 10_000, 20);
    counted.push(await watches());
    await writer.putEphemeral('/us/joyent/coal/web/late', hostRecordJson({ type: 'load_balancer', address: '10.0.1.9', ports: [80], ttl: 30 }));
    await waitFor(`the join served (${flags.join(' ') || 'tree watch'})`, async () => (await dig(port, ['A', 'web.coal.joyent.us'])).answer.length === 4, 5000, 10);
    await writer.delete('/us/joyent/coal/web/late');
    t.ok(logged(r, flags.length === 0 ? /^following the registry by one persistent recursive watch$/ : /^following the registry by a watch per node/), 'how it watches, logged');
    t.equal(await stop(r), 0);
  }
  // Two mirrors: the domain's (/us/joyent/coal: coal, web and 3 members) and the TTL overrides' (absent here).
  // Tree watches: one each, each counted twice by ZooKeeper (with the data and with the child watches). One-shot: a
  // data watch on each of the 5 nodes, a child watch on the 2 persistent ones, and an exists watch on the absent root.
  t.same(counted, [4, 8], `watches on the server: ${counted.join(', ')}`);
});
