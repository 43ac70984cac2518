import t, { type Test } from 'tap';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import type { Store } from '../../src/registry/store.ts';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';

// The Store methods leases need, on ZooKeeper and in memory alike.
const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());

async function sequentialAndWatch(t: Test, open: () => Promise<Store>): Promise<void> {
  const a = await open();
  const b = await open();
  t.teardown(async () => { await a.close(); await b.close(); });

  const first = await a.createSequential('/herald/lease/x/lease-aa-', '{"n":1}');
  const second = await b.createSequential('/herald/lease/x/lease-bb-', null);
  t.match(first, /^\/herald\/lease\/x\/lease-aa-\d{10}$/);
  t.ok(Number(second.slice(-10)) > Number(first.slice(-10)), `${second} after ${first}`);
  t.match(await a.get(first), { data: '{"n":1}', ephemeral: true, ownedByMe: true, session: /^0x[0-9a-f]+$/ });
  t.match(await b.get(first), { data: '{"n":1}', ephemeral: true, ownedByMe: false, session: /^0x[0-9a-f]+$/ });
  t.same(await a.get('/herald/lease/x'), { data: null, ephemeral: false, ownedByMe: false }, 'parent persistent');
  await t.rejects(a.createSequential(`${first}/child-`, null), { code: 'HERALD_NODE_CONFLICT' }, 'no children under an ephemeral');

  await a.watchGone('/herald/lease/x/absent');
  t.pass('absent: resolves at once');
  let gone = false;
  const watch = b.watchGone(first).then(() => { gone = true; });
  await new Promise((r) => setTimeout(r, 100));
  t.equal(gone, false, 'waits while the node is there');
  await a.putEphemeral(first, '{"n":2}'); // a data change is not a deletion
  await new Promise((r) => setTimeout(r, 100));
  t.equal(gone, false, 'a data change does not end the watch');
  await a.delete(first);
  await watch;
  t.equal(gone, true, 'resolves on deletion');

  const controller = new AbortController();
  const aborted = b.watchGone(second, controller.signal);
  controller.abort(new Error('stop watching'));
  await t.rejects(aborted, /stop watching/, 'abort rejects with the reason');

  const c = await open();
  const mine = await c.createSequential('/herald/lease/x/lease-cc-', null);
  const closing = t.rejects(c.watchGone(second), { code: 'HERALD_REGISTRY_UNAVAILABLE' }, 'the watch ends with the watcher\'s session');
  await c.close();
  await closing;
  t.ok((await a.get(mine)) === undefined, 'its ephemeral went with it');
  t.ok(await a.get(second), 'the watched node is still there');
}

t.test('ZooKeeper: createSequential, watchGone, negotiated session timeout', async (t) => {
  const open = async (): Promise<Store> => {
    const s = ZooKeeperStore.open({ connect: `${zk.connectString}/leasechroot`, sessionTimeoutMs: 1700 });
    await s.ready(10_000);
    return s;
  };
  await sequentialAndWatch(t, open);
  const s = await open();
  t.teardown(() => s.close());
  // The fixture's tickTime is 500: the server rounds nothing here but clamps to [2, 20] ticks.
  t.equal(s.sessionTimeoutMs, 1700, 'the negotiated timeout');
  const huge = ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs: 600_000 });
  t.teardown(() => huge.close());
  await huge.ready(10_000);
  t.equal(huge.sessionTimeoutMs, 60_000, 'clamped by the server (maxSessionTimeout)');
});

t.test('memory: createSequential, watchGone, expire ends watches', async (t) => {
  const registry = new MemoryRegistry();
  await sequentialAndWatch(t, async () => registry.connect());
  const s = registry.connect();
  t.teardown(() => s.close());
  t.equal(s.sessionTimeoutMs, Infinity);
  const mine = await s.createSequential('/q/n-', null);
  const other = registry.connect();
  t.teardown(() => other.close());
  const theirs = await other.createSequential('/q/n-', null);
  const watching = t.rejects(s.watchGone(theirs), { code: 'HERALD_REGISTRY_UNAVAILABLE' }, 'expiry ends the watch');
  s.expire();
  await watching;
  t.equal(await other.get(mine), undefined, 'the expired session\'s node is gone');
});
