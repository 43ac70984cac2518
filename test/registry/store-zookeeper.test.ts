import t from 'tap';
import { spawn } from 'node:child_process';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import type { Store } from '../../src/registry/store.ts';
import { ZooKeeper, ephemeralOwners } from '../fixtures/zookeeper.ts';
import { freePort } from '../fixtures/ports.ts';
import { waitFor } from '../fixtures/wait.ts';
import { snapshotWhere, storeContract } from './contract.ts';

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());

async function open(connect: string, sessionTimeoutMs = 4000): Promise<Store> {
  const store = ZooKeeperStore.open({ connect, sessionTimeoutMs, operationTimeoutMs: 3000, backoffMs: 50 });
  await store.ready(10_000);
  return store;
}

t.test('validates options up front', async (t) => {
  t.throws(() => new ZooKeeperStore({ connect: '' }), { code: 'HERALD_INVALID_CONNECT_STRING' });
  t.throws(() => new ZooKeeperStore({ connect: 'a:99999' }), /out of range/);
  t.throws(() => new ZooKeeperStore({ connect: '127.0.0.1:2181/x//y' }), /empty segment/);
  t.throws(() => new ZooKeeperStore({ connect: '127.0.0.1', sessionTimeoutMs: -1 }), { code: 'HERALD_INVALID_ARGUMENT' });
});

t.test('ZooKeeper store keeps the Store contract (several servers, a chroot)', async (t) => {
  // A dead server first in the list: the client moves on to the live one.
  const dead = await freePort();
  const connect = `127.0.0.1:${dead},${zk.connectString}/herald/contract`;
  await storeContract(t, () => open(connect));
  // The chroot is real: the same nodes seen without it.
  const plain = await open(zk.connectString);
  t.teardown(() => plain.close());
  t.same(await plain.children('/herald/contract/us/joyent/coal'), ['delta', 'mirrored', 'own', 'svc']);
});

t.test('ZooKeeper killed: the mirror keeps its last copy; back: watches re-armed', async (t) => {
  const writer = await open(zk.connectString, 20_000);
  const reader = await open(zk.connectString, 20_000);
  t.teardown(async () => { await writer.close(); await reader.close(); });
  await writer.putPersistent('/outage/svc', 'service');
  await writer.putPersistent('/outage/svc/a', 'A');
  const m = reader.mirror('/outage');
  t.teardown(() => m.close());
  await snapshotWhere(m, (s) => s.has('/outage/svc/a'), 'a mirrored');
  const states: string[] = [];
  reader.on('state', (s) => states.push(s));
  const events: string[] = [];
  m.on('stale', (since) => events.push(`stale ${typeof since}`));
  m.on('current', () => events.push('current'));
  await zk.kill();
  await waitFor('disconnected', () => reader.state === 'disconnected', 10_000, 10);
  t.ok(m.staleSince !== undefined, 'the mirror says it is stale');
  t.equal(m.snapshot?.get('/outage/svc/a')?.data, 'A', 'last copy still there');
  await zk.restart();
  await waitFor(`reconnected (reader ${reader.state}, writer ${writer.state}, states ${states.join(',')})`, () => reader.state === 'connected' && writer.state === 'connected', 30_000, 20);
  await writer.putPersistent('/outage/svc/b', 'B');
  await writer.putPersistent('/outage/svc/a', 'A2');
  await snapshotWhere(m, (s) => s.get('/outage/svc/b')?.data === 'B' && s.get('/outage/svc/a')?.data === 'A2', 'changes after the outage');
  await waitFor('current again', () => m.staleSince === undefined, 5000, 10);
  t.ok(states.includes('disconnected') && states.at(-1) === 'connected', `states: ${states.join(',')}`);
  t.same(events, ['stale number', 'current'], 'the mirror says so once each way');
});

t.test("the owner session of an ephemeral node is ZooKeeper's own id, in zkCli's hex", async (t) => {
  const owner = await open(zk.connectString);
  const reader = await open(zk.connectString);
  t.teardown(async () => { await owner.close(); await reader.close(); });
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
