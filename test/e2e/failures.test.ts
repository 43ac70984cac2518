import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from './harness.ts';
import { waitFor } from '../fixtures/wait.ts';

// Real processes on loopback: ZooKeeper, two `herald serve`, three instances
// (service + `herald sidecar` each), one client at ~300 requests/s through
// BalancedAgent resolving through both nameservers. Crashes and outages on
// one cluster, in order; the client's failures are checked after each.

const failuresText = (c: Cluster): string => JSON.stringify(c.client!.failures.slice(0, 5));

t.test('crashes and outages under steady load', async (t) => {
  const c = await Cluster.start({ rps: 300, ttl: 2, sessionTimeoutMs: 3000 });
  t.teardown(() => c.stop());
  const client = c.client!;

  await t.test('kill -9 of an instance: zero failed GETs; it leaves DNS within the session timeout', async (t) => {
    const victim = c.instance('web-2');
    const killed = Date.now();
    await victim.kill9();
    await c.waitOutOfDns(victim, c.sessionTimeoutMs + 5000);
    const gone = Date.now() - killed;
    t.ok(gone <= c.sessionTimeoutMs + 1500, `out of both nameservers ${gone} ms after kill -9 (session timeout ${c.sessionTimeoutMs} ms)`);
    await waitFor('the client to drop it', () => !client.has(victim.port), (c.ttl + 2) * 1000, 20);
    await client.answered(300);
    t.equal(client.failures.length, 0, `no GET failed ${failuresText(c)}`);
    await victim.start();
    await c.waitInDns(c.instances);
    await c.waitInRotation(c.instances);
  });

  await t.test('one herald serve stopped: the client keeps resolving through the other', async (t) => {
    const [first] = c.serves;
    await first!.stop();
    await sleep(2 * c.ttl * 1000 + 500);
    t.same(client.ports, c.instances.map((i) => i.port).sort(), 'every instance still in rotation after two TTLs');
    // A change made now reaches the client through the remaining nameserver.
    const web3 = c.instance('web-3');
    await web3.sidecar!.stop();
    await waitFor('the client to drop web-3 (seen through the second nameserver)', () => !client.has(web3.port), (2 * c.ttl + 2) * 1000, 20);
    await web3.startSidecar();
    await waitFor('the client to take web-3 back', () => client.has(web3.port), (2 * c.ttl + 2) * 1000, 20);
    await first!.start();
    await c.waitInDns(c.instances);
    await client.answered(300);
    t.equal(client.failures.length, 0, `no request failed ${failuresText(c)}`);
  });

  await t.test('ZooKeeper restarted with its data gone (every session expired): everything re-registers', async (t) => {
    await c.zk.restartEmpty();
    await c.waitInDns(c.instances, 20_000);
    await c.waitInRotation(c.instances);
    await client.answered(300);
    t.pass('every instance back in both nameservers and in the client\'s rotation');
    t.equal(client.failures.length, 0, `no request failed ${failuresText(c)}`);
  });

  const done = await client.stop();
  t.equal(done.failed, 0, `in all: ${done.ok} requests answered, ${done.failed} failed`);
  t.ok(done.ok > 1500, `the load ran throughout (${done.ok} answers)`);
});
