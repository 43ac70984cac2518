// The ZooKeeper mirror's pacing under churn, against a real ZooKeeper: the
// mirror is given a WatchSource over a plain node-zookeeper-client session
// that records each read it issues, so what it asks of ZooKeeper is seen:
// with one-shot watches per node (what ZooKeeper before 3.6 offers), and
// with the persistent recursive watch (zk-tree-watch.ts).
import t from 'tap';
import { performance } from 'node:perf_hooks';
import zookeeper, { type Client, type ZkError } from 'node-zookeeper-client';
import { CHILDREN_GAP_MS, STEP_GAP_MS, ZooKeeperMirror, type TreeEvent, type WatchSource, type Watcher } from '../../src/registry/mirror-zookeeper.ts';
import { addTreeWatch, tapEvents } from '../../src/registry/zk-tree-watch.ts';
import { applySnapshotDelta } from '../../src/registry/delta.ts';
import type { SnapshotNode } from '../../src/registry/store.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());

async function session(): Promise<Client> {
  const client = zookeeper.createClient(zk.connectString, { sessionTimeout: 20_000 });
  await new Promise<void>((resolve) => { client.once('connected', () => resolve()); client.connect(); });
  return client;
}

const writer = await session();
t.teardown(() => writer.close());

function create(path: string, data: string | null, ephemeral = false): Promise<void> {
  return new Promise((resolve, reject) => writer.create(path, data === null ? null : Buffer.from(data), ephemeral ? zookeeper.CreateMode.EPHEMERAL : zookeeper.CreateMode.PERSISTENT, (e: ZkError | null) => (e ? reject(e) : resolve())));
}

function remove(path: string): Promise<void> {
  return new Promise((resolve, reject) => writer.remove(path, -1, (e: ZkError | null) => (e ? reject(e) : resolve())));
}

function children(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => writer.getChildren(path, undefined, (e: ZkError | null, c: string[]) => (e ? reject(e) : resolve(c))));
}

interface Read { path: string; at: number }

/**
 * A mirror of `root` over its own session, with every read it issues and
 * every child watch event recorded; `tree`: it is offered the tree watch
 * ('refused': the source answers as a server before 3.6 does, but keeps
 * the connection).
 */
async function recordedMirror(root: string, tree: boolean | 'refused' = false): Promise<{ mirror: ZooKeeperMirror; childReads: Read[]; dataReads: Read[]; childEvents: Read[]; close(): void }> {
  const client = await session();
  const childReads: Read[] = [];
  const dataReads: Read[] = [];
  const childEvents: Read[] = [];
  let onTree: ((event: TreeEvent) => void) | undefined;
  tapEvents(client, (event) => onTree?.({ type: event.type, path: event.path }));
  // The same wrapper for the same watcher: the client deduplicates watchers by identity.
  const wrapped = new WeakMap<Watcher, Watcher>();
  const recording = (w: Watcher | undefined): Watcher | undefined => {
    if (!w) return undefined;
    let r = wrapped.get(w);
    if (!r) { r = (event) => { if (event.type === 4) childEvents.push({ path: event.path, at: performance.now() }); w(event); }; wrapped.set(w, r); }
    return r;
  };
  const source: WatchSource = {
    // Replies handed on in the client's own callbacks, as the store does (see WatchSource).
    getData: (path, watcher, done) => {
      dataReads.push({ path, at: performance.now() });
      client.getData(path, watcher, (e: ZkError | null, d?: Buffer, s?: { ephemeralOwner: Buffer }) => {
        if (e) { done(e); return; }
        const owner = s?.ephemeralOwner.toString('hex').replace(/^0+/, '');
        done(null, { data: d && d.length > 0 ? d.toString() : null, session: owner ? `0x${owner}` : undefined });
      });
    },
    getChildren: (path, watcher, done) => {
      childReads.push({ path, at: performance.now() });
      client.getChildren(path, recording(watcher), (e: ZkError | null, c: string[]) => done(e, c));
    },
    exists: (path, watcher) => new Promise((resolve, reject) => client.exists(path, watcher, (e: ZkError | null, s: unknown) => (e ? reject(e) : resolve(s !== null)))),
    isNoNode: (err) => (err as ZkError | undefined)?.getCode?.() === zookeeper.Exception.NO_NODE,
    state: () => 'connected',
    ...(tree === 'refused' ? { watchTree: () => Promise.resolve('refused' as const) } : {}),
    ...(tree === true ? { watchTree: async (path: string, onEvent: (event: TreeEvent) => void) => { onTree = onEvent; await addTreeWatch(client, path); return 'set' as const; } } : {}),
  };
  const mirror = new ZooKeeperMirror(root, source, () => {});
  mirror.sessionState('connected');
  await mirror.synced(10_000);
  return { mirror, childReads, dataReads, childEvents, close: () => { mirror.close(); client.close(); } };
}

