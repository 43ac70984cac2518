import t from 'tap';
import { MemoryRegistry } from '../../src/registry/store-memory.ts';
import { hostRecordJson, serviceRecordJson } from '../../src/registry/records.ts';
import type { SnapshotDelta } from '../../src/registry/store.ts';
import { deltaInstanceChanges, knownInstances } from '../../src/server/registry-events.ts';

// herald serve's join/leave log follows the mirror's deltas: each step costs
// the log only what it changed, and says the same as comparing whole copies.
t.test('joins and leaves from each delta: instances, a service removed whole, a node that stops being a service', async (t) => {
  const registry = new MemoryRegistry();
  const w = registry.connect();
  const mirror = registry.connect().mirror('/us/joyent/coal');
  t.teardown(() => mirror.close());
  const lb = (address: string) => hostRecordJson({ type: 'load_balancer', address, ports: [80] });
  await w.putPersistent('/us/joyent/coal/web', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
  await w.putEphemeral('/us/joyent/coal/web/w1', lb('10.0.0.1'));
  const known = knownInstances(await mirror.synced());
  t.same([...known.get('/us/joyent/coal/web')!.values()], [{ service: 'web.coal.joyent.us', instance: 'w1', address: '10.0.0.1' }]);
  const steps: ReturnType<typeof deltaInstanceChanges>[] = [];
  const next = () => new Promise<void>((resolve) => mirror.once('delta', (d: SnapshotDelta) => { steps.push(deltaInstanceChanges(known, d, (p) => mirror.node(p))); resolve(); }));

  let step = next();
  await w.putEphemeral('/us/joyent/coal/web/w2', lb('10.0.0.2'));
  await step;
  t.same(steps.at(-1), { joined: [{ service: 'web.coal.joyent.us', instance: 'w2', address: '10.0.0.2' }], left: [] }, 'a member joins with its address');

  step = next();
  await w.putEphemeral('/us/joyent/coal/web/w1', lb('10.0.0.9'));
  await step;
  t.same(steps.at(-1), { joined: [], left: [] }, 'a member changing its address neither joins nor leaves');

  step = next();
  await w.delete('/us/joyent/coal/web/w1');
  await step;
  t.same(steps.at(-1), { joined: [], left: [{ service: 'web.coal.joyent.us', instance: 'w1', address: '10.0.0.9' }] }, 'it leaves with the address it had last');

  step = next();
  await w.putPersistent('/us/joyent/coal/web', '{"type":"frobnicator"}');
  await step;
  t.same(steps.at(-1)!.left.map((i) => i.instance), ['w2'], 'a node that is no longer a service: its members leave');

  step = next();
  await w.putPersistent('/us/joyent/coal/web', serviceRecordJson({ service: { srvce: '_http', proto: '_tcp', port: 80 } }));
  await step;
  t.same(steps.at(-1)!.joined.map((i) => i.instance), ['w2'], 'and join again when it is one again');

  const before = steps.length;
  mirror.on('delta', (d) => steps.push(deltaInstanceChanges(known, d, (p) => mirror.node(p))));
  await w.delete('/us/joyent/coal/web/w2');
  await w.delete('/us/joyent/coal/web');
  await new Promise((r) => setTimeout(r, 20));
  const rest = steps.slice(before);
  t.same(rest.flatMap((s) => s.left), [{ service: 'web.coal.joyent.us', instance: 'w2', address: '10.0.0.2' }], 'a service emptied and removed: its member leaves, once');
  t.same(rest.flatMap((s) => s.joined), []);
  t.equal(known.size, 0, 'nothing known of it any more');
});
