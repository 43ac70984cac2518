import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { acquireLease } from '../../src/lease/acquire.ts';
import { leaseStatus } from '../../src/lease/status.ts';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { MemoryRegistryServer } from '../../src/registry/store-memory-server.ts';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import { freePort } from '../fixtures/ports.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { MAIN, NODE } from '../lease/helpers.ts';

const zk = await ZooKeeper.start();
const store = ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs: 2000 });
await store.ready(10_000);
t.teardown(async () => { await store.close(); await zk.stop(); });

function herald(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(NODE, [MAIN, ...args], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

function oneLine(t: Test, stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  t.match(lines[0], pattern);
}

t.test('status: free, then holder and queue in order, as text and JSON', async (t) => {
  let r = await herald(['lease', 'status', '--zk', zk.connectString, 'jobs']);
  t.equal(r.code, 0);
  t.equal(r.stdout, 'lease jobs: free\n');
  const holder = await acquireLease('jobs', { zk: zk.connectString, instance: 'zone-a', sessionTimeoutMs: 2000 });
  const waiting = acquireLease('jobs', { zk: zk.connectString, instance: 'zone-b', sessionTimeoutMs: 2000 });
  for (let i = 0; i < 500 && (await leaseStatus(store, 'jobs')).queue.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  r = await herald(['lease', 'status', 'jobs'], { HERALD_ZK: zk.connectString });
  t.equal(r.code, 0);
  t.match(r.stdout, new RegExp(`^lease jobs: held by zone-a \\(token ${holder.token}, pid ${process.pid}\\) for \\d+\\.\\d s \\(since \\d{4}-[^)]+Z\\), session alive at this read\\n  1\\. waiting: zone-b \\(token \\d+, pid ${process.pid}\\)\\n$`));
  r = await herald(['lease', 'status', '--zk', zk.connectString, '--json', 'jobs']);
  const s = JSON.parse(r.stdout);
  t.equal(s.holder.instance, 'zone-a');
  t.equal(s.holder.token, holder.token);
  t.same(s.queue.map((c: { instance: string }) => c.instance), ['zone-b']);
  t.ok(s.holder.heldForMs >= 300 && s.holder.heldForMs < 30_000, `held for ${s.holder.heldForMs} ms`);
  t.match(s.holder.heldSince, /^\d{4}-\d\d-\d\dT/);
  await holder.release();
  await (await waiting).release();
});

t.test('run: the command gets the token and the lease, and its exit status is ours', async (t) => {
  const r = await herald(['lease', 'run', '--zk', zk.connectString, '--instance', 'me', 'envjob', '--',
    'sh', '-c', 'echo "$HERALD_LEASE_NAME $HERALD_LEASE_TOKEN $HERALD_LEASE_INSTANCE"; exit 3']);
  t.equal(r.code, 3);
  t.match(r.stdout, /^envjob \d+ me\n$/);
  t.match(r.stderr, /holding lease envjob with token \d+/);
  t.same(await store.children('/herald/lease/envjob'), [], 'released: nothing left in the queue');
});

t.test('run --timeout: gives up waiting with one line, exit 1, its queue entry gone', async (t) => {
  const holder = await acquireLease('busy', { zk: zk.connectString, instance: 'other', sessionTimeoutMs: 2000 });
  t.teardown(() => holder.release());
  const r = await herald(['lease', 'run', '--zk', zk.connectString, '--timeout', '0.5', 'busy', '--', 'true']);
  t.equal(r.code, 1);
  t.equal(r.stderr, 'herald lease: timed out after 0.5 s waiting for lease busy\n');
  t.same((await store.children('/herald/lease/busy'))?.filter((c) => c.startsWith('lease-')), [holder.path.split('/').at(-1)]);
});

t.test('bad input: one clear line, non-zero exit, nothing left in ZooKeeper', async (t) => {
  const before = await store.children('/herald/lease');
  const dead = `127.0.0.1:${await freePort()}`;
  const zkc = zk.connectString;
  // In parallel: each is a process of its own.
  const [emptyRun, emptyStatus, slash, notFound, notFile, unreachable, unreachableStatus, noDash, unknown, badGrace] = await Promise.all([
    herald(['lease', 'run', '--zk', zkc, '', '--', 'true']),
    herald(['lease', 'status', '--zk', zkc, '']),
    herald(['lease', 'run', '--zk', zkc, 'a/b', '--', 'true']),
    herald(['lease', 'run', '--zk', zkc, 'nocmd', '--', 'no-such-command-herald']),
    herald(['lease', 'run', '--zk', zkc, 'nocmd', '--', './nope/x']),
    herald(['lease', 'run', '--zk', dead, '--connect-timeout', '1', 'unreach', '--', 'true']),
    herald(['lease', 'status', '--zk', dead, '--connect-timeout', '1', 'unreach']),
    herald(['lease', 'run', 'x']),
    herald(['lease', 'frobnicate']),
    herald(['lease', 'run', '--grace', 'soon', 'x', '--', 'true']),
  ]);
  t.equal(emptyRun.code, 2, 'empty name: usage');
  oneLine(t, emptyRun.stderr, /^herald lease: lease name must be a non-empty string/);
  t.equal(emptyStatus.code, 2);
  oneLine(t, emptyStatus.stderr, /lease name must be a non-empty string/);
  t.equal(slash.code, 2);
  oneLine(t, slash.stderr, /lease name "a\/b" must be/);

  t.equal(notFound.code, 1, 'command not found');
  t.equal(notFound.stderr, 'herald lease: command "no-such-command-herald": not found on PATH (HERALD_COMMAND_NOT_FOUND)\n');
  t.equal(notFile.code, 1);
  t.match(notFile.stderr, /^herald lease: command "\.\/nope\/x": no such executable file/);

  t.equal(unreachable.code, 1, 'unreachable ZooKeeper');
  t.match(unreachable.stderr, /^herald lease: registry connect failed: no session within 1000 ms \(HERALD_REGISTRY_UNAVAILABLE\)\n$/, JSON.stringify(unreachable.stderr));
  t.equal(unreachableStatus.code, 1);
  t.match(unreachableStatus.stderr, /^herald lease: registry connect failed: no session within 1000 ms \(HERALD_REGISTRY_UNAVAILABLE\)\n$/, JSON.stringify(unreachableStatus.stderr));

  t.equal(noDash.code, 2);
  oneLine(t, noDash.stderr, /missing "-- CMD/);
  t.equal(unknown.code, 2);
  oneLine(t, unknown.stderr, /unknown subcommand "frobnicate"/);
  t.equal(badGrace.code, 2);
  oneLine(t, badGrace.stderr, /--grace must be/);

  t.same(await store.children('/herald/lease'), before, 'no lease node was created');
});

t.test('memory://: the same lease over a memory registry served to other processes', async (t) => {
  const registry = new MemoryRegistry();
  const server = new MemoryRegistryServer(registry);
  const port = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  const connect = `memory://127.0.0.1:${port}`;
  const holder = await acquireLease('mem', { zk: connect, instance: 'in-test' });
  const run = herald(['lease', 'run', '--zk', connect, '--instance', 'cli', 'mem', '--', 'sh', '-c', 'echo "token $HERALD_LEASE_TOKEN"']);
  const local = registry.connect();
  t.teardown(() => local.close());
  for (let i = 0; i < 200 && (await leaseStatus(local, 'mem')).queue.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
  const r = await herald(['lease', 'status', '--zk', connect, 'mem']);
  t.match(r.stdout, /^lease mem: held by in-test \(token 0, pid \d+\) for [\d.]+ s \(since [^)]+\), session alive at this read\n  1\. waiting: cli \(token 1, pid \d+\)\n$/);
  await holder.release();
  const done = await run;
  t.equal(done.code, 0);
  t.equal(done.stdout, 'token 1\n');
});
