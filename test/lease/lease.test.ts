import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLease } from '../../src/lease/acquire.ts';
import type { Lease } from '../../src/lease/lease.ts';
import { leaseStatus } from '../../src/lease/status.ts';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import type { Store } from '../../src/registry/store.ts';
import { ZooKeeperStore } from '../../src/registry/store-zookeeper.ts';
import { freePort } from '../fixtures/ports.ts';
import { TcpProxy } from '../fixtures/tcp-proxy.ts';
import { ZooKeeper, mntrValue } from '../fixtures/zookeeper.ts';

const SESSION_MS = 2000;
const zk = await ZooKeeper.start();
t.teardown(() => zk.stop());

async function open(sessionTimeoutMs = SESSION_MS): Promise<Store> {
  const s = ZooKeeperStore.open({ connect: zk.connectString, sessionTimeoutMs });
  await s.ready(10_000);
  return s;
}

async function watchCount(): Promise<number> {
  return mntrValue(zk.ports[0]!, 'zk_watch_count');
}

function settled<T>(p: Promise<T>): { value: T | undefined; done: boolean } {
  const state = { value: undefined as T | undefined, done: false };
  p.then((v) => { state.value = v; state.done = true; }, () => { state.done = true; });
  return state;
}

t.test('bad input fails at once and leaves nothing behind', async (t) => {
  const store = await open();
  t.teardown(() => store.close());
  for (const name of ['', 'a/b', '..', '-x', 'x'.repeat(129), 'sp ace']) {
    await t.rejects(acquireLease(name, { store }), { code: 'HERALD_INVALID_ARGUMENT' }, `name ${JSON.stringify(name)}`);
  }
  await t.rejects(acquireLease('ok', {}), { code: 'HERALD_INVALID_ARGUMENT' }, 'neither zk nor store');
  await t.rejects(acquireLease('ok', { store, zk: zk.connectString }), { code: 'HERALD_INVALID_ARGUMENT' }, 'both');
  await t.rejects(acquireLease('ok', { store, instance: '' }), { code: 'HERALD_INVALID_ARGUMENT' }, 'empty instance');
  await t.rejects(acquireLease('ok', { store, safetyMarginMs: SESSION_MS }), /safetyMarginMs/, 'margin as long as the session');
  const dead = await freePort();
  const started = Date.now();
  await t.rejects(acquireLease('ok', { zk: `127.0.0.1:${dead}`, connectTimeoutMs: 500 }), { code: 'HERALD_REGISTRY_UNAVAILABLE' }, 'unreachable ZooKeeper');
  t.ok(Date.now() - started < 3000, 'fails within the connect timeout');
  t.equal(await store.get('/herald/lease/ok'), undefined, 'nothing was created');
});

t.test('a queue in order: one holder, tokens strictly increase, each waiter watches only its predecessor', async (t) => {
  const stores = await Promise.all([1, 2, 3, 4, 5].map(() => open()));
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  const before = await watchCount();
  const first = await acquireLease('queue', { store: stores[0]!, instance: 'i0' });
  const waiting: Promise<Lease>[] = [];
  for (let i = 1; i < stores.length; i++) {
    waiting.push(acquireLease('queue', { store: stores[i]!, instance: `i${i}` }));
    // Join one after another, so the queue order is known.
    await waitForQueue(stores[0]!, i);
  }
  const status = await leaseStatus(stores[0]!, 'queue');
  t.equal(status.holder?.instance, 'i0');
  t.equal(status.holder?.token, first.token);
  t.same(status.queue.map((c) => c.instance), ['i1', 'i2', 'i3', 'i4']);
  t.equal(await watchCount() - before, 4, 'one watch per waiter, none on the holder by all (no herd)');

  const states = waiting.map(settled);
  let held = first;
  const tokens = [first.token];
  for (let i = 0; i < waiting.length; i++) {
    await sleep(50);
    t.same(states.map((s) => s.done), states.map((_, j) => j < i), `only the first ${i} waiters hold so far`);
    const started = performance.now();
    await held.release();
    t.equal(held.signal.aborted, true);
    t.equal((held.signal.reason as { reason: string }).reason, 'released');
    held = await waiting[i]!;
    t.ok(performance.now() - started < 1000, `the next holds at once (${Math.round(performance.now() - started)} ms)`);
    tokens.push(held.token);
    t.equal(held.held, true);
  }
  t.ok(tokens.every((tok, i) => i === 0 || tok > tokens[i - 1]!), `tokens strictly increase: ${tokens.join(' ')}`);
  await held.release();
  t.same((await leaseStatus(stores[0]!, 'queue')).holder, undefined, 'free after the last release');
  t.equal(await watchCount(), before, 'no watch left behind');
});

