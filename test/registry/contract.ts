import type { Test } from 'tap';
import { applySnapshotDelta } from '../../src/registry/delta.ts';
import type { Snapshot, SnapshotNode, Store } from '../../src/registry/store.ts';
import { waitFor } from '../fixtures/wait.ts';

/** Waits until the mirror's snapshot satisfies `ok`. */
export async function snapshotWhere(mirror: { snapshot: Snapshot | undefined }, ok: (s: Snapshot) => boolean, what: string): Promise<Snapshot> {
  return waitFor(what, () => (mirror.snapshot && ok(mirror.snapshot) ? mirror.snapshot : undefined), 10_000, 5);
}

/**
 * The behaviour every Store must have, run against ZooKeeper and memory.
 * `open()` opens a new session on the same registry.
 */
export async function storeContract(t: Test, open: () => Promise<Store>): Promise<void> {
  const a = await open();
  const b = await open();
  t.teardown(async () => { await a.close(); await b.close(); });
  t.equal(a.state, 'connected');

  await t.test('persistent nodes: parents created with null data, overwrite, children, delete', async (t) => {
    await a.putPersistent('/us/joyent/coal/moray', '{"type":"service"}');
    t.same(await a.get('/us/joyent/coal'), { data: null, ephemeral: false, ownedByMe: false });
    t.same(await b.get('/us/joyent/coal/moray'), { data: '{"type":"service"}', ephemeral: false, ownedByMe: false });
    await b.putPersistent('/us/joyent/coal/moray', '{"v":2}');
    t.equal((await a.get('/us/joyent/coal/moray'))?.data, '{"v":2}');
    t.same(await a.children('/us/joyent'), ['coal']);
    t.equal(await a.children('/nope'), undefined);
    t.equal(await a.get('/nope'), undefined);
    await t.rejects(a.delete('/us/joyent'), { code: 'HERALD_NODE_CONFLICT' });
    t.equal(await a.delete('/us/joyent/coal/moray'), true);
    t.equal(await a.delete('/us/joyent/coal/moray'), false);
  });

  await t.test('ephemeral nodes belong to their session and vanish when it closes', async (t) => {
    const c = await open();
    await c.putEphemeral('/us/joyent/coal/svc/inst1', '{"type":"load_balancer"}');
    const mine = await c.get('/us/joyent/coal/svc/inst1');
    t.match(mine, { data: '{"type":"load_balancer"}', ephemeral: true, ownedByMe: true, session: /^0x[0-9a-f]+$/ }, 'the owner session in hex, as zkCli shows ephemeralOwner');
    t.same(await a.get('/us/joyent/coal/svc/inst1'), { data: '{"type":"load_balancer"}', ephemeral: true, ownedByMe: false, session: mine!.session });
    await b.putEphemeral('/us/joyent/coal/svc/inst2', '{}');
    const other = (await a.get('/us/joyent/coal/svc/inst2'))?.session;
    t.ok(other !== undefined && other !== mine!.session, `another session, another id (${other} vs ${mine!.session})`);
    await b.delete('/us/joyent/coal/svc/inst2');
    // Same session: an update; another session: refused; persistent in the way: refused.
    await c.putEphemeral('/us/joyent/coal/svc/inst1', '{"v":2}');
    t.equal((await a.get('/us/joyent/coal/svc/inst1'))?.data, '{"v":2}');
    await t.rejects(a.putEphemeral('/us/joyent/coal/svc/inst1', '{}'), { code: 'HERALD_NODE_OWNED' });
    await t.rejects(a.putEphemeral('/us/joyent/coal/svc', '{}'), { code: 'HERALD_NODE_CONFLICT' });
    await t.rejects(a.putPersistent('/us/joyent/coal/svc/inst1', '{}'), { code: 'HERALD_NODE_CONFLICT' });
    await c.close();
    t.equal(c.state, 'closed');
    await t.rejects(c.get('/'), { code: 'HERALD_REGISTRY_CLOSED' });
    // close() ends the session at once, not after a session timeout.
    await waitFor('ephemeral gone', async () => (await a.get('/us/joyent/coal/svc/inst1')) === undefined, 3000, 10);
    t.pass('ephemeral gone after close');
  });

  await t.test('a mirror holds a consistent copy and follows creates, updates and deletes', async (t) => {
    const m = a.mirror('/us/joyent/coal/mirrored');
    t.teardown(() => m.close());
    const first = await m.synced(10_000);
    t.equal(first.size, 0, 'absent root: synced, empty');
    await b.putPersistent('/us/joyent/coal/mirrored', 'svc');
    await b.putEphemeral('/us/joyent/coal/mirrored/x', 'one');
    let s = await snapshotWhere(m, (s) => s.get('/us/joyent/coal/mirrored/x')?.data === 'one', 'x in mirror');
    t.same(s.get('/us/joyent/coal/mirrored')?.children, ['x']);
    t.equal(s.get('/us/joyent/coal/mirrored')?.data, 'svc');
    t.equal(s.get('/us/joyent/coal/mirrored/x')?.session, (await b.get('/us/joyent/coal/mirrored/x'))?.session, 'snapshot nodes carry the owner session');
    t.match(s.get('/us/joyent/coal/mirrored/x')?.session, /^0x[0-9a-f]+$/);
    t.notOk('session' in s.get('/us/joyent/coal/mirrored')!, 'a persistent node has none');
    await b.putEphemeral('/us/joyent/coal/mirrored/x', 'two');
    await snapshotWhere(m, (s) => s.get('/us/joyent/coal/mirrored/x')?.data === 'two', 'x updated');
    await b.putPersistent('/us/joyent/coal/mirrored/y/deep', 'd');
    s = await snapshotWhere(m, (s) => s.get('/us/joyent/coal/mirrored/y/deep')?.data === 'd', 'deep node');
    t.same(s.get('/us/joyent/coal/mirrored')?.children, ['x', 'y']);
    await b.delete('/us/joyent/coal/mirrored/x');
    s = await snapshotWhere(m, (s) => !s.has('/us/joyent/coal/mirrored/x'), 'x removed');
    t.same(s.get('/us/joyent/coal/mirrored')?.children, ['y']);
    t.equal(m.staleSince, undefined);
    // Nothing outside the root is copied.
    t.notOk([...s.keys()].some((p) => !p.startsWith('/us/joyent/coal/mirrored')));
    // The root deleted, then created again: the mirror follows it back.
    await b.delete('/us/joyent/coal/mirrored/y/deep');
    await b.delete('/us/joyent/coal/mirrored/y');
    await b.delete('/us/joyent/coal/mirrored');
    await snapshotWhere(m, (s) => s.size === 0, 'root gone');
    await b.putPersistent('/us/joyent/coal/mirrored/z', 'again');
    s = await snapshotWhere(m, (s) => s.get('/us/joyent/coal/mirrored/z')?.data === 'again', 'root back with a child');
    t.same(s.get('/us/joyent/coal/mirrored')?.children, ['z']);
  });

  await t.test('a mirror publishes deltas that replay, from its first sync, to the state a fresh mirror reads', async (t) => {
    const root = '/us/joyent/coal/delta';
    await b.putPersistent(`${root}/svc`, 'service');
    await b.putEphemeral(`${root}/svc/gone`, 'soon');
    const m = a.mirror(root);
    t.teardown(() => m.close());
    const replay = new Map<string, SnapshotNode>(await m.synced(10_000));
    let steps = 0;
    m.on('delta', (d) => {
      steps++;
      const net = applySnapshotDelta(replay, d);
      t.equal(net.changed.length + net.removed.length, d.changed.length + d.removed.length, 'a delta holds only real changes');
      for (const n of d.changed) {
        for (const c of n.children) if (!replay.has(`${n.path}/${c}`)) t.fail(`${n.path} lists ${c}, which is not published`);
      }
    });
    const writes = [
      b.putEphemeral(`${root}/svc/i1`, 'one'), b.putEphemeral(`${root}/svc/i2`, 'two'),
      b.putPersistent(`${root}/svc`, 'service v2'), b.putPersistent(`${root}/other/deep/er`, 'deep'),
      b.delete(`${root}/svc/gone`),
    ];
    await Promise.all(writes);
    await b.putEphemeral(`${root}/svc/i1`, 'one again');
    await b.delete(`${root}/other/deep/er`);
    await snapshotWhere(m, (s) => s.get(`${root}/svc/i1`)?.data === 'one again' && !s.has(`${root}/other/deep/er`) && !s.has(`${root}/svc/gone`), 'all writes seen');
    const fresh = b.mirror(root);
    t.teardown(() => fresh.close());
    const truth = await fresh.synced(10_000);
    t.ok(steps > 0 && steps <= 7, `${steps} steps for 7 writes`);
    t.same(new Map([...replay].sort()), new Map([...truth].sort()), 'the replayed deltas equal a fresh full copy');
    t.same(m.node(`${root}/svc`)?.children, ['i1', 'i2'], 'node() reads the current state without a copy');
    t.equal(m.node(`${root}/nothing`), undefined);
  });

  await t.test('session ownership survives on the writer only', async (t) => {
    const c = await open();
    const m = a.mirror('/us/joyent/coal/own');
    t.teardown(() => m.close());
    await m.synced(10_000);
    await c.putEphemeral('/us/joyent/coal/own/i1', 'a');
    await c.putEphemeral('/us/joyent/coal/own/i2', 'b');
    await snapshotWhere(m, (s) => s.get('/us/joyent/coal/own')?.children.length === 2, 'two instances');
    await c.close();
    const s = await snapshotWhere(m, (s) => s.get('/us/joyent/coal/own')?.children.length === 0, 'both gone together');
    t.ok(s.has('/us/joyent/coal/own'), 'the persistent parent stays');
  });
}
