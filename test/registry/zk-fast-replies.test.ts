// The mirror's replies decoded by zk-fast-replies.ts give what
// node-zookeeper-client's own decoder gives: two clients on one real
// ZooKeeper, one of them taking its replies through the fast path (each
// reply it took counted), read the same nodes and watch the same changes.
import t from 'tap';
import zookeeper, { type Client, type WatchEvent, type ZkError } from 'node-zookeeper-client';
import { deliverWholeReplies } from '../../src/registry/zk-reply-framing.ts';
import { fastReplies } from '../../src/registry/zk-fast-replies.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';

const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());

let taken = 0;
async function session(fast: boolean): Promise<Client> {
  const client = zookeeper.createClient(zk.connectString, { sessionTimeout: 20_000 });
  if (fast) {
    const first = fastReplies(client)!;
    deliverWholeReplies(client, (reply) => { const done = first(reply); if (done) taken++; return done; });
  }
  await new Promise<void>((resolve) => { client.once('connected', () => resolve()); client.connect(); });
  t.teardown(() => client.close());
  return client;
}

const plain = await session(false);
const fast = await session(true);
const writer = plain;

const call = <T>(fn: (done: (err: ZkError | null, ...values: unknown[]) => void) => void): Promise<unknown[]> =>
  new Promise((resolve, reject) => fn((err, ...values) => (err ? reject(err) : resolve(values as T[]))));
const create = (path: string, data: Buffer | null, mode = zookeeper.CreateMode.PERSISTENT) => call((done) => writer.create(path, data, mode, done));
/** Buffers as hex, so that deep equality compares bytes; the library's record bookkeeping (its field table, its chroot) left out. */
const plainly = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => {
  if (k === 'specification' || k === 'chrootPath') return undefined;
  return x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer' ? `hex:${Buffer.from((x as { data: number[] }).data).toString('hex')}` : x;
}));

t.test('data and child lists read alike, stat and all', async (t) => {
  await create('/fast', Buffer.from('{"type":"service"}'));
  await create('/fast/empty', Buffer.alloc(0));
  await create('/fast/none', null);
  await create('/fast/é-ünïcode', Buffer.from('ünïcode data ✓'));
  await create('/fast/big', Buffer.alloc(200_000, 7));
  await call((done) => writer.create('/fast/eph', Buffer.from('mine'), zookeeper.CreateMode.EPHEMERAL, done));
  for (let i = 0; i < 300; i++) await create(`/fast/none/c${i}`, Buffer.from(String(i)));
  await call((done) => writer.setData('/fast', Buffer.from('{"type":"service","v":2}'), -1, done));
  const before = taken;
  for (const path of ['/fast', '/fast/empty', '/fast/none', '/fast/é-ünïcode', '/fast/big', '/fast/eph', '/fast/none/c7']) {
    const [a, b] = await Promise.all([call((done) => plain.getData(path, undefined, done)), call((done) => fast.getData(path, undefined, done))]);
    t.same(plainly(b), plainly(a), `getData ${path}`);
    const [c, d] = await Promise.all([call((done) => plain.getChildren(path, undefined, done)), call((done) => fast.getChildren(path, undefined, done))]);
    t.same(plainly(d), plainly(c), `getChildren ${path}`);
  }
  t.equal(taken - before, 14, 'every one of those replies took the fast path');
  // An error reply (no such node) is the library's: the same error either way.
  const missing = await call((done) => fast.getData('/fast/missing', undefined, done)).catch((e: ZkError) => e.getCode());
  t.equal(missing, zookeeper.Exception.NO_NODE);
  t.equal(taken - before, 14, 'the error went to the library');
});

t.test('watch events arrive alike, and the watchers set by fast replies fire', async (t) => {
  const seen: Record<string, string[]> = { plain: [], fast: [] };
  const watcher = (who: string) => (e: WatchEvent) => { seen[who]!.push(`${e.type} ${e.path}`); };
  for (const [who, c] of [['plain', plain], ['fast', fast]] as const) {
    await call((done) => c.getData('/fast/eph', watcher(who), done));
    await call((done) => c.getChildren('/fast/none', watcher(who), done));
  }
  await create('/fast/none/new', null);
  await call((done) => writer.setData('/fast/eph', Buffer.from('changed'), -1, done));
  await waitFor('both saw both events', () => (seen['plain']!.length === 2 && seen['fast']!.length === 2) || undefined, 5000, 5);
  t.same(seen['fast']!.sort(), seen['plain']!.sort());
  t.same(seen['plain']!.sort(), ['3 /fast/eph', '4 /fast/none']);
});
