import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import type { Store } from '../../src/registry/store.ts';
import { ZooKeeper, ephemeralOwners, mntrValue } from '../fixtures/zookeeper.ts';
import { freePort } from '../fixtures/ports.ts';
import { waitFor } from '../fixtures/wait.ts';
import { snapshotWhere, storeContract } from './contract.ts';

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());

async function open(connect: string, sessionTimeoutMs = 4000, persistentWatches = true): Promise<Store> {
  const store = ZooKeeperStore.open({ connect, sessionTimeoutMs, operationTimeoutMs: 3000, backoffMs: 50, persistentWatches });
  await store.ready(10_000);
  return store;
}

/** A writing and a reading session on `connect`, closed when `t` ends; `persistentWatches` for the reader. */
async function writerAndReader(t: Test, connect: string, sessionTimeoutMs = 4000, persistentWatches = true): Promise<{ writer: Store; reader: Store }> {
  const writer = await open(connect, sessionTimeoutMs);
  const reader = await open(connect, sessionTimeoutMs, persistentWatches);
  t.teardown(async () => { await writer.close(); await reader.close(); });
  return { writer, reader };
}

t.test('validates options up front', async (t) => {
  t.throws(() => new ZooKeeperStore({ connect: '' }), { code: 'HERALD_INVALID_CONNECT_STRING' });
  t.throws(() => new ZooKeeperStore({ connect: 'a:99999' }), /out of range/);
  t.throws(() => new ZooKeeperStore({ connect: '127.0.0.1:2181/x//y' }), /empty segment/);
  t.throws(() => new ZooKeeperStore({ connect: '127.0.0.1', sessionTimeoutMs: -1 }), { code: 'HERALD_INVALID_ARGUMENT' });
});

// Both ways a mirror can follow its subtree: ZooKeeper 3.6's persistent recursive watch, and the one-shot
// watches per node that a server before 3.6 offers (herald falls back to them when the server refuses the first).
for (const [persistentWatches, name, how] of [[true, 'tree', 'by a tree watch'], [false, 'oneshot', 'by one-shot watches']] as const) {
  t.test(`ZooKeeper store keeps the Store contract (several servers, a chroot), mirrors ${how}`, async (t) => {
    // A dead server first in the list: the client moves on to the live one.
    const dead = await freePort();
    const connect = `127.0.0.1:${dead},${zk.connectString}/herald/contract-${name}`;
    await storeContract(t, () => open(connect, 4000, persistentWatches));
    // The chroot is real: the same nodes seen without it.
    const plain = await open(zk.connectString);
    t.teardown(() => plain.close());
    t.same(await plain.children(`/herald/contract-${name}/us/joyent/coal`), ['delta', 'mirrored', 'own', 'svc']);
  });

  t.test(`ZooKeeper killed: the mirror keeps its last copy; back: watches re-armed (mirrors ${how})`, async (t) => {
    const { writer, reader } = await writerAndReader(t, zk.connectString, 20_000, persistentWatches);
    const root = `/outage-${name}`;
    await writer.putPersistent(`${root}/svc`, 'service');
    await writer.putPersistent(`${root}/svc/a`, 'A');
    const m = reader.mirror(root);
    t.teardown(() => m.close());
    await snapshotWhere(m, (s) => s.has(`${root}/svc/a`), 'a mirrored');
    const states: string[] = [];
    reader.on('state', (s) => states.push(s));
    const events: string[] = [];
    m.on('stale', (since) => events.push(`stale ${typeof since}`));
    m.on('current', () => events.push('current'));
    await zk.kill();
    await waitFor('disconnected', () => reader.state === 'disconnected', 10_000, 10);
    t.ok(m.staleSince !== undefined, 'the mirror says it is stale');
    t.equal(m.snapshot?.get(`${root}/svc/a`)?.data, 'A', 'last copy still there');
    await zk.restart();
    await waitFor(`reconnected (reader ${reader.state}, writer ${writer.state}, states ${states.join(',')})`, () => reader.state === 'connected' && writer.state === 'connected', 30_000, 20);
    await writer.putPersistent(`${root}/svc/b`, 'B');
    await writer.putPersistent(`${root}/svc/a`, 'A2');
    await snapshotWhere(m, (s) => s.get(`${root}/svc/b`)?.data === 'B' && s.get(`${root}/svc/a`)?.data === 'A2', 'changes after the outage');
    await waitFor('current again', () => m.staleSince === undefined, 5000, 10);
    t.ok(states.includes('disconnected') && states.at(-1) === 'connected', `states: ${states.join(',')}`);
    t.same(events, ['stale number', 'current'], 'the mirror says so once each way');
  });
}

