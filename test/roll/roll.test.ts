import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { herald, heraldRun, srvTargets, type Cluster } from '../e2e/harness.ts';
import { rollCluster } from './control.ts';

// Real processes on loopback: ZooKeeper, two `herald serve`, three instances
// (service + `herald sidecar` each), a client at 300 requests/s through
// BalancedAgent. `herald roll` runs as its own process; its CMD asks this
// test to restart the instance (control.ts), which logs every call.

const failuresText = (c: Cluster): string => JSON.stringify(c.client!.failures.slice(0, 5));

/** Samples every nameserver every 50 ms: the fewest instances any of them served. */
function sampleServed(c: Cluster): { stop(): Promise<number> } {
  let fewest = Infinity;
  let running = true;
  const loop = (async () => {
    while (running) {
      const all = await Promise.all(c.nameservers.map((ns) => srvTargets(ns, c.srvName)));
      for (const targets of all) if (targets) fewest = Math.min(fewest, targets.length);
      await sleep(50);
    }
  })();
  return { async stop() { running = false; await loop; return fewest; } };
}

t.test('herald roll under steady load', async (t) => {
  const { c, control, roll, rollArgs } = await rollCluster(t, 2);
  const client = c.client!;

  await t.test('a roll of every instance: zero failed requests, never fewer than N-1 served, each restarted once', async (t) => {
    control.restart = 'instance'; // a rebuilt zone: the sidecar restarts too, the drain request outlives it
    const sampler = sampleServed(c);
    const r = await roll([c.domain, '--timeout', '30', ...control.command()]);
    const fewest = await sampler.stop();
    t.equal(r.code, 0, `exit 0 (${r.stderr.slice(-800)})`);
    t.match(r.stdout, /web-1: draining/);
    t.match(r.stdout, /web-3: done in/);
    t.match(r.stdout, /roll of web\.e2e\.test: 3 instances updated/);
    t.same(control.log.map((x) => x.instance), ['web-1', 'web-2', 'web-3'], 'each instance restarted exactly once, in order');
    t.same(control.log[0]!.env, { instance: 'web-1', address: '127.0.0.1', domain: c.domain }, 'HERALD_* in its environment');
    t.equal(control.log[0]!.address, '127.0.0.1', '{address} substituted');
    t.equal(fewest, 2, 'every 50 ms sample of both nameservers served at least N-1 = 2 instances');
    await c.waitInDns(c.instances);
    await client.answered(200);
    t.equal(client.failures.length, 0, `no request failed ${failuresText(c)}`);
    const again = await roll(['--continue', c.domain]);
    t.equal(again.code, 1);
    t.match(again.stderr, /has finished \(every instance updated\); nothing to continue/);
    control.restart = 'service';
  });

  await t.test('a second roll while one runs is refused', async (t) => {
    control.log.length = 0;
    // The first roll holds the lease while it waits for a budget it cannot have (all 3 must stay up).
    const first = herald([...rollArgs, c.domain, '--min-available', '3', '--timeout', '6', ...control.command()]);
    await first.waitOutput(/web-1 waits for the budget: 3 of 3 available; taking web-1 out leaves 2, below the 3 required/, 30_000);
    const second = await roll([c.domain, ...control.command()]);
    t.equal(second.code, 1);
    t.match(second.stderr, /herald roll: another herald roll of web\.e2e\.test is running \(lease roll\.web\.e2e\.test held by herald roll by .* pid \d+ since .*\) \(HERALD_ROLL_BUSY\)/);
    t.equal(await first.exit, 1);
    t.match(first.stderr, /web-1 failed while waiting: disruption budget/);
    t.same(control.log, [], 'neither roll restarted anything');
  });

  await t.test('budget: with one instance unhealthy and --min-available 2, no second instance is taken out', async (t) => {
    control.log.length = 0;
    const sick = c.instance('web-3');
    await sick.service.stop(3000); // its health check falls; the sidecar unregisters it
    await c.waitOutOfDns(sick);
    const sampler = sampleServed(c);
    const r = await roll([c.domain, '--min-available', '2', '--timeout', '2', ...control.command()]);
    t.equal(r.code, 1);
    t.match(r.stderr, /herald roll: web-1 failed while waiting: disruption budget: 2 of 3 available; taking web-1 out leaves 1, below the 2 required \(web-3 unhealthy\) for 2 s/);
    t.same(control.log, [], 'nothing was updated');
    // herald drain takes the same flag.
    const drain = await heraldRun(['drain', '--zk', c.connectString, c.domain, 'web-1', '--min-available', '2', '--nameservers', c.nameservers.join(','), '--timeout', '1']);
    t.equal(drain.code, 1);
    t.match(drain.stderr, /herald drain: web-1\.web\.e2e\.test not drained: disruption budget: 2 of 3 available; taking web-1 out leaves 1, below the 2 required \(web-3 unhealthy\) for 1 s/);
    t.equal(await sampler.stop(), 2, 'the two healthy instances stayed served');
    await sick.service.start();
    await c.waitInDns(c.instances);
  });

  await client.answered(200);
  t.equal(client.failures.length, 0, `no request failed in any roll ${failuresText(c)}`);
  const done = await client.stop();
  t.equal(done.failed, 0, `in all: ${done.ok} requests answered, ${done.failed} failed`);
});