await create('/pace', null);

t.test('a burst of joins and leaves in one service: its child list is read once per CHILDREN_GAP_MS at most, and nothing is lost', async (t) => {
  await create('/pace/svc', '{"type":"service"}');
  const m = await recordedMirror('/pace');
  t.teardown(() => m.close());
  const nodes = new Map(m.mirror.snapshot!);
  m.mirror.on('delta', (d) => { applySnapshotDelta(nodes, d); });
  const reads0 = m.childReads.length;
  const start = performance.now();
  // 60 changes as fast as one writer makes them: joins, and every third a leave of an earlier one.
  for (let i = 0; i < 40; i++) {
    await create(`/pace/svc/i${i}`, `{"type":"load_balancer","address":"10.0.0.${i}"}`, true);
    if (i % 2 === 1) await remove(`/pace/svc/i${i - 1}`);
  }
  const truth = (await children('/pace/svc')).sort();
  await waitFor('the mirror to hold the last state', () => JSON.stringify(nodes.get('/pace/svc')?.children) === JSON.stringify(truth) || undefined, 10_000, 5);
  const elapsed = performance.now() - start;
  const reads = m.childReads.slice(reads0).filter((r) => r.path === '/pace/svc');
  for (let i = 1; i < reads.length; i++) {
    // A timer may fire up to a millisecond before its time as performance.now() counts it.
    t.ok(reads[i]!.at - reads[i - 1]!.at >= CHILDREN_GAP_MS - 1, `read ${i} ${(reads[i]!.at - reads[i - 1]!.at).toFixed(1)} ms after the one before`);
  }
  t.ok(reads.length <= elapsed / (CHILDREN_GAP_MS - 1) + 1, `${reads.length} reads of the child list in ${elapsed.toFixed(0)} ms`);
  t.ok(reads.length < 60, `${reads.length} reads for 60 changes`);
  // Every member published is there with its data, and the published state is ZooKeeper's.
  for (const name of truth) t.equal(nodes.get(`/pace/svc/${name}`)?.data, `{"type":"load_balancer","address":"10.0.0.${name.slice(1)}"}`);
  t.same([...nodes.keys()].filter((p) => p.startsWith('/pace/svc/')).sort(), truth.map((n) => `/pace/svc/${n}`).sort(), 'no member left over, none missing');
});

t.test('after a quiet spell a change is read in the turn its event arrives, and published at once', async (t) => {
  await create('/pace/quiet', '{"type":"service"}');
  const m = await recordedMirror('/pace');
  t.teardown(() => m.close());
  await new Promise((r) => setTimeout(r, CHILDREN_GAP_MS * 3));
  let published: number | undefined;
  m.mirror.on('delta', (d: { changed: readonly SnapshotNode[] }) => { if (published === undefined && d.changed.some((n) => n.path === '/pace/quiet/a')) published = performance.now(); });
  const events0 = m.childEvents.length;
  const reads0 = m.childReads.length;
  await create('/pace/quiet/a', '{"type":"load_balancer","address":"10.0.1.1"}', true);
  await waitFor('the join to be published', () => published, 5000, 2);
  const event = m.childEvents.slice(events0).find((e) => e.path === '/pace/quiet')!;
  const read = m.childReads.slice(reads0).find((r) => r.path === '/pace/quiet')!;
  t.ok(event && read, 'one event, one read');
  // Issued from the watcher itself, not after a wait.
  t.ok(read.at - event.at < 1, `read ${(read.at - event.at).toFixed(2)} ms after the event`);
});

t.test('steps are STEP_GAP_MS apart at least, and replay to ZooKeeper\'s state', async (t) => {
  await create('/pace/steps', '{"type":"service"}');
  for (let s = 0; s < 4; s++) await create(`/pace/steps/s${s}`, '{"type":"service"}');
  const m = await recordedMirror('/pace');
  t.teardown(() => m.close());
  const nodes = new Map(m.mirror.snapshot!);
  const steps: number[] = [];
  m.mirror.on('delta', (d) => { steps.push(performance.now()); applySnapshotDelta(nodes, d); });
  // Changes spread over four services, so that reads of different lists keep completing one after another.
  await Promise.all([0, 1, 2, 3].map(async (s) => {
    for (let i = 0; i < 10; i++) {
      await create(`/pace/steps/s${s}/i${i}`, `{"type":"load_balancer","address":"10.0.2.${i}"}`, true);
      await new Promise((r) => setTimeout(r, 1));
    }
  }));
  await waitFor('every join published', () => [0, 1, 2, 3].every((s) => nodes.get(`/pace/steps/s${s}`)?.children.length === 10) || undefined, 10_000, 5);
  for (let i = 1; i < steps.length; i++) t.ok(steps[i]! - steps[i - 1]! >= STEP_GAP_MS - 1, `step ${i} ${(steps[i]! - steps[i - 1]!).toFixed(1)} ms after the one before`);
  for (let s = 0; s < 4; s++) {
    for (let i = 0; i < 10; i++) t.equal(nodes.get(`/pace/steps/s${s}/i${i}`)?.data, `{"type":"load_balancer","address":"10.0.2.${i}"}`);
  }
});

