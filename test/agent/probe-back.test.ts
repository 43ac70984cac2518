// An ejected backend is probed back and readmitted as soon as it answers,
// not after its whole ejection: a crashed instance that restarted without
// ever leaving DNS is back in seconds.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { waitFor } from '../fixtures/wait.ts';
import { forkChildBackend, startBackend, startChildBackend } from './backends.ts';
import { load } from './load.ts';

t.test('a backend process killed and restarted on the same port is readmitted within seconds of its restart', async (t) => {
  const live = await Promise.all([startBackend(), startBackend()]);
  let crashed = await startChildBackend(2);
  const { port, key, target } = crashed;
  // The default 30 s ejection: without probes it would stay out that long.
  const agent = new BalancedAgent({ backends: [target, ...live.map((b) => b.target)], slowStartMs: 0 });
  const events: Array<[string, number]> = [];
  for (const e of ['ejected', 'readmitted']) agent.events.on(e, (k: string) => k === key && events.push([e, Date.now()]));
  let stop = false;
  t.teardown(async () => {
    stop = true;
    await agent.close();
    await crashed.kill();
    await Promise.all(live.map((b) => b.kill()));
  });
  // The replacement process, booted but not listening yet: its restart is when it starts to listen.
  const replacement = await forkChildBackend(2);
  const traffic = load(agent, { count: 1e9, concurrency: 4, deadlineMs: 30_000, until: () => stop });
  await waitFor('the backend to take requests', () => crashed.total() > 20, 5000, 5);
  await crashed.kill();
  await waitFor('the ejection', () => events.some(([e]) => e === 'ejected'), 5000, 5);
  const ejectedAt = events.find(([e]) => e === 'ejected')![1];
  // Down for 1.5 s: the first probe (about 1 s after the ejection) is
  // refused, the second (about 2 s later) finds it listening.
  await sleep(1500);
  crashed = await replacement.listen(port);
  const restartedAt = Date.now();
  await waitFor('the readmission', () => events.some(([e]) => e === 'readmitted'), 10_000, 5);
  const readmittedAt = events.find(([e]) => e === 'readmitted')![1];
  await waitFor('the restarted process to take requests', () => crashed.total() > 0, 5000, 5);
  stop = true;
  const r = await traffic;
  t.ok(readmittedAt - restartedAt < 2500, `readmitted ${readmittedAt - restartedAt} ms after its restart (${readmittedAt - ejectedAt} ms after its ejection; the ejection would have lasted 30000 ms)`);
  t.same(events.map(([e]) => e), ['ejected', 'readmitted'], 'ejected once, readmitted once');
  t.equal(r.failed.length, 0, `no GET failed of ${r.ok}`);
  t.ok(agent.stats().backends.find((b) => b.key === key)?.ejected === false);
});

t.test('with `ping`, a backend ejected for 5xx is probed with the ping path; without it, a TCP connect cannot readmit it', async (t) => {
  const sick = await startBackend();
  const well = await startBackend();
  const targets = [sick.target, well.target];
  // Pings every 60 s: only the probes of the ejected backend ping it after the first.
  const pinging = new BalancedAgent({ backends: targets, ping: '/ping', pingInterval: 60_000, consecutiveFailures: 3, slowStartMs: 0 });
  const plain = new BalancedAgent({ backends: targets, consecutiveFailures: 3, slowStartMs: 0 });
  t.teardown(async () => {
    await Promise.all([pinging.close(), plain.close()]);
    await Promise.all([sick.kill(), well.kill()]);
  });
  const readmitted: string[] = [];
  pinging.events.on('readmitted', () => readmitted.push('pinging'));
  plain.events.on('readmitted', () => readmitted.push('plain'));
  await waitFor('the first pings', () => (sick.paths.get('/ping') ?? 0) >= 1, 5000, 5);
  sick.behaviour = { status: 503 };
  for (const agent of [pinging, plain]) {
    const r = await load(agent, { count: 40, concurrency: 2 });
    t.equal(r.statuses.get(200), 40, 'the 503s were retried on the other backend');
    t.equal(agent.stats().backends.find((b) => b.key === sick.key)?.ejected, true, 'ejected');
  }
  const pingsBefore = sick.paths.get('/ping') ?? 0;
  await sleep(1500);
  t.equal(sick.paths.get('/ping') ?? 0, pingsBefore + 1, 'one probe in the first 1.5 s (it answered 503: still ejected)');
  t.same(readmitted, []);
  sick.behaviour = { status: 200 };
  await waitFor('the pinging agent to readmit it', () => readmitted.includes('pinging'), 5000, 5);
  t.ok((sick.paths.get('/ping') ?? 0) - pingsBefore <= 3, `probes back off (${(sick.paths.get('/ping') ?? 0) - pingsBefore} pings)`);
  await sleep(1000);
  t.same(readmitted, ['pinging'], 'the agent without ping waits out the ejection: a connect proves nothing about 5xx');
  const r = await load(pinging, { count: 100, concurrency: 2 });
  t.equal(r.failed.length, 0);
  t.ok(r.bodies.some((b) => b.startsWith(`${sick.port} `)), 'the readmitted backend takes requests again');
});
