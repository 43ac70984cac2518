import t from 'tap';
import { join } from 'node:path';
import { leaseStatus } from '../../src/lease/status.ts';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import { intentPath, newIntent } from '../../src/drain/index.ts';
import { ZooKeeper } from '../fixtures/zookeeper.ts';
import { waitFor } from '../fixtures/wait.ts';
import { sidecarDir, startSidecar, type Running } from '../sidecar/processes.ts';
import { assertExclusive, intervals, killGroup, readLog, writeSingletonConfig } from './helpers.ts';

// Two real `herald sidecar` processes with `singleton` in their config: the
// command runs in one of them, and a drain moves it at once.
const SESSION_MS = 10_000; // a move by session expiry would take this long
const DOMAIN = 'jobs.coal.joyent.us';
const zk = await ZooKeeper.start();
const store = ZooKeeperStore.open({ connect: zk.connectString });
await store.ready(10_000);
t.teardown(async () => { await store.close(); await zk.stop(); });

t.test('sidecar singleton: one runs; drain and SIGTERM move the lease at once; resume queues again', async (t) => {
  const d = await sidecarDir();
  const log = join(d.dir, 'lease.log');
  process.env['LEASE_LOG'] = log; // the sidecars (and so their commands) inherit it
  const sidecars = new Map<string, Running>();
  t.teardown(async () => {
    for (const s of sidecars.values()) await s.stop('SIGKILL');
    for (const l of await readLog(log)) killGroup(l.pid, 'SIGKILL');
    await d.cleanup();
  });
  for (const instance of ['zone-a', 'zone-b']) {
    const file = await writeSingletonConfig(d.dir, instance, { domain: DOMAIN, zkPort: zk.ports[0]!, sessionMs: SESSION_MS });
    sidecars.set(instance, await startSidecar(['--config', file]));
  }
  const first = await waitFor('a holder', async () => intervals(await readLog(log))[0], 15_000, 20);
  const other = first.instance === 'zone-a' ? 'zone-b' : 'zone-a';
  await waitFor('the other sidecar waits', async () => (await leaseStatus(store, 'publisher')).queue[0]?.instance === other, 10_000, 20);

  // Drain the holder: the intent node is what `herald drain` writes.
  const drainedAt = Date.now();
  await store.putPersistent(intentPath(DOMAIN, first.instance), JSON.stringify(newIntent('test', 500)));
  const second = await waitFor('the other holds', async () => intervals(await readLog(log)).find((i) => i.token > first.token), 5000, 10);
  t.equal(second.instance, other);
  t.ok(second.start - drainedAt < 3000, `moved ${second.start - drainedAt} ms after the drain (session timeout ${SESSION_MS} ms)`);
  t.ok(intervals(await readLog(log)).find((i) => i.token === first.token)?.stopped, 'the drained one stopped its command');
  await waitFor('the drained one left the queue', async () => (await leaseStatus(store, 'publisher')).queue.length === 0, 5000, 20);

  // Resume: it queues again behind the holder.
  await store.delete(intentPath(DOMAIN, first.instance));
  await waitFor('queued again', async () => (await leaseStatus(store, 'publisher')).queue[0]?.instance === first.instance, 5000, 20);

  // SIGTERM of the holder's sidecar: the lease moves back at once.
  const stoppedAt = Date.now();
  const stopping = sidecars.get(other)!.stop('SIGTERM');
  const third = await waitFor('back to the first', async () => intervals(await readLog(log)).find((i) => i.token > second.token), 5000, 10);
  t.equal(third.instance, first.instance);
  t.ok(third.start - stoppedAt < 3000, `moved ${third.start - stoppedAt} ms after SIGTERM`);
  t.equal(await stopping, 0, 'the sidecar exits 0');
  sidecars.delete(other);
  assertExclusive(t, intervals(await readLog(log)));
});