t.test('with the tree watch: joins and leaves in bursts cost a data read per join, no child list, and nothing is lost', async (t) => {
  await create('/pace/tree', '{"type":"service"}');
  await create('/pace/tree/old', '{"type":"load_balancer","address":"10.0.3.250"}', true);
  const m = await recordedMirror('/pace', true);
  t.teardown(() => m.close());
  const nodes = new Map(m.mirror.snapshot!);
  m.mirror.on('delta', (d) => { applySnapshotDelta(nodes, d); });
  t.equal(nodes.get('/pace/tree/old')?.data, '{"type":"load_balancer","address":"10.0.3.250"}', 'the sync read what was there');
  const childReads0 = m.childReads.length;
  const dataReads0 = m.dataReads.length;
  for (let i = 0; i < 40; i++) {
    await create(`/pace/tree/i${i}`, `{"type":"load_balancer","address":"10.0.3.${i}"}`, true);
    if (i % 2 === 1) await remove(`/pace/tree/i${i - 1}`);
  }
  // A service created with members, a member's data changed, the first member gone: all followed.
  await create('/pace/tree2', '{"type":"service"}');
  await create('/pace/tree2/a', '{"type":"load_balancer","address":"10.0.4.1"}', true);
  await new Promise<void>((resolve, reject) => writer.setData('/pace/tree/i39', Buffer.from('{"type":"load_balancer","address":"10.0.3.99"}'), -1, (e: ZkError | null) => (e ? reject(e) : resolve())));
  await remove('/pace/tree/old');
  const truth = (await children('/pace/tree')).sort();
  await waitFor('the mirror to hold the last state', () => (JSON.stringify(nodes.get('/pace/tree')?.children) === JSON.stringify(truth) && nodes.get('/pace/tree2/a') && nodes.get('/pace/tree/i39')?.data?.includes('10.0.3.99')) || undefined, 10_000, 5);
  t.same(m.childReads.slice(childReads0).map((r) => r.path), ['/pace/tree2'], 'no child list read but the new service\'s own, once');
  // One read per node created (40 members, a service and its member) and one for the changed data; leaves cost none.
  t.equal(m.dataReads.slice(dataReads0).length, 43, 'a data read per join and per change, none per leave');
  for (const name of truth) t.match(nodes.get(`/pace/tree/${name}`)?.data, /"address":"10\.0\.3\./);
  t.same([...nodes.keys()].filter((p) => p.startsWith('/pace/tree/')).sort(), truth.map((n) => `/pace/tree/${n}`).sort(), 'no member left over, none missing');
  t.same(nodes.get('/pace/tree2')?.children, ['a']);
});

t.test('with the tree watch: the root deleted and made again is followed back', async (t) => {
  await create('/tree-root', null);
  await create('/tree-root/s', '{"type":"service"}');
  const m = await recordedMirror('/tree-root', true);
  t.teardown(() => m.close());
  const nodes = new Map(m.mirror.snapshot!);
  m.mirror.on('delta', (d) => { applySnapshotDelta(nodes, d); });
  await remove('/tree-root/s');
  await remove('/tree-root');
  await waitFor('the root gone', () => !nodes.has('/tree-root') || undefined, 5000, 5);
  await create('/tree-root', null);
  await create('/tree-root/t', '{"type":"service"}');
  await waitFor('the root back with a child', () => nodes.get('/tree-root/t')?.data === '{"type":"service"}' || undefined, 5000, 5);
  t.same(nodes.get('/tree-root')?.children, ['t']);
});

t.test('the tree watch refused: the mirror syncs by one-shot watches, without waiting for a reconnect that does not come', async (t) => {
  await create('/pace/refused', '{"type":"service"}');
  const start = performance.now();
  const m = await recordedMirror('/pace', 'refused');
  t.teardown(() => m.close());
  // A server that refuses closes the connection, and the resync comes with the next one: this one did not close.
  t.ok(performance.now() - start < 1500, `synced in ${(performance.now() - start).toFixed(0)} ms`);
  t.ok(m.childReads.some((r) => r.path === '/pace/refused'), 'child lists read, with watches');
  const nodes = new Map(m.mirror.snapshot!);
  m.mirror.on('delta', (d) => { applySnapshotDelta(nodes, d); });
  await create('/pace/refused/a', '{"type":"load_balancer","address":"10.0.5.1"}', true);
  await waitFor('the join followed', () => nodes.get('/pace/refused/a') || undefined, 5000, 5);
  t.same(nodes.get('/pace/refused')?.children, ['a']);
});
