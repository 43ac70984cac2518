import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { herald, srvTargets, type Cluster } from '../e2e/harness.ts';
import { rollCluster } from './control.ts';

// Real processes on loopback: ZooKeeper, two `herald serve`, three instances
// (service + `herald sidecar` each), a client at 300 requests/s through
// BalancedAgent. `herald roll` runs as its own process; its CMD asks this
// test to restart the instance (control.ts), which logs every call. Recovery:
// a CMD that fails, and the roll process killed mid-drain.

const failuresText = (c: Cluster): string => JSON.stringify(c.client!.failures.slice(0, 5));

t.test('herald roll recovers: a failed CMD, a killed roll', async (t) => {
  const { c, control, roll, rollArgs } = await rollCluster(t, 2);
  const client = c.client!;

  await t.test('a CMD failing on the second instance stops the roll: it stays drained, the third untouched', async (t) => {
    control.log.length = 0;
    control.failing.add('web-2');
    const r = await roll([c.domain, '--timeout', '30', ...control.command()]);
    control.failing.clear();
    t.equal(r.code, 1);
    t.match(r.stderr, /herald roll: web-2 failed while updating: CMD exited 3 \(left drained\)/);
    t.same(control.log.map((x) => x.instance), ['web-1', 'web-2'], 'web-3 untouched');
    await c.waitOutOfDns(c.instance('web-2'));
    await sleep(500);
    for (const ns of c.nameservers) t.notOk((await srvTargets(ns, c.srvName))?.includes('web-2.web.e2e.test'), `web-2 still out of ${ns}`);
    // Fixed: --continue retries web-2 and does web-3; web-1 is not updated again.
    control.log.length = 0;
    const cont = await roll(['--continue', c.domain]);
    t.equal(cont.code, 0, cont.stderr.slice(-800));
    t.same(control.log.map((x) => x.instance), ['web-2', 'web-3']);
    await c.waitInDns(c.instances);
  });

  await t.test('kill -9 of the roll while an instance drains, then --continue: nothing updated twice', async (t) => {
    control.log.length = 0;
    const first = herald([...rollArgs, c.domain, '--timeout', '30', ...control.command()]);
    await first.waitOutput(/web-2: draining/, 60_000);
    first.child.kill('SIGKILL');
    await first.exit;
    t.same(control.log.map((x) => x.instance), ['web-1']);
    const cont = await roll(['--continue', c.domain]);
    t.equal(cont.code, 0, cont.stderr.slice(-800));
    t.match(cont.stdout, /waiting for the earlier roll's lease|web-2: draining/);
    t.same(control.log.map((x) => x.instance), ['web-1', 'web-2', 'web-3'], 'each instance updated exactly once across both runs');
    await c.waitInDns(c.instances);
  });

  await client.answered(200);
  t.equal(client.failures.length, 0, `no request failed ${failuresText(c)}`);
  const done = await client.stop();
  t.equal(done.failed, 0, `in all: ${done.ok} requests answered, ${done.failed} failed`);
});
