import t from 'tap';
import { Cluster } from './harness.ts';
import { waitFor } from '../fixtures/wait.ts';

// The embedded default across processes, no ZooKeeper: one `herald serve
// --registry memory --registry-listen`, three instances whose `herald
// sidecar` processes register over memory:// (one connection = one session),
// `herald drain`/`herald resume` over memory:// too, and a client at ~300/s.

t.test('embedded default (herald serve --registry memory, sidecars over memory://) under steady load', async (t) => {
  const c = await Cluster.start({ registry: 'memory', rps: 300, ttl: 2 });
  t.teardown(() => c.stop());
  const client = c.client!;
  t.match(c.connectString, /^memory:\/\/127\.0\.0\.1:\d+$/);

  await t.test('rolling update through the CLI: zero failed requests', async (t) => {
    for (const i of c.instances) {
      const drained = await c.drain(i);
      t.equal(drained.code, 0, `${i.name}: herald drain exits 0 (${drained.stderr.trim()})`);
      t.notOk(client.has(i.port), `${i.name}: out of the client's rotation when drained`);
      await i.stop();
      await i.start();
      t.equal((await c.resume(i)).code, 0, `${i.name}: herald resume exits 0`);
      await c.waitInDns(c.instances);
      await c.waitInRotation([i]);
    }
    await client.answered(300);
    t.equal(client.failures.length, 0, `no request failed ${JSON.stringify(client.failures.slice(0, 3))}`);
  });

  await t.test('kill -9 of an instance: out of DNS as soon as its connection drops; zero failed GETs', async (t) => {
    const victim = c.instance('web-3');
    const killed = Date.now();
    await victim.kill9();
    await c.waitOutOfDns(victim, 5000);
    const gone = Date.now() - killed;
    t.ok(gone < 1500, `out of DNS ${gone} ms after kill -9 (no session timeout to wait for)`);
    await waitFor('the client to drop it', () => !client.has(victim.port), (c.ttl + 2) * 1000, 20);
    await client.answered(300);
    t.equal(client.failures.length, 0, `no GET failed ${JSON.stringify(client.failures.slice(0, 3))}`);
  });

  const done = await client.stop();
  t.equal(done.failed, 0, `${done.ok} answered, ${done.failed} failed`);
});