t.test('a mirror by a tree watch holds one watch on the server; by one-shot watches, one or two a node', async (t) => {
  const writer = await open(zk.connectString);
  t.teardown(() => writer.close());
  for (let s = 0; s < 3; s++) for (let i = 0; i < 10; i++) await writer.putEphemeral(`/watches/s${s}/i${i}`, 'x');
  const watches = () => mntrValue(zk.ports[0]!, 'zk_watch_count');
  const before = await watches();
  const counted: number[] = [];
  for (const persistentWatches of [true, false]) {
    const reader = await open(zk.connectString, 4000, persistentWatches);
    const m = reader.mirror('/watches');
    await m.synced(10_000);
    counted.push((await watches()) - before);
    m.close();
    await reader.close();
  }
  // 34 nodes: the root, 3 services, 30 members. One-shot: a data watch on each, and a child watch on each of the 4
  // persistent ones. The tree watch is counted twice (ZooKeeper files it with the data watches and the child watches).
  t.same(counted, [2, 38], `watches set: by a tree watch ${counted[0]}, by one-shot watches ${counted[1]}`);
  await writer.putEphemeral('/watches/s0/late', 'y');
  t.equal(await watches(), before, 'none left once the mirrors\' sessions closed');
});

t.test('a closed mirror takes its tree watch off the server; one that shares its root keeps following', async (t) => {
  const { writer, reader } = await writerAndReader(t, zk.connectString);
  for (let i = 0; i < 20; i++) await writer.putEphemeral(`/unwatch/i${i}/status`, 'x');
  const watches = () => mntrValue(zk.ports[0]!, 'zk_watch_count');
  const before = await watches();
  // As `herald roll` drains: a mirror on one instance's directory after another, on one session.
  for (let i = 0; i < 20; i++) {
    const m = reader.mirror(`/unwatch/i${i}`);
    await m.synced(10_000);
    m.close();
  }
  await reader.get('/unwatch/i0/status'); // a round trip: the removals ahead of it are done
  t.equal(await watches(), before, 'twenty mirrors opened and closed on one session leave no watch');
  const kept = reader.mirror('/unwatch/i0');
  t.teardown(() => kept.close());
  const twin = reader.mirror('/unwatch/i0');
  await Promise.all([kept.synced(10_000), twin.synced(10_000)]);
  t.equal((await watches()) - before, 2, 'two mirrors of one root: one tree watch (counted twice)');
  twin.close();
  await reader.get('/unwatch/i0/status');
  t.equal((await watches()) - before, 2, 'closing one leaves the other\'s watch');
  await writer.putEphemeral('/unwatch/i0/late', 'y');
  await snapshotWhere(kept, (s) => s.get('/unwatch/i0/late')?.data === 'y', 'the mirror left open follows a join');
});

t.test('a server that cannot hold persistent watches: the store follows by one-shot watches', async (t) => {
  // ZooKeeper 3.8 with the watch manager that has no persistent watches: it answers addWatch with an error.
  const plainWatches = await ZooKeeper.start({ config: ['watchManagerName=org.apache.zookeeper.server.watch.WatchManagerOptimized'] });
  t.teardown(() => plainWatches.stop());
  const { writer, reader } = await writerAndReader(t, plainWatches.connectString);
  await writer.putEphemeral('/plain/svc/a', 'A');
  const m = reader.mirror('/plain');
  t.teardown(() => m.close());
  const by: string[] = [];
  m.on('watches', (b) => by.push(b));
  await snapshotWhere(m, (s) => s.get('/plain/svc/a')?.data === 'A', 'the first sync');
  t.same(by, ['node'], 'it says it watches each node');
  await writer.putEphemeral('/plain/svc/b', 'B');
  await writer.delete('/plain/svc/a');
  await snapshotWhere(m, (s) => s.get('/plain/svc/b')?.data === 'B' && !s.has('/plain/svc/a'), 'a join and a leave followed');
  // A second mirror, by one-shot watches too.
  const other = reader.mirror('/plain/svc');
  t.teardown(() => other.close());
  await snapshotWhere(other, (s) => s.get('/plain/svc/b')?.data === 'B', 'a second mirror synced');
  const watches = await mntrValue(plainWatches.ports[0]!, 'zk_watch_count');
  // Data watches on /plain, svc and b; child watches on /plain and svc (the second mirror's are the same ones: one session).
  t.equal(watches, 5, `${watches} one-shot watches on the server`);
});

t.test('replies larger than a socket read, and hundreds in one: each arrives whole', async (t) => {
  const { writer, reader } = await writerAndReader(t, zk.connectString);
  // ~900 KB of data (ZooKeeper's limit is 1 MiB): one reply over many reads.
  const big = 'x'.repeat(900_000);
  await writer.putPersistent('/framing/big', big);
  t.equal((await reader.get('/framing/big'))?.data, big, 'a reply over many reads');
  // 2,000 small nodes read at once: many replies per read, some split across two.
  await Promise.all(Array.from({ length: 2000 }, (_, i) => writer.putPersistent(`/framing/many/n${i}`, `value ${i}`)));
  const m = reader.mirror('/framing');
  t.teardown(() => m.close());
  const s = await m.synced(20_000);
  t.equal(s.get('/framing/big')?.data, big);
  const wrong = Array.from({ length: 2000 }, (_, i) => i).filter((i) => s.get(`/framing/many/n${i}`)?.data !== `value ${i}`);
  t.same(wrong, [], 'every small reply whole and matched to its read');
  t.equal(reader.state, 'connected', 'no reply misread (the library would have reset the connection)');
});

