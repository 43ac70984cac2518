import t from 'tap';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { snapshotWhere, storeContract } from './contract.ts';

t.test('memory store keeps the Store contract', async (t) => {
  const registry = new MemoryRegistry();
  await storeContract(t, async () => registry.connect());
});

t.test('expire(): ephemerals go, then expired and connected again', async (t) => {
  const registry = new MemoryRegistry();
  const s = registry.connect();
  const other = registry.connect();
  t.teardown(async () => { await s.close(); await other.close(); });
  const states: string[] = [];
  s.on('state', (st) => states.push(st));
  const m = other.mirror('/a');
  await s.putEphemeral('/a/b', 'x');
  await snapshotWhere(m, (snap) => snap.has('/a/b'), 'b present');
  const before = (await other.get('/a/b'))?.session;
  t.equal(before, s.sessionId);
  t.not(s.sessionId, other.sessionId, 'each session its own id');
  s.expire();
  t.same(states, ['expired', 'connected']);
  await snapshotWhere(m, (snap) => !snap.has('/a/b'), 'b gone');
  await s.putEphemeral('/a/b', 'y');
  t.equal((await other.get('/a/b'))?.data, 'y', 'the new session registers again');
  t.equal((await other.get('/a/b'))?.session, s.sessionId);
  t.not(s.sessionId, before, 'a new session, a new id');
  m.close();
});

t.test('a burst of writes gives one snapshot', async (t) => {
  const registry = new MemoryRegistry();
  const s = registry.connect();
  t.teardown(() => s.close());
  const m = s.mirror('/b');
  await m.synced();
  let changes = 0;
  m.on('change', () => changes++);
  await Promise.all(Array.from({ length: 20 }, (_, i) => s.putEphemeral(`/b/i${i}`, null)));
  await snapshotWhere(m, (snap) => snap.get('/b')?.children.length === 20, '20 children');
  t.ok(changes <= 3, `${changes} snapshots for 20 writes`);
  m.close();
});
