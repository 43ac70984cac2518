import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from './harness.ts';
import { waitFor } from '../fixtures/wait.ts';

// The Triton HA checklist, one step each, on one cluster under steady load
// (standalone ZooKeeper, two herald serve, three instances with sidecars, a
// client at ~300 requests/s). Only graceful stops here, so every request id
// an instance served is on record (its live list, or its file on exit).

t.test('HA checklist', async (t) => {
  const c = await Cluster.start({ rps: 300, ttl: 2, sessionTimeoutMs: 3000 });
  t.teardown(() => c.stop());
  const client = c.client!;
  const [web1, web2] = [c.instance('web-1'), c.instance('web-2')];
  const served = (name: string): number => client.stats?.byInstance[name] ?? 0;

  await t.test('stop an instance with active connections: new requests reach the others', async (t) => {
    await client.answered(200);
    t.ok(served('web-1') > 0, 'web-1 had traffic and open connections');
    await web1.stop(); // sidecar and service together, under load
    const at = { web1: served('web-1'), web2: served('web-2'), web3: served('web-3') };
    await client.answered(600);
    t.equal(served('web-1'), at.web1, 'nothing more reached web-1');
    t.ok(served('web-2') > at.web2 + 100 && served('web-3') > at.web3 + 100, 'the others took the load');
    t.equal(client.failures.length, 0, `no request failed ${JSON.stringify(client.failures.slice(0, 3))}`);
  });

  await t.test('start a stopped instance: picked up within the TTL', async (t) => {
    await waitFor('web-1 out of the client\'s rotation', () => !client.has(web1.port), 10_000, 20);
    await web1.startService();
    await web1.startSidecar();
    const started = Date.now();
    await c.waitInRotation([web1], 15_000);
    const took = Date.now() - started;
    // The client re-asks every TTL (+10% jitter); registration waits one health check; slack for a loaded machine.
    const bound = c.ttl * 1000 * 1.1 + 2000;
    t.ok(took <= bound, `in the client's rotation ${took} ms after its sidecar started (TTL ${c.ttl} s, bound ${bound} ms)`);
    await client.answered(600);
    t.ok(served('web-1') > 0 && client.stats!.byInstance['web-1']! > 0, 'it takes requests again');
  });

  await t.test('restart an idle instance: no impact', async (t) => {
    client.setRps(0);
    await waitFor('no request in flight', () => client.stats?.inFlight === 0, 10_000, 20);
    await web2.stop();
    await web2.start();
    client.setRps(300);
    await client.answered(900);
    await c.waitInDns(c.instances);
    await c.waitInRotation(c.instances);
    t.equal(client.failures.length, 0, `no request failed ${JSON.stringify(client.failures.slice(0, 3))}`);
  });

  await t.test('every request served by one and only one instance (counted server-side)', async (t) => {
    await sleep(200);
    const done = await client.stop();
    t.equal(done.failed, 0);
    await Promise.all(c.instances.map((i) => i.stop()));
    const ids = (await Promise.all(c.instances.map((i) => i.servedIds()))).flat();
    const unique = new Set(ids);
    t.equal(unique.size, ids.length, `no request was served twice (${ids.length - unique.size} duplicates)`);
    t.equal(ids.length, done.ok, `the instances served exactly the ${done.ok} requests the client got answers to`);
  });
});
