// The ZooKeeper mirror's pacing under churn, against a real ZooKeeper: the
// mirror is given a WatchSource over a plain node-zookeeper-client session
// that records each read it issues, so what it asks of ZooKeeper is seen.
import t from 'tap';
import { performance } from 'node:perf_hooks';
import zookeeper, { type Client, type ZkError } from 'node-zookeeper-client';
import { CHILDREN_GAP_MS, STEP_GAP_MS, ZooKeeperMirror, type WatchSource, type Watcher } from '../../src/registry/mirror-zookeeper.ts';
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

/** A mirror of `root` over its own session, with every getChildren it issues and every child watch event recorded. */
async function recordedMirror(root: string): Promise<{ mirror: ZooKeeperMirror; childReads: Read[]; childEvents: Read[]; close(): void }> {
  const client = await session();
  const childReads: Read[] = [];
  const childEvents: Read[] = [];
  // The same wrapper for the same watcher: the client deduplicates watchers by identity.
  const wrapped = new WeakMap<Watcher, Watcher>();
  const recording = (w: Watcher): Watcher => {
    let r = wrapped.get(w);
    if (!r) { r = (event) => { if (event.type === 4) childEvents.push({ path: event.path, at: performance.now() }); w(event); }; wrapped.set(w, r); }
    return r;
  };
  const source: WatchSource = {
    getData: (path, watcher) => new Promise((resolve, reject) => client.getData(path, watcher, (e: ZkError | null, d?: Buffer, s?: { ephemeralOwner: Buffer }) => {
      if (e) { reject(e); return; }
      const owner = s?.ephemeralOwner.toString('hex').replace(/^0+/, '');
      resolve({ data: d && d.length > 0 ? d.toString() : null, session: owner ? `0x${owner}` : undefined });
    })),
    getChildren: (path, watcher) => {
      childReads.push({ path, at: performance.now() });
      return new Promise((resolve, reject) => client.getChildren(path, recording(watcher), (e: ZkError | null, c: string[]) => (e ? reject(e) : resolve(c))));
    },
    exists: (path, watcher) => new Promise((resolve, reject) => client.exists(path, watcher, (e: ZkError | null, s: unknown) => (e ? reject(e) : resolve(s !== null)))),
    isNoNode: (err) => (err as ZkError | undefined)?.getCode?.() === zookeeper.Exception.NO_NODE,
    state: () => 'connected',
  };
  const mirror = new ZooKeeperMirror(root, source, () => {});
  mirror.sessionState('connected');
  await mirror.synced(10_000);
  return { mirror, childReads, childEvents, close: () => { mirror.close(); client.close(); } };
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
