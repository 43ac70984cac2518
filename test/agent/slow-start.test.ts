// Slow start: an instance that comes back cold after a restart (for its
// first seconds it serves one request at a time) gets a small share at
// first instead of its full share at once, so the client's p99 stays near
// the all-warm p99 while it returns. The same return without slow start,
// for contrast. Both agents weigh by outstanding requests only
// (latencyWeighting: false): Peak-EWMA also steers away from a slow
// instance once it has measured it, and that would blur what slow start
// alone does.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BalancedAgent } from '../../src/agent/balanced-agent.ts';
import { StaticBackends } from '../../src/resolver/backend-source-static.ts';
import { request } from 'undici';
import { forkChildBackend, startBackend, startChildBackend, type ChildBackend } from './backends.ts';
import { load, percentile } from './load.ts';

const CONCURRENCY = 8;
/**
 * Cold: one request at a time, each this long (ms), where warm backends
 * answer in 2 ms and in parallel. Quick alone, so nothing steers away from
 * it, but its full share would queue up behind its one worker on a faster
 * machine: the instance slow start exists for.
 */
const COLD_DELAY_MS = 3;
const COLD_MS = 2000;

interface Return {
  /** The returning instance's requests in its first second, per request of each warm one. */
  firstSecondShare: number;
  /** p99 before it left, all three warm. */
  warmP99: number;
  /** p99 of every request while it returns (its cold seconds)... */
  returnP99: number;
  /** ...and of those the warm ones served in the same window (the machine's load then, without the cold one). */
  warmOnesP99: number;
  failed: number;
}

t.test('a cold instance returning gets a small share at first, and p99 stays near the all-warm p99', async (t) => {
  // Two warm backends, the returning one, and its next two processes (booted up front; each starts to listen when it comes back).
  const [a, b, first, ...next] = await Promise.all([
    startChildBackend(2),
    startChildBackend(2),
    startChildBackend(2),
    forkChildBackend(2, { coldMs: COLD_MS, coldDelayMs: COLD_DELAY_MS }),
    forkChildBackend(2, { coldMs: COLD_MS, coldDelayMs: COLD_DELAY_MS }),
  ]);
  const warm = [a!, b!];
  let back: ChildBackend = first!;
  const { port } = back;
  t.teardown(async () => {
    await Promise.all([...warm, back].map((x) => x.kill()));
    for (const n of next) await (await n.listen()).kill();
  });

  const returnCold = async (slowStartMs: number): Promise<Return> => {
    const source = new StaticBackends([...warm, back].map((x) => x.target));
    const agent = new BalancedAgent({ source, slowStartMs, latencyWeighting: false });
    try {
      await load(agent, { count: 200, concurrency: CONCURRENCY, prefix: 'warm-up' });
      const allWarm = await load(agent, { count: 1e9, concurrency: CONCURRENCY, deadlineMs: 1000, prefix: 'warm' });
      // It leaves the rotation (drained, restarted) and comes back on the same port, cold.
      source.set(warm.map((x) => x.target));
      await back.kill();
      back = await next.shift()!.listen(port);
      let stop = false;
      const during = load(agent, { count: 1e9, concurrency: CONCURRENCY, deadlineMs: 10_000, until: () => stop, prefix: 'return' });
      source.set([...warm, back].map((x) => x.target));
      const before = warm.map((x) => x.total());
      await sleep(1000);
      const mine = back.total();
      const theirs = warm.reduce((sum, x, i) => sum + x.total() - before[i]!, 0) / warm.length;
      await sleep(COLD_MS - 1000);
      stop = true;
      const r = await during;
      const onWarm = r.latencies.filter((_, i) => r.bodies[i] !== String(port));
      return { firstSecondShare: mine / theirs, warmP99: percentile(allWarm.latencies, 99), returnP99: percentile(r.latencies, 99), warmOnesP99: percentile(onWarm, 99), failed: r.failed.length };
    } finally {
      await agent.close();
    }
  };

  const ramped = await returnCold(5000);
  const abrupt = await returnCold(0);
  const show = (r: Return): string =>
    `first-second share ${(100 * r.firstSecondShare).toFixed(1)}% of a warm one's; p99 while it returns ${r.returnP99.toFixed(1)} ms, on the warm ones then ${r.warmOnesP99.toFixed(1)} ms, all warm before ${r.warmP99.toFixed(1)} ms`;
  t.comment(`slow start 5000 ms: ${show(ramped)}`);
  t.comment(`no slow start:     ${show(abrupt)}`);
  t.equal(ramped.failed + abrupt.failed, 0, 'no request failed');
  t.ok(ramped.firstSecondShare < 0.15, `with slow start, its first second's share is a small fraction of the others' (${(100 * ramped.firstSecondShare).toFixed(1)}%)`);
  // The machine is shared: the reference is the same window's requests on
  // the warm backends (as in balance.test.ts), so a swing of load between
  // windows does not decide it.
  t.ok(ramped.returnP99 <= 1.5 * ramped.warmOnesP99 + 2, `p99 while it returns ${ramped.returnP99.toFixed(1)} ms, ${ramped.warmOnesP99.toFixed(1)} ms on the warm ones in the same window`);
  t.ok(abrupt.firstSecondShare > 3 * ramped.firstSecondShare, `without slow start it takes far more at once (${(100 * abrupt.firstSecondShare).toFixed(1)}%)`);
});

t.test('who ramps: a backend joining others, or readmitted; not the first resolution, nor an all-new set', async (t) => {
  const [x, y, z] = await Promise.all([startBackend(), startBackend(), startBackend()]);
  const source = new StaticBackends([x.target]);
  const agent = new BalancedAgent({ source, baseEjectionTime: 300, consecutiveFailures: 1 });
  t.teardown(async () => {
    await agent.close();
    await Promise.all([x, y, z].map((b) => b.kill()));
  });
  const share = (key: string): number | undefined => agent.stats().backends.find((b) => b.key === key)?.slowStartShare;
  t.equal(share(x.key), 1, 'present at start-up: no ramp');
  source.set([x.target, y.target]);
  t.ok(share(y.key)! < 0.1, `joining x: ramps (${share(y.key)})`);
  source.set([z.target]);
  t.equal(share(z.key), 1, 'every backend new at once: no ramp');
  // A backend refusing connections, present from the start (no ramp), is
  // ejected (its requests move to z: never written)...
  const other = new BalancedAgent({ backends: [z.target, '127.0.0.1:1'], baseEjectionTime: 300, consecutiveFailures: 1 });
  t.teardown(() => other.close());
  const refused = (): { key: string; ejected: boolean; slowStartShare: number } => other.stats().backends.find((b) => b.port === 1)!;
  t.equal(refused().slowStartShare, 1);
  for (let i = 0; i < 4 && !refused().ejected; i++) await (await request('http://svc/', { dispatcher: other })).body.dump();
  t.equal(refused().ejected, true, 'the refusing backend is ejected');
  // ...and once its ejection runs out (the next pick rebuilds), it is readmitted into a slow start.
  await sleep(400);
  await (await request('http://svc/', { dispatcher: other })).body.dump();
  t.equal(refused().ejected, false);
  t.ok(refused().slowStartShare < 0.1, `readmitted: ramps (${refused().slowStartShare})`);
});