async function waitForQueue(store: Store, length: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = await leaseStatus(store, 'queue');
    if (s.queue.length >= length) return;
    await sleep(10);
  }
  throw new Error(`queue never reached ${length}`);
}

t.test('an aborted wait leaves the queue and the store open', async (t) => {
  const a = await open();
  const b = await open();
  t.teardown(async () => { await a.close(); await b.close(); });
  const holder = await acquireLease('abort', { store: a, instance: 'a' });
  const controller = new AbortController();
  const waiting = acquireLease('abort', { store: b, instance: 'b', signal: controller.signal });
  await sleep(200);
  t.equal((await leaseStatus(a, 'abort')).queue.length, 1);
  controller.abort(new Error('changed my mind'));
  await t.rejects(waiting, /changed my mind/);
  t.equal((await leaseStatus(a, 'abort')).queue.length, 0, 'its node is gone');
  t.equal(b.state, 'connected', 'a shared store stays open');
  await holder.release();
  t.equal((await leaseStatus(a, 'abort')).holder, undefined);
});

t.test('ZooKeeper frozen: the holder gives up before its session could expire, and the next takes over after', async (t) => {
  const a = await open();
  const b = await open();
  t.teardown(async () => { await a.close(); await b.close(); });
  const first = await acquireLease('frozen-zk', { store: a, instance: 'a' });
  const next = acquireLease('frozen-zk', { store: b, instance: 'b' });
  await sleep(300);
  zk.signal('SIGSTOP');
  const frozenAt = performance.now();
  try {
    await new Promise((resolve) => first.signal.addEventListener('abort', resolve, { once: true }));
    const after = performance.now() - frozenAt;
    t.equal((first.signal.reason as { reason: string }).reason, 'deadline');
    // Trusted until (last confirmation + 2000 - 667): at most that after the freeze.
    t.ok(after < SESSION_MS - SESSION_MS / 3 + 100, `signal after ${Math.round(after)} ms, before the session could expire (${SESSION_MS} ms)`);
  } finally {
    zk.signal('SIGCONT');
  }
  const second = await next;
  t.ok(second.token > first.token, 'the next holder has a higher token');
  await second.release();
});

t.test('a frozen holder sees the loss on its first look after waking', async (t) => {
  const a = await open();
  t.teardown(() => a.close());
  const lease = await acquireLease('wake', { store: a, instance: 'a' });
  // Block the event loop past the trusted window: no timer can run meanwhile.
  const until = performance.now() + SESSION_MS;
  while (performance.now() < until) { /* frozen */ }
  t.equal(lease.held, false, 'held is false before any timer ran');
  t.equal((lease.signal.reason as { reason: string }).reason, 'deadline');
  await lease.release();
});

t.test('in memory: the same lease, and an expiry ends it', async (t) => {
  const registry = new MemoryRegistry();
  const a = registry.connect();
  const b = registry.connect();
  t.teardown(async () => { await a.close(); await b.close(); });
  const first = await acquireLease('mem', { store: a, instance: 'a' });
  const next = acquireLease('mem', { store: b, instance: 'b' });
  t.equal(first.remainingMs, Infinity, 'no session timeout in memory');
  a.expire();
  t.equal((first.signal.reason as { code: string; reason: string }).reason, 'expired');
  t.equal((first.signal.reason as { code: string }).code, 'HERALD_LEASE_LOST');
  const second = await next;
  t.ok(second.token > first.token);
  await second.release();
  await first.release();
});

