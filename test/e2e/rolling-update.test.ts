import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, heraldRun, srvTargets } from './harness.ts';

// Real processes on loopback: ZooKeeper, two `herald serve`, three instances
// (service + `herald sidecar` each), one client at ~300 requests/s through
// BalancedAgent resolving through both nameservers. The rolling update, as
// an operator or sdcadm runs it with the CLI. (Crashes and outages:
// failures.test.ts.)

const failuresText = (c: Cluster): string => JSON.stringify(c.client!.failures.slice(0, 5));

t.test('rolling update under steady load', async (t) => {
  const c = await Cluster.start({ rps: 300, ttl: 2, sessionTimeoutMs: 3000 });
  t.teardown(() => c.stop());
  const client = c.client!;

  await t.test('rolling update through the CLI (herald drain, restart, herald resume): zero failed requests', async (t) => {
    for (const i of c.instances) {
      const drained = await c.drain(i);
      t.equal(drained.code, 0, `${i.name}: herald drain exits 0 (${drained.stderr.trim()})`);
      const status = JSON.parse(drained.stdout) as { state: string; drain?: { phase: string } };
      t.equal(status.drain?.phase, 'drained', `${i.name}: drained`);
      t.notOk(client.has(i.port), `${i.name}: the client had dropped it before the drain ended`);
      // The update: the zone is rebuilt, so the sidecar restarts too; the drain request outlives it.
      await i.stop();
      await i.start();
      await sleep(500);
      for (const ns of c.nameservers) t.notOk((await srvTargets(ns, c.srvName))?.includes(i.target), `${i.name}: still out of ${ns} after its restart (the drain holds)`);
      const resumed = await c.resume(i);
      t.equal(resumed.code, 0, `${i.name}: herald resume exits 0 (${resumed.stderr.trim()})`);
      // As the README's update flow: back in every nameserver before the next instance.
      const back = await heraldRun(['wait', '--in', i.target, '127.0.0.1', '--nameservers', c.nameservers.join(','), '--timeout', '15', '--interval', '0.1']);
      t.equal(back.code, 0, `${i.name}: herald wait --in exits 0 (${back.stderr.trim()})`);
      await c.waitInDns(c.instances);
      await c.waitInRotation([i]);
    }
    await client.answered(300);
    t.equal(client.failures.length, 0, `no request failed during the rolling update ${failuresText(c)}`);
  });

  const done = await client.stop();
  t.equal(done.failed, 0, `in all: ${done.ok} requests answered, ${done.failed} failed`);
  t.ok(done.ok > 1500, `the load ran throughout (${done.ok} answers)`);
});