t.test('a tree-watch mirror under bursts of nested creations, joins and leaves ends as a fresh mirror reads', async (t) => {
  // Each burst's child list reads race the creations under them: a list read before a creation whose
  // reply comes in the same socket read as the creation's event must not take the new node out again.
  const { writer, reader } = await writerAndReader(t, zk.connectString);
  const root = '/race';
  await writer.putPersistent(`${root}/svc`, 'service');
  const m = reader.mirror(root);
  t.teardown(() => m.close());
  await m.synced(10_000);
  for (let round = 0; round < 20; round++) {
    await Promise.all([
      writer.putPersistent(`${root}/s${round}/deep/er`, 'deep'),
      writer.putPersistent(`${root}/s${round}/other`, 'o'),
      ...Array.from({ length: 5 }, (_, i) => writer.putEphemeral(`${root}/svc/r${round}i${i}`, `${i}`)),
      ...(round > 0 ? Array.from({ length: 5 }, (_, i) => writer.delete(`${root}/svc/r${round - 1}i${i}`)) : []),
    ]);
  }
  await writer.delete(`${root}/s3/deep/er`);
  const fresh = writer.mirror(root);
  t.teardown(() => fresh.close());
  const truth = await fresh.synced(10_000);
  const same = () => JSON.stringify([...m.snapshot!].sort()) === JSON.stringify([...truth].sort());
  await waitFor('the mirror to settle on what a fresh one reads', () => same() || undefined, 5000, 10).catch(() => {});
  t.same(new Map([...m.snapshot!].sort()), new Map([...truth].sort()), 'the same nodes, data and children');
});

t.test("the owner session of an ephemeral node is ZooKeeper's own id, in zkCli's hex", async (t) => {
  const { writer: owner, reader } = await writerAndReader(t, zk.connectString);
  await owner.putEphemeral('/sessions/svc/i1', 'x');
  const m = reader.mirror('/sessions');
  t.teardown(() => m.close());
  const s = await snapshotWhere(m, (s) => s.has('/sessions/svc/i1'), 'i1 mirrored');
  const session = (await reader.get('/sessions/svc/i1'))?.session;
  t.equal(session, (await ephemeralOwners(zk.ports[0]!)).get('/sessions/svc/i1'), `${session}: the session ZooKeeper's dump names`);
  t.equal(s.get('/sessions/svc/i1')?.session, session, 'the mirror has the same id');
  t.equal((await reader.get('/sessions/svc'))?.session, undefined, 'a persistent node has none');
});

t.test('session expiry: expired, a new session, ephemerals re-creatable, mirror resynced', async (t) => {
  // The writer runs in a child process that is frozen past its 1 s session,
  // as a paused sidecar would be: the server expires the session, and the
  // client learns it when it wakes up.
  const other = await open(zk.connectString, 20_000);
  t.teardown(() => other.close());
  const m = other.mirror('/expiry');
  t.teardown(() => m.close());
  await m.synced(10_000);
  const script = `
    import { ZooKeeperStore } from ${JSON.stringify(new URL('../../src/registry/store-zookeeper.ts', import.meta.url).pathname)};
    const s = ZooKeeperStore.open({ connect: ${JSON.stringify(zk.connectString)}, sessionTimeoutMs: 1000, backoffMs: 50 });
    s.on('state', (st) => process.stdout.write('state ' + st + '\\n'));
    await s.ready(10000);
    const put = async (data) => { await s.putEphemeral('/expiry/svc/inst', data); process.stdout.write('put ' + data + '\\n'); };
    await put('here');
    process.stdin.on('data', async (d) => { try { await put(String(d).trim()); } catch (e) { process.stdout.write('error ' + e.message + '\\n'); } });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await waitFor('child registered', () => out.includes('put here'), 15_000, 10);
  await snapshotWhere(m, (s) => s.has('/expiry/svc/inst'), 'inst mirrored');
  child.kill('SIGSTOP');
  await snapshotWhere(m, (s) => !s.has('/expiry/svc/inst'), 'the ephemeral went with the session');
  child.kill('SIGCONT');
  await waitFor('expired, then a new session', () => /state expired\nstate connected/.test(out), 20_000, 10)
    .catch((err: Error) => { throw new Error(`${err.message}; child said: ${out}`); });
  child.stdin!.write('again\n');
  await snapshotWhere(m, (s) => s.get('/expiry/svc/inst')?.data === 'again', 'registered again in the new session');
});