t.test('a partitioned holder gives up before the survivor takes over; its waiter rejoins after the expiry', async (t) => {
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: zk.ports[0]! });
  const cut = ZooKeeperStore.open({ connect: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: SESSION_MS });
  await cut.ready(10_000);
  const b = await open();
  t.teardown(async () => { await cut.close(); await b.close(); await proxy.stop(); });
  const first = await acquireLease('partition', { store: cut, instance: 'cut' });
  // Listened to from the start: a holder that gives up early (a renewal unanswered on a loaded machine) is seen too.
  let lostAt = 0;
  first.signal.addEventListener('abort', () => { lostAt = performance.now(); }, { once: true });
  const next = acquireLease('partition', { store: b, instance: 'b' });
  await sleep(300);
  const cutAt = performance.now();
  proxy.blackhole();
  const second = await next;
  const tookOverAt = performance.now();
  t.ok(lostAt > 0 && lostAt < tookOverAt, `the cut-off holder gave up ${Math.round(lostAt - cutAt)} ms after the cut, before the takeover at ${Math.round(tookOverAt - cutAt)} ms`);
  t.equal((first.signal.reason as { reason: string }).reason, 'deadline');
  t.ok(second.token > first.token);
  // Back on the network: the old session is expired; a new one queues behind the holder.
  proxy.restore();
  const again = acquireLease('partition', { store: cut, instance: 'cut' });
  await waitForState(cut, 'connected');
  for (let i = 0; i < 200 && (await leaseStatus(b, 'partition')).queue[0]?.instance !== 'cut'; i++) await sleep(20);
  const s = await leaseStatus(b, 'partition');
  t.same([s.holder?.instance, ...s.queue.map((c) => c.instance)], ['b', 'cut'], 'rejoined at the back');
  await second.release();
  const third = await again;
  t.ok(third.token > second.token);
  await third.release();
});

t.test('the node deleted under the holder (by an operator): the signal fires with reason gone', async (t) => {
  const a = await open();
  const other = await open();
  t.teardown(async () => { await a.close(); await other.close(); });
  const lease = await acquireLease('deleted', { store: a, instance: 'a' });
  await other.delete(lease.path);
  const started = performance.now();
  await new Promise((resolve) => lease.signal.addEventListener('abort', resolve, { once: true }));
  t.equal((lease.signal.reason as { reason: string }).reason, 'gone');
  t.ok(performance.now() - started < SESSION_MS, `noticed within ${Math.round(performance.now() - started)} ms`);
  await lease.release();
});

t.test('assertValid() and guard(): work is refused once the token is stale, and a result computed across a loss is rejected', async (t) => {
  const a = await open();
  const other = await open();
  t.teardown(async () => { await a.close(); await other.close(); });
  const lease = await acquireLease('guarded', { store: a, instance: 'a' });
  t.doesNotThrow(() => lease.assertValid(), 'valid while held');
  t.equal(await lease.guard((token) => `wrote with ${token}`), `wrote with ${lease.token}`, 'guard() runs the work and hands it the token');
  t.ok(lease.confirmedAgoMs >= 0 && lease.confirmedAgoMs < SESSION_MS, `confirmed ${Math.round(lease.confirmedAgoMs)} ms ago`);
  // The lease is lost while a unit of work runs: its result is not taken.
  const straddling = lease.guard(async (_token, signal) => {
    await other.delete(lease.path);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return 'too late';
  });
  await t.rejects(straddling, { name: 'LeaseLostError', code: 'HERALD_LEASE_LOST', reason: 'gone' });
  t.throws(() => lease.assertValid(), { code: 'HERALD_LEASE_LOST', reason: 'gone' }, 'assertValid() throws once lost');
  let ran = false;
  await t.rejects(lease.guard(() => { ran = true; }), { code: 'HERALD_LEASE_LOST' });
  t.notOk(ran, 'guard() does not start work on a stale token');
  await lease.release();

  const second = await acquireLease('guarded', { store: a, instance: 'a' });
  await second.release();
  t.throws(() => second.assertValid(), { code: 'HERALD_LEASE_RELEASED', reason: 'released' }, 'after release(): HERALD_LEASE_RELEASED');
});

async function waitForState(store: Store, state: string): Promise<void> {
  for (let i = 0; i < 500 && store.state !== state; i++) await sleep(20);
}
