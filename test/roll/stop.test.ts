import t from 'tap';
import { herald, srvTargets } from '../e2e/harness.ts';
import { rollCluster } from './control.ts';

// Ctrl-C: the roll stops after the current step and says what it left
// drained; --continue picks up. Real processes as in roll.test.ts.

t.test('SIGINT during a drain: stops after it, names what it left drained; --continue finishes', async (t) => {
  const { c, control, roll, rollArgs } = await rollCluster(t, 2);
  const first = herald([...rollArgs, c.domain, '--instances', 'web-1', '--timeout', '30', ...control.command()]);
  await first.waitOutput(/web-1: draining/, 60_000);
  first.child.kill('SIGINT');
  t.equal(await first.exit, 1);
  t.match(first.stderr, /herald roll: stopped on request after the current step; left drained: web-1 \('herald roll --continue web\.e2e\.test' picks up\)/);
  t.same(control.log, [], 'the update did not start after the stop');
  for (const ns of c.nameservers) t.notOk((await srvTargets(ns, c.srvName))?.includes('web-1.web.e2e.test'), `web-1 left out of ${ns}`);
  const cont = await roll(['--continue', c.domain]);
  t.equal(cont.code, 0, cont.stderr.slice(-800));
  t.same(control.log.map((x) => x.instance), ['web-1'], 'updated once, by the continued roll');
  await c.waitInDns(c.instances);
  await c.client!.answered(100);
  t.equal(c.client!.failures.length, 0, 'no request failed');
});
